"""Plans (a day's rounds), their routes, stops and unassigned jobs; plan runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class Plan(Base):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # data.enums.PlanKind
    plan_date: Mapped[date] = mapped_column(Date, index=True)
    region: Mapped[str | None] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(
        String(120), default=""
    )  # "what-if: +1 technician"
    status: Mapped[str] = mapped_column(String(16), default="draft")
    based_on_plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    published_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PlanRoute(Base):
    __tablename__ = "plan_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technician.id"))
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("courier.id"))
    start_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    end_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    km: Mapped[float] = mapped_column(Float, default=0.0)
    minutes: Mapped[float] = mapped_column(Float, default=0.0)
    break_start_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    skills: Mapped[list[str] | None] = mapped_column(
        JSON
    )  # the technician's, as planned


class PlanStop(Base):
    __tablename__ = "plan_stop"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(
        ForeignKey("plan_route.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    job_ref: Mapped[str] = mapped_column(
        String(40)
    )  # the routing job id, e.g. "T123" / "D45"
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("repair_ticket.id"), index=True
    )
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_order.id"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id")
    )  # consolidated site stop
    arrival_at: Mapped[datetime] = mapped_column(TZDateTime)
    start_at: Mapped[datetime] = mapped_column(TZDateTime)
    departure_at: Mapped[datetime] = mapped_column(TZDateTime)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the plan sent the vehicle and what it called the stop, kept with the plan so
    # the board draws the plan as made even after the customer's address changes.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(160))
    priority: Mapped[int | None] = mapped_column(Integer)  # the score, as planned
    priority_class: Mapped[int | None] = mapped_column(Integer)


class UnassignedJob(Base):
    __tablename__ = "unassigned_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    job_ref: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("repair_ticket.id"))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_order.id"))
    reason: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int | None] = mapped_column(Integer)
    priority_class: Mapped[int | None] = mapped_column(Integer)
    constraint: Mapped[str | None] = mapped_column(
        String(16)
    )  # skill, window, shift...
    skill: Mapped[str | None] = mapped_column(String(40))
    windows: Mapped[list[list[str]] | None] = mapped_column(JSON)  # local ISO pairs
    blockers: Mapped[list[str] | None] = mapped_column(
        JSON
    )  # references filling the day


class PlanPin(Base):
    """A dispatcher's pin: this job goes to this vehicle (and optionally this time)."""

    __tablename__ = "plan_pin"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_date: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    job_ref: Mapped[str] = mapped_column(String(40))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technician.id"))
    courier_id: Mapped[int | None] = mapped_column(ForeignKey("courier.id"))
    not_before: Mapped[datetime | None] = mapped_column(TZDateTime)
    not_after: Mapped[datetime | None] = mapped_column(TZDateTime)
    created_by: Mapped[str] = mapped_column(String(64), default="system")


class PlanRun(Base):
    """A solve in progress or done, readable and cancellable from any process."""

    __tablename__ = "plan_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    plan_date: Mapped[date] = mapped_column(Date, index=True)
    region: Mapped[str | None] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(120), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True, default="queued")
    requested_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    time_limit_s: Mapped[float] = mapped_column(Float, default=30.0)
    jobs_total: Mapped[int] = mapped_column(Integer, default=0)
    jobs_placed: Mapped[int] = mapped_column(Integer, default=0)
    best_objective: Mapped[float | None] = mapped_column(Float)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    error: Mapped[str | None] = mapped_column(Text)
