"""Arrival windows to offer a customer: each one a real insertion into a day's rounds.

For the next working days (from tomorrow), every window of ``rules.window_min``
from 08:00 is tried against every technician of the customer's region who has the
ticket's skill: the visit must start inside the window and the round must still
keep its shift, break and every other visit's promised window
(``routing.construct.schedule``). The cheapest technician per window is kept; its
added driving is the offer's cost. ``rules.holdback_share`` of each technician's
working time stays free for critical and top-tier visits until the day before.

Ranking: SLA met first; then cost (added driving), earliest first on ties — except
for top tiers and critical tickets, who see the earliest windows first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.models import Customer, RepairTicket, Visit, VisitBooking
from dispatch.booking.day import DayLoad, best_insertion, load_day
from dispatch.booking.rules import DEFAULT_RULES, BookingRules
from dispatch.field.visits import VisitStatus
from dispatch.planning.builder import seconds_to_local
from repairs.service import customer_tier
from repairs.sla import DEFAULT_CALENDAR
from routing import Job, TimeWindow

__all__ = [
    "BookingError",
    "Offers",
    "Slot",
    "SlotOffer",
    "booking_days",
    "earliest_day",
    "offers_for",
    "parse_slot",
    "visit_attempt",
]


class BookingError(ValueError):
    """A refusal to offer or book: one line naming the ticket and the reason."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Slot:
    """What an offer id names: a day, a window and a technician."""

    day: date
    start_min: int  # minutes from 00:00 Paris time
    length_min: int
    technician_id: int

    @property
    def id(self) -> str:
        h, m = divmod(self.start_min, 60)
        return (
            f"{self.day:%Y%m%d}-{h:02d}{m:02d}-{self.length_min}-T{self.technician_id}"
        )

    @property
    def start(self) -> datetime:
        return seconds_to_local(self.day, self.start_min * 60)

    @property
    def end(self) -> datetime:
        return seconds_to_local(self.day, (self.start_min + self.length_min) * 60)

    @property
    def window(self) -> TimeWindow:
        return TimeWindow(
            start_s=self.start_min * 60, end_s=(self.start_min + self.length_min) * 60
        )


def parse_slot(text: str) -> Slot:
    """``20261125-1000-120-T7`` -> ``Slot``; ``BookingError`` naming it otherwise."""
    try:
        day_s, hm, length, tech = str(text).strip().split("-")
        if not tech.startswith("T") or len(hm) != 4:
            raise ValueError
        return Slot(
            day=datetime.strptime(day_s, "%Y%m%d").date(),
            start_min=int(hm[:2]) * 60 + int(hm[2:]),
            length_min=int(length),
            technician_id=int(tech[1:]),
        )
    except ValueError:
        raise BookingError(
            f"slot: {text!r} is not a slot id (like 20261125-1000-120-T7)"
        ) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotOffer:
    slot: Slot
    technician: str
    added_km: float
    added_min: int
    sla_met: bool

    @property
    def id(self) -> str:
        return self.slot.id

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "day": self.slot.day.isoformat(),
            "start": self.slot.start.isoformat(),
            "end": self.slot.end.isoformat(),
            "technician": self.technician,
            "added_km": round(self.added_km, 1),
            "sla_met": self.sla_met,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Offers:
    ticket_ref: str
    offers: tuple[SlotOffer, ...]
    privileged: bool  # top tier or critical: earliest first, held-back capacity open
    note: str = ""

    def as_json(self) -> dict[str, object]:
        return {"ticket": self.ticket_ref, "offers": [o.as_json() for o in self.offers]}


#: How long before a window opens it may still be offered today.
LEAD_MIN = 60


def booking_days(now: datetime, days: int) -> list[date]:
    """Today (if a working day) and the next working days: ``days`` in all, Paris time."""
    d = now.astimezone(PARIS).date()
    out: list[date] = [d] if DEFAULT_CALENDAR.is_business_day(d) else []
    while len(out) < days:
        d += timedelta(days=1)
        if DEFAULT_CALENDAR.is_business_day(d):
            out.append(d)
    return out


def _working_days_until(now: datetime, day: date) -> int:
    """Working days from ``now``'s day up to (not including) ``day``."""
    d, n = now.astimezone(PARIS).date(), 0
    while d < day:
        if DEFAULT_CALENDAR.is_business_day(d):
            n += 1
        d += timedelta(days=1)
    return n


def not_before_min(day: date, now: datetime) -> int:
    """The earliest window start (minutes from 00:00) still offered on ``day``."""
    local = now.astimezone(PARIS)
    if day != local.date():
        return 0
    return local.hour * 60 + local.minute + LEAD_MIN


def visit_attempt(session: Session, ticket_id: int) -> int:
    """Which visit of the ticket a booking now is: 1, or 1 + the visits that could not fix."""
    failed = session.scalar(
        select(func.count(Visit.id)).where(
            Visit.ticket_id == ticket_id, Visit.status == VisitStatus.FAILED.value
        )
    )
    return 1 + int(failed or 0)


def earliest_day(session: Session, t: RepairTicket) -> date | None:
    """The first day a visit may be booked: after a visit that could not fix, the day
    its outcome set (``visit_on``: the part must come first); else None (any day)."""
    if visit_attempt(session, t.id) > 1:
        return t.visit_on
    return None


