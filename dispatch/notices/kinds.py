"""The kinds of notice, their category (service or club), and what one due notice holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    SERVICE = "service"  # repair, visit, order, loan: sent while a channel exists
    CLUB = "club"  # capsules, descaling, points, perks: only with consent


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    CANCELLED = "cancelled"


class Kind(StrEnum):
    VISIT_BOOKED = "visit booked"
    VISIT_MOVED = "visit moved"
    VISIT_REMINDER = "visit reminder"
    VISIT_ON_THE_WAY = "technician on the way"
    VISIT_FAILED = "visit failed"
    REPAIR_RECEIVED = "repair received"
    REPAIR_REPAIRED = "repair repaired"
    REPAIR_RETURNING = "repair on its way back"
    LOAN_LENT = "loaner lent"
    LOAN_DUE = "loaner due soon"
    LOAN_OVERDUE = "loaner overdue"
    DELIVERY_OUT = "out for delivery"
    DELIVERY_FAILED = "delivery failed"
    BAG_READY = "bag ready"
    BAG_EXPIRING = "bag expiring"
    RELAY_READY = "parcel at relay"
    POINTS_EXPIRING = "points expiring"
    TIER_UP = "tier up"
    TIER_DOWN = "tier down"
    NEXT_PERK = "next perk"
    CAPSULES_LOW = "capsules running out"
    DESCALING_DUE = "descaling due"

    @property
    def category(self) -> Category:
        return Category.CLUB if self in CLUB_KINDS else Category.SERVICE

    @property
    def template(self) -> str:
        """The template's file stem: ``visit_booked``."""
        return self.name.lower()


CLUB_KINDS = frozenset(
    {
        Kind.POINTS_EXPIRING,
        Kind.TIER_UP,
        Kind.TIER_DOWN,
        Kind.NEXT_PERK,
        Kind.CAPSULES_LOW,
        Kind.DESCALING_DUE,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Due:
    """One notice owed to a customer at ``due_at``; ``context`` fills its template.

    ``dedupe_key`` names the event, not the run: computing it again (in any
    process) gives the same key, and the database keeps the first.
    """

    customer_id: int
    kind: Kind
    entity_type: str  # ticket, visit, order, loan, account, machine
    entity_id: str
    dedupe_key: str
    due_at: datetime
    context: dict[str, Any] = field(default_factory=dict)
