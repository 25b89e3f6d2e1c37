"""Loaner transfers proposed by the stock forecast, and what the dispatcher decided."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class TransferProposal(Base):
    """Move ``count`` loaners of ``family`` from one site to another on van day ``day``.

    ``status``: proposed -> accepted | refused; accepted -> carried (the courier plan
    of ``day`` was loaded, ``plan_id``); a proposal still open when the forecast is
    made again is superseded.
    """

    __tablename__ = "transfer_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    to_site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    family: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date, index=True)
    for_day: Mapped[date] = mapped_column(Date)
    km: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), index=True, default="proposed")
    made_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    made_by: Mapped[str] = mapped_column(String(64), default="system")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    why: Mapped[str] = mapped_column(Text, default="")
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
