"""The service network: sites (depots, stores, relay points), technicians, vans."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # data.enums.SiteKind
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10))
    town: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(80), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    opens_at: Mapped[time] = mapped_column(Time, default=time(9, 0))
    closes_at: Mapped[time] = mapped_column(Time, default=time(19, 0))
    open_days: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: [0, 1, 2, 3, 4, 5]
    )
    relay_daily_capacity: Mapped[int | None] = mapped_column(Integer)
    holding_days: Mapped[int] = mapped_column(Integer, default=10)
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))  # serving depot


class Technician(Base):
    __tablename__ = "technician"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(80), index=True)
    home_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    home_town: Mapped[str] = mapped_column(String(120), default="")
    home_lat: Mapped[float] = mapped_column(Float)
    home_lon: Mapped[float] = mapped_column(Float)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    shift_start: Mapped[time] = mapped_column(Time, default=time(8, 0))
    shift_end: Mapped[time] = mapped_column(Time, default=time(17, 30))
    break_earliest: Mapped[time] = mapped_column(Time, default=time(11, 45))
    break_latest: Mapped[time] = mapped_column(Time, default=time(13, 45))
    break_minutes: Mapped[int] = mapped_column(Integer, default=45)
    days_off: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: [5, 6]
    )  # weekday numbers
    max_visits: Mapped[int | None] = mapped_column(Integer)
    cost_per_km: Mapped[float] = mapped_column(Float, default=0.35)
    cost_per_hour: Mapped[float] = mapped_column(Float, default=32.0)
    active: Mapped[bool] = mapped_column(default=True)
    # Availability (dispatch.planning.availability): weekday -> ["HH:MM", "HH:MM"]
    # (None: days_off and the shift above), limits on hours worked per day and week.
    weekly_hours: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    max_hours_day: Mapped[float | None] = mapped_column(Float)
    max_hours_week: Mapped[float | None] = mapped_column(Float)


class TechnicianAbsence(Base):
    """A day a technician is not available (sick, leave, training)."""

    __tablename__ = "technician_absence"
    __table_args__ = (UniqueConstraint("technician_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(
        ForeignKey("technician.id", ondelete="CASCADE")
    )
    on_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(80), default="")
    kind: Mapped[str] = mapped_column(
        String(20), default="leave"
    )  # leave|training|sick


class Courier(Base):
    """A van and its driver, based at a depot."""

    __tablename__ = "courier"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    depot_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    capacity_parcels: Mapped[int] = mapped_column(Integer, default=80)
    shift_start: Mapped[time] = mapped_column(Time, default=time(7, 30))
    shift_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    break_earliest: Mapped[time] = mapped_column(Time, default=time(11, 30))
    break_latest: Mapped[time] = mapped_column(Time, default=time(14, 0))
    break_minutes: Mapped[int] = mapped_column(Integer, default=30)
    days_off: Mapped[list[int]] = mapped_column(JSON, default=lambda: [6])
    cost_per_km: Mapped[float] = mapped_column(Float, default=0.45)
    cost_per_hour: Mapped[float] = mapped_column(Float, default=28.0)
    active: Mapped[bool] = mapped_column(default=True)
