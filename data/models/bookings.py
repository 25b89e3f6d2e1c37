"""Booked visits: the window promised to a customer, and the capacity row bookings lock.

``VisitBooking`` is one per ticket and visit attempt (unique): the day, arrival
window and technician the agent offered; ``attempt`` 1 is the first visit, 2 the
second one booked after a visit that could not fix, and so on. ``BookingDay`` is one row per technician and day; every booking
locks it (``SELECT ... FOR UPDATE``) before checking the visit still fits, so two
agents taking the last place of a window queue on that row and the second one sees
the first one's booking (SQLite serialises writers anyway).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class BookingDay(Base):
    __tablename__ = "booking_day"
    __table_args__ = (UniqueConstraint("technician_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(
        ForeignKey("technician.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date, index=True)
    bookings: Mapped[int] = mapped_column(Integer, default=0)


class VisitBooking(Base):
    __tablename__ = "visit_booking"
    __table_args__ = (UniqueConstraint("ticket_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("repair_ticket.id", ondelete="CASCADE")
    )
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    technician_id: Mapped[int] = mapped_column(ForeignKey("technician.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    window_start: Mapped[datetime] = mapped_column(TZDateTime)
    window_end: Mapped[datetime] = mapped_column(TZDateTime)
    slot: Mapped[str] = mapped_column(String(40))
    booked_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    booked_by: Mapped[str] = mapped_column(String(64))
