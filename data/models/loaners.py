"""Loaner machines and loans. One open loan per loaner is the database's rule."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class Loaner(Base):
    __tablename__ = "loaner"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    model: Mapped[str] = mapped_column(String(80))
    model_family: Mapped[str] = mapped_column(String(40), index=True)
    condition: Mapped[str] = mapped_column(String(16), default="good")
    state: Mapped[str] = mapped_column(String(16), index=True, default="available")
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class Loan(Base):
    __tablename__ = "loan"
    __table_args__ = (
        # The backstop against double lending: at most one open loan per loaner,
        # and at most one open loan per ticket, whatever the application does.
        Index(
            "uq_loan_open_per_loaner",
            "loaner_id",
            unique=True,
            sqlite_where=text("returned_at IS NULL"),
            postgresql_where=text("returned_at IS NULL"),
        ),
        Index(
            "uq_loan_open_per_ticket",
            "ticket_id",
            unique=True,
            sqlite_where=text("returned_at IS NULL"),
            postgresql_where=text("returned_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    loaner_id: Mapped[int] = mapped_column(ForeignKey("loaner.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("repair_ticket.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    from_site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    lent_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    returned_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    returned_to_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)


class LoanerEvent(Base):
    """A loaner's history: every state change and move between sites."""

    __tablename__ = "loaner_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    loaner_id: Mapped[int] = mapped_column(
        ForeignKey("loaner.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    detail: Mapped[str] = mapped_column(Text, default="")
