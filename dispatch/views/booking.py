"""What the desk page offers and books: slot offers for an on-site ticket, the booking.

Thin services over :mod:`dispatch.booking` with the desk's role check. A slot taken
meanwhile comes back as ``SlotTaken`` carrying fresh offers to show at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dispatch.access.roles import Principal, check_role, store_scope
from dispatch.booking.book import Booked, SlotTaken, book
from dispatch.booking.offers import BookingError, Offers, SlotOffer, offers_for
from dispatch.booking.rules import DEFAULT_RULES, BookingRules
from dispatch.views.desk import DESK_ROLES

__all__ = [
    "Booked",
    "BookingError",
    "Offers",
    "SlotOffer",
    "SlotTaken",
    "book_slot",
    "slot_offers",
]


def slot_offers(
    session: Session,
    user: Principal,
    ticket_id: int,
    *,
    now: datetime,
    rules: BookingRules = DEFAULT_RULES,
) -> Offers:
    check_role(user, *DESK_ROLES)
    store_scope(user)
    return offers_for(session, ticket_id, now=now, rules=rules)


def book_slot(
    session: Session,
    user: Principal,
    ticket_id: int,
    slot_id: str,
    *,
    now: datetime,
    rules: BookingRules = DEFAULT_RULES,
) -> Booked:
    check_role(user, *DESK_ROLES)
    store_scope(user)
    return book(session, ticket_id, slot_id, actor=user, now=now, rules=rules)
