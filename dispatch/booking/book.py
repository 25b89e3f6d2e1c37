"""Booking an offered slot: the ticket gets its day and window, exactly once.

The booking locks the technician-day capacity row (``BookingDay``, created on first
use under a unique constraint) with ``SELECT ... FOR UPDATE``, then checks again
that the visit fits that technician's round with everything booked so far. Two
agents taking the last place of a window queue on that row: the second one sees
the first booking and is refused with fresh offers. SQLite serialises writers
(``BEGIN IMMEDIATE``), which gives the same answer. ``VisitBooking`` is unique per
ticket and attempt: one booking per visit whatever happens (a second visit, after
one that could not fix, is the ticket's next attempt, from the day its outcome set).
``book`` takes the acting user and checks the role itself (``BOOKING_ROLES``: agents,
dispatchers, store staff; admins always), whatever page or command called it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import repairs
from data import audit
from data.base import PARIS
from data.enums import Role
from data.models import BookingDay, RepairTicket, Technician, VisitBooking
from dispatch import labels
from dispatch.access.roles import Principal, acting
from dispatch.booking.day import load_day
from dispatch.booking.offers import (
    BookingError,
    Offers,
    bookable,
    booking_days,
    earliest_day,
    fit,
    is_privileged,
    not_before_min,
    offers_for,
    parse_slot,
    visit_attempt,
)
from dispatch.booking.rules import DEFAULT_RULES, BookingRules
from repairs.service import customer_tier
from repairs.states import TicketState

__all__ = ["BOOKING_ROLES", "Booked", "SlotTaken", "book"]

#: Who may book a visit (the desk page's roles; admins always may).
BOOKING_ROLES = (Role.DISPATCHER, Role.AGENT, Role.STORE_STAFF)


class SlotTaken(BookingError):
    """The slot no longer fits (someone booked it first): here are fresh offers."""

    def __init__(self, message: str, fresh: Offers | None) -> None:
        super().__init__(message)
        self.fresh = fresh


@dataclass(frozen=True, slots=True, kw_only=True)
class Booked:
    ticket_id: int
    ticket_ref: str
    slot: str
    technician: str
    window_start: datetime
    window_end: datetime
    added_km: float

    @property
    def label(self) -> str:
        return f"{labels.window(self.window_start, self.window_end)} with {self.technician}"


def _lock_day(session: Session, technician_id: int, day: object) -> BookingDay:
    """The capacity row, locked; created once (a racing creator loses the insert)."""
    stmt = (
        select(BookingDay)
        .where(BookingDay.technician_id == technician_id, BookingDay.day == day)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.scalar(stmt)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(BookingDay(technician_id=technician_id, day=day, bookings=0))
            session.flush()
    except IntegrityError:
        pass
    row = session.scalar(stmt)
    assert row is not None
    return row


def book(
    session: Session,
    ticket_id: int,
    slot_id: str,
    *,
    actor: Principal,
    now: datetime,
    rules: BookingRules = DEFAULT_RULES,
) -> Booked:
    """Book ``slot_id`` for the ticket, or raise ``SlotTaken`` with fresh offers.

    Raises
    ------
    AccessDenied
        ``actor`` is not an agent, dispatcher, store staff or admin (before anything
        is read); a bare name instead of a user is a ``TypeError``.
    BookingError
        Unknown ticket, not an on-site ticket waiting for a visit, already booked,
        a malformed slot id, a day outside the booking horizon or before a second
        visit may be (the part must come).
    SlotTaken
        The visit no longer fits that technician's round in that window.
    """
    by = acting(actor, *BOOKING_ROLES)
    slot = parse_slot(slot_id)
    if slot.length_min != rules.window_min:
        raise BookingError(
            f"slot {slot_id}: windows are {rules.window_min} min, not {slot.length_min}"
        )
    horizon = booking_days(now, max(rules.days, 30))
    if slot.day not in horizon or slot.start_min < not_before_min(slot.day, now):
        raise BookingError(
            f"slot {slot_id}: {labels.window(slot.start, slot.end)} is not bookable"
        )
    session.get(RepairTicket, ticket_id, with_for_update=True)  # one booker per ticket
    t, c = bookable(session, ticket_id)
    first = earliest_day(session, t)
    if first is not None and slot.day < first:
        raise BookingError(
            f"slot {slot_id}: the second visit of {t.ref} is from {labels.day(first)}"
        )
    attempt = visit_attempt(session, t.id)
    tech = session.get(Technician, slot.technician_id)
    if tech is None:
        raise BookingError(f"slot {slot_id}: no technician {slot.technician_id}")
    cap = _lock_day(session, tech.id, slot.day)
    tier = customer_tier(session, t.customer_id)
    tomorrow = now.astimezone(PARIS).date() + timedelta(days=1)
    held_back = not is_privileged(t, tier, rules) and slot.day > tomorrow
    load = load_day(
        session,
        slot.day,
        None,
        (c.lat, c.lon),
        technician_id=tech.id,
        exclude_ticket=t.id,
    )
    placed = fit(load, t, slot, held_back=held_back, rules=rules)
    if placed is None:
        fresh = offers_for(session, ticket_id, now=now, rules=rules)
        raise SlotTaken(
            f"ticket {t.ref}: {labels.window(slot.start, slot.end)} with {tech.name} "
            "is no longer free; choose another slot",
            fresh,
        )
    km, _ = placed
    session.add(
        VisitBooking(
            ticket_id=t.id,
            attempt=attempt,
            technician_id=tech.id,
            day=slot.day,
            window_start=slot.start,
            window_end=slot.end,
            slot=slot.id,
            booked_at=now,
            booked_by=by,
        )
    )
    cap.bookings += 1
    t.visit_on = slot.day
    t.window_start, t.window_end = slot.start, slot.end
    t.technician_id = tech.id
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise BookingError(
            f"ticket {t.ref} was booked by someone else meanwhile"
        ) from None
    repairs.transition(
        session,
        t.id,
        TicketState.SCHEDULED,
        actor=by,
        why=f"visit booked: {labels.window(slot.start, slot.end)} with {tech.name}",
        now=now,
    )
    audit.record(
        session,
        by,
        "visit_booking",
        t.id,
        "book",
        slot=slot.id,
        attempt=attempt,
        technician=tech.code,
        day=slot.day,
        added_km=round(km, 1),
    )
    return Booked(
        ticket_id=t.id,
        ticket_ref=t.ref,
        slot=slot.id,
        technician=tech.name,
        window_start=slot.start,
        window_end=slot.end,
        added_km=km,
    )
