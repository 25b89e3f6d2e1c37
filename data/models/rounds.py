"""Published rounds: at most one per vehicle and day, whatever plans were published.

A row per technician (or van) of a published plan; the unique constraint is the
database's own refusal of two published rounds for one technician-day, so two
dispatchers publishing overlapping plans at once cannot both win.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base


class PublishedRound(Base):
    __tablename__ = "published_round"
    __table_args__ = (
        UniqueConstraint(
            "kind", "plan_date", "vehicle_ref", name="uq_published_round_vehicle_day"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("plan.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # data.enums.PlanKind
    plan_date: Mapped[date] = mapped_column(Date)
    vehicle_ref: Mapped[str] = mapped_column(String(40))  # "tech:12" / "van:3"