def bookable(session: Session, ticket_id: int) -> tuple[RepairTicket, Customer]:
    """The ticket if an on-site visit can be booked for it now; ``BookingError`` if not.

    A ticket waiting for a second visit (its visit could not fix) is bookable again:
    the booking of the failed visit counts for that visit only."""
    t = session.get(RepairTicket, ticket_id)
    if t is None:
        raise BookingError(f"ticket {ticket_id} does not exist")
    if t.resolution_path != "onsite":
        raise BookingError(
            f"ticket {t.ref}: only technician visits are booked (path is {t.resolution_path})"
        )
    if t.status != "triaged":
        raise BookingError(
            f"ticket {t.ref} is {t.status}: only triaged tickets are booked"
        )
    booked = session.scalar(
        select(VisitBooking).where(
            VisitBooking.ticket_id == ticket_id,
            VisitBooking.attempt == visit_attempt(session, ticket_id),
        )
    )
    if booked is not None:
        raise BookingError(f"ticket {t.ref} is already booked ({booked.slot})")
    return t, session.get_one(Customer, t.customer_id)


def is_privileged(t: RepairTicket, tier: str, rules: BookingRules) -> bool:
    return t.severity == "critical" or tier in rules.top_tiers


def fit(
    load: DayLoad,
    t: RepairTicket,
    slot: Slot,
    *,
    held_back: bool,
    rules: BookingRules,
) -> tuple[float, int] | None:
    """(added km, added minutes) of the visit in ``slot``'s technician's round, or None."""
    r = next((r for r in load.rounds if r.technician_id == slot.technician_id), None)
    if r is None or (t.required_skill and t.required_skill not in r.vehicle.skills):
        return None
    job = _job(load, t, slot.window)
    ins = best_insertion(load, r, job)
    if ins is None:
        return None
    if held_back and ins.used_s > (1 - rules.holdback_share) * r.work_s:
        return None
    return ins.added_m / 1000, round(ins.added_s / 60)


def _job(load: DayLoad, t: RepairTicket, w: TimeWindow) -> Job:
    return Job(
        id=f"T{t.id}",
        location=load.target,
        service_s=t.duration_min * 60,
        windows=(w,),
        skills=frozenset({t.required_skill}) if t.required_skill else frozenset(),
    )


def _windows(
    load: DayLoad, rules: BookingRules, not_before: int
) -> list[tuple[int, int]]:
    if not load.rounds:
        return []
    first = min(r.vehicle.shift.start_s for r in load.rounds) // 60
    last = max(r.vehicle.shift.end_s for r in load.rounds) // 60
    start = max(rules.first_window_min, first)
    out = []
    while start < last:
        if start >= not_before:
            out.append((start, rules.window_min))
        start += rules.window_min
    return out


def day_offers(
    load: DayLoad,
    t: RepairTicket,
    *,
    held_back: bool,
    rules: BookingRules,
    not_before: int = 0,
) -> list[SlotOffer]:
    """The cheapest technician for each window of the day where the visit fits."""
    out = []
    able = [
        r
        for r in load.rounds
        if not t.required_skill or t.required_skill in r.vehicle.skills
    ]
    for start, length in _windows(load, rules, not_before):
        best: tuple[int, int, str, int] | None = None  # added s, added m, name, tech
        w = TimeWindow(start_s=start * 60, end_s=(start + length) * 60)
        job = _job(load, t, w)
        for r in able:
            ins = best_insertion(load, r, job)
            if ins is None:
                continue
            if held_back and ins.used_s > (1 - rules.holdback_share) * r.work_s:
                continue
            if best is None or (ins.added_s, r.technician_id) < (best[0], best[3]):
                best = (ins.added_s, ins.added_m, r.name, r.technician_id)
        if best is None:
            continue
        slot = Slot(
            day=load.day, start_min=start, length_min=length, technician_id=best[3]
        )
        due = t.sla_due_at
        out.append(
            SlotOffer(
                slot=slot,
                technician=best[2],
                added_km=best[1] / 1000,
                added_min=round(best[0] / 60),
                sla_met=due is None
                or slot.end + timedelta(minutes=t.duration_min) <= due,
            )
        )
    return out


def offers_for(
    session: Session,
    ticket_id: int,
    *,
    now: datetime,
    days: int | None = None,
    rules: BookingRules = DEFAULT_RULES,
) -> Offers:
    """Up to ``rules.offers`` windows over the next ``days`` working days, ranked."""
    t, c = bookable(session, ticket_id)
    tier = customer_tier(session, t.customer_id)
    privileged = is_privileged(t, tier, rules)
    tomorrow = now.astimezone(PARIS).date() + timedelta(days=1)
    found: list[SlotOffer] = []
    first = earliest_day(session, t)
    n = days or rules.days
    horizon = booking_days(now, n + (_working_days_until(now, first) if first else 0))
    for day in [d for d in horizon if first is None or d >= first][:n]:
        load = load_day(session, day, c.region, (c.lat, c.lon), exclude_ticket=t.id)
        held_back = not privileged and day > tomorrow
        found.extend(
            day_offers(
                load,
                t,
                held_back=held_back,
                rules=rules,
                not_before=not_before_min(day, now),
            )
        )
    if privileged:
        found.sort(key=lambda o: (not o.sla_met, o.slot.start, o.added_km))
    else:
        found.sort(key=lambda o: (not o.sla_met, o.added_km, o.slot.start))
    note = "" if found else "no technician with the skill has room in these days"
    return Offers(
        ticket_ref=t.ref,
        offers=tuple(found[: rules.offers]),
        privileged=privileged,
        note=note,
    )
