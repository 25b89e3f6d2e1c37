"""Repair tickets, their history, and technician visits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class RepairTicket(Base):
    __tablename__ = "repair_ticket"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("customer_machine.id"))
    fault: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    resolution_path: Mapped[str | None] = mapped_column(
        String(16)
    )  # remote / onsite / workshop
    required_skill: Mapped[str | None] = mapped_column(String(40))
    duration_min: Mapped[int] = mapped_column(Integer, default=45)
    same_day_fix: Mapped[bool] = mapped_column(Boolean, default=True)
    window_start: Mapped[datetime | None] = mapped_column(
        TZDateTime
    )  # customer's preferred window
    window_end: Mapped[datetime | None] = mapped_column(TZDateTime)
    visit_on: Mapped[date | None] = mapped_column(
        Date, index=True
    )  # day the visit is wanted/planned
    opened_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    sla_due_at: Mapped[datetime | None] = mapped_column(TZDateTime, index=True)
    # the SLA policy edition the due time was computed with (repairs/sla_policy.toml)
    sla_policy_version: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True, default="new")
    loaner_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technician.id"))
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    first_time_fix: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class TicketEvent(Base):
    """One lifecycle transition: the ticket's own history (the audit log has it too)."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("repair_ticket.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    why: Mapped[str] = mapped_column(Text, default="")


class Visit(Base):
    """A technician's visit of a day: its status as reported from the field, its actual
    times and outcome (KPIs read from here; ``dispatch.field`` writes it).

    ``status``: planned | on_my_way | arrived | done | failed. A row written without a
    status is history, a finished visit (default ``done``); the field service writes
    ``planned`` on a visit's first report.
    """

    __tablename__ = "visit"
    __table_args__ = (UniqueConstraint("ticket_id", "visit_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("repair_ticket.id", ondelete="CASCADE"), index=True
    )
    technician_id: Mapped[int] = mapped_column(ForeignKey("technician.id"), index=True)
    visit_on: Mapped[date] = mapped_column(Date, index=True)
    planned_start: Mapped[datetime | None] = mapped_column(TZDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    fixed: Mapped[bool | None] = mapped_column(Boolean)
    km: Mapped[float | None] = mapped_column()
    status: Mapped[str] = mapped_column(
        String(16), index=True, default="done", server_default="done"
    )
    on_my_way_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    eta_at: Mapped[datetime | None] = mapped_column(TZDateTime)  # told the customer
    window_end: Mapped[datetime | None] = mapped_column(TZDateTime)  # promised by then
    fix_code: Mapped[str | None] = mapped_column(String(40))
    failure_reason: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)  # where the visit took place
    lon: Mapped[float | None] = mapped_column(Float)
