"""The demo's morning: what has already happened in the first region by 07:00 on the demo day.

``tournee demo`` seeds the network (``data.demo``) and then, unless ``--no-morning``,
plays the last working day's evening and the early morning through the product's own
services, so the day is under way when the dashboard opens and ``tournee notices run
--now <demo day 07:00>`` has something to tell about every step of a job:

- the workshop marked one machine repaired in the morning (its return legs are
  promised for the demo day) and another late in the evening, after the vans' plan;
- the dispatcher planned and published the demo day's technician rounds of the first
  region (``build_day`` -> ``solve_day`` -> ``save_plan`` -> ``publish``) and the
  vans of that region's first depot, whose publication loads them: the day's home
  orders go out for delivery and the repaired machine goes back ("returning");
- a few customers asked for a visit the day after; that day's rounds are published
  too, so the customers get their reminder the day before, with the arrival window
  (not when the demo day is a Friday or the eve of a holiday: nobody works the next day);
  the notices cron queued their "visit booked" at 10:05, and at 14:00 the first of them
  called back and took another offered slot (``dispatch.booking.book``), so the next
  run tells them "visit moved" with the new day and window;
- at 06:58 the first technician with a phone sign-in (``tec-001``...) reports *on my
  way* to their first visit (``dispatch.field.status.set_status``: the ETA is theirs).

Run after ``data.demo.seed_demo`` in the same transaction. Not part of the test
fixtures' demo (``tests/conftest.py``), which stays a day nobody has planned yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import repairs
from data.base import PARIS
from data.models import (
    Customer,
    CustomerMachine,
    PlanRoute,
    PlanStop,
    RepairTicket,
    Technician,
    User,
)
from dispatch.booking.book import book
from dispatch.booking.offers import offers_for
from dispatch.booking.rules import DEFAULT_RULES
from dispatch.field.status import set_status
from dispatch.notices.due_service import visit_bookings
from dispatch.notices.outbox import queue
from dispatch.planning import plans as planning
from dispatch.planning.builder import DayProblem
from dispatch.workshop.flow import after_move
from repairs.business_hours import DEFAULT_CALENDAR
from repairs.lifecycle import get_ticket
from repairs.states import TicketState
from repairs.triage import FAULTS, triage

DISPATCHER = "dispatch"  # the demo dispatcher's username, recorded as the actor
WORKSHOP = "workshop"
#: (start hour, end hour) of the windows the next day's customers asked for.
NEXT_DAY_WINDOWS = ((8, 10), (10, 12), (13, 15), (15, 17))


@dataclass(frozen=True, slots=True)
class _Reporter:
    """The technician's phone sign-in (a ``Principal``); the demo dispatcher too."""

    username: str
    role: str = "technician"
    store_id: int | None = None


#: The demo dispatcher publishing the rounds (the services check the role).
_DISPATCHER = _Reporter(DISPATCHER, role="dispatcher")
#: The agent at the phone moving a booked visit (``book`` checks the role).
_AGENT = _Reporter("agent", role="agent")


@dataclass
class Morning:
    region: str = ""
    plans: dict[str, int] = field(default_factory=dict)  # what -> plan id
    repaired: list[str] = field(default_factory=list)  # ticket refs, still repaired
    returning: list[str] = field(default_factory=list)  # ticket refs on the van
    next_day_tickets: list[str] = field(default_factory=list)
    moved: str = ""  # ticket ref: its booked visit moved to another slot
    on_my_way: str = ""  # ticket ref

    def __str__(self) -> str:
        if not self.region:
            return "morning: nothing to play (no technician with a sign-in)"
        return (
            f"morning in {self.region}: published plans "
            + ", ".join(f"{k} {v}" for k, v in self.plans.items())
            + f"; repaired {', '.join(self.repaired) or '-'}"
            + f", on the way back {', '.join(self.returning) or '-'}"
            + f"; visits booked for the next day {', '.join(self.next_day_tickets) or '-'}"
            + f" (moved: {self.moved or '-'})"
            + f"; on the way now: {self.on_my_way or '-'}"
        )


def _local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=PARIS)


def _previous_working_day(day: date) -> date:
    d = day - timedelta(days=1)
    while not DEFAULT_CALENDAR.is_business_day(d):
        d -= timedelta(days=1)
    return d


def play_morning(session: Session, day: date, *, seconds: float = 1.0) -> Morning:
    """Play the evening before ``day`` and its early morning (see the module's docstring)."""
    out = Morning()
    first = session.execute(
        select(User.username, Technician.region)
        .join(Technician, Technician.id == User.technician_id)
        .where(User.role == "technician", User.active.is_(True))
        .order_by(Technician.region, User.username)
        .limit(1)
    ).first()
    if first is None:
        return out
    region = out.region = str(first[1])
    eve = _previous_working_day(day)

    # The workshop: one machine repaired in the morning (back on the demo day's van).
    at_workshop = list(
        session.scalars(
            select(RepairTicket.id)
            .join(Customer, Customer.id == RepairTicket.customer_id)
            .where(RepairTicket.status == "at workshop", Customer.region == region)
            .order_by(RepairTicket.id)
            .limit(2)
        )
    )
    if at_workshop:
        _repair(session, at_workshop[0], _local(eve, 11))

    # The evening before: the demo day's rounds and the region's vans published.
    tech = planning.build_day(session, "technicians", day, region=region)
    out.plans["technicians"] = _publish(session, tech, seconds)
    vans = planning.build_day(session, "couriers", day, region=region)
    out.plans["couriers"] = _publish(session, vans, seconds)

    # ... a late repair, after the vans' plan: it waits for a re-plan or the next day.
    if len(at_workshop) > 1:
        _repair(session, at_workshop[1], _local(eve, 18))
    for ref, status in session.execute(
        select(RepairTicket.ref, RepairTicket.status)
        .where(RepairTicket.id.in_(at_workshop))
        .order_by(RepairTicket.id)
    ):
        (out.returning if status == "returning" else out.repaired).append(ref)

    # Visits wanted the day after, booked at the phone; that day's rounds published.
    # (Not when the next day is a Saturday, Sunday or holiday: nobody works it.)
    nxt = day + timedelta(days=1)
    if DEFAULT_CALENDAR.is_business_day(nxt):
        out.next_day_tickets = _next_day_tickets(session, region, nxt, _local(eve, 10))
        # the notices cron at 10:05 queues their "visit booked" (kept in the outbox)
        at = _local(eve, 10, 5)
        queue(session, visit_bookings(session, at), at)
        if out.next_day_tickets:
            out.moved = _move_visit(session, out.next_day_tickets[0], _local(eve, 14))
        after = planning.build_day(session, "technicians", nxt, region=region)
        out.plans["next day"] = _publish(session, after, seconds)

    # 06:58: the first technician with a phone sign-in sets off to their first visit.
    out.on_my_way = _set_off(session, out.plans["technicians"], day, _local(day, 6, 58))
    return out


def _publish(session: Session, dp: DayProblem, seconds: float) -> int:
    sol = planning.solve_day(dp, seconds)
    plan_id = planning.save_plan(session, dp, sol, actor=DISPATCHER, label="demo")
    planning.publish(session, plan_id, actor=_DISPATCHER)
    return plan_id


def _repair(session: Session, ticket_id: int, at: datetime) -> None:
    """The workshop marks the machine repaired: its return legs are created."""
    view = repairs.transition(
        session,
        ticket_id,
        TicketState.REPAIRED,
        actor=WORKSHOP,
        why="repaired at the workshop",
        now=at,
    )
    after_move(session, view, actor=WORKSHOP, now=at)


def _next_day_tickets(
    session: Session, region: str, day: date, opened_at: datetime
) -> list[str]:
    """Customers of the region without an open ticket call for a visit on ``day``."""
    busy = select(RepairTicket.customer_id).where(
        RepairTicket.status.not_in(
            [TicketState.CLOSED, TicketState.RESOLVED, TicketState.CANCELLED]
        )
    )
    rows = session.execute(
        select(Customer.id, CustomerMachine.id, CustomerMachine.model_family)
        .join(CustomerMachine, CustomerMachine.customer_id == Customer.id)
        .where(Customer.region == region, Customer.id.not_in(busy))
        .order_by(Customer.id)
        .limit(20 * len(NEXT_DAY_WINDOWS))
    ).all()
    refs: list[str] = []
    for cid, mid, family in rows:
        if len(refs) == len(NEXT_DAY_WINDOWS):
            break
        fault = next(
            (f for f in FAULTS if f != "other" and triage(f, family).path == "onsite"),
            None,
        )
        if fault is None:
            continue
        h0, h1 = NEXT_DAY_WINDOWS[len(refs)]
        view = repairs.open_ticket(
            session,
            cid,
            fault,
            "normal",
            machine_id=mid,
            actor="agent",
            opened_at=opened_at,
            window=(_local(day, h0), _local(day, h1)),
            why="opened by phone, visit wanted on that day",
        )
        # the day the customer asked for, as an import records it
        get_ticket(session, view.id).visit_on = day
        refs.append(view.ref)
    session.flush()
    return refs


def _move_visit(session: Session, ref: str, at: datetime) -> str:
    """The customer calls back: the agent looks through the offers (all of them, not
    the first three) for another window on the day asked, else a later day, and books
    it. The ticket's ref; empty when nothing else is offered."""
    t = session.scalars(select(RepairTicket).where(RepairTicket.ref == ref)).one()
    was, today = t.window_start, at.astimezone(PARIS).date()
    rules = replace(DEFAULT_RULES, offers=20)
    offers = offers_for(session, t.id, now=at, rules=rules).offers
    other = sorted(
        (o for o in offers if o.slot.start != was and o.slot.day > today),
        key=lambda o: (o.slot.day != t.visit_on, o.slot.start),
    )
    if not other:
        return ""
    book(session, t.id, other[0].slot.id, actor=_AGENT, now=at, rules=rules)
    session.flush()
    return ref


def _set_off(session: Session, plan_id: int, day: date, at: datetime) -> str:
    """The first stop of the earliest round of a technician who has a sign-in: on my way."""
    row = session.execute(
        select(User.username, RepairTicket.id, RepairTicket.ref)
        .join(PlanRoute, PlanRoute.technician_id == User.technician_id)
        .join(PlanStop, PlanStop.route_id == PlanRoute.id)
        .join(RepairTicket, RepairTicket.id == PlanStop.ticket_id)
        .where(PlanRoute.plan_id == plan_id, User.role == "technician")
        .order_by(PlanStop.arrival_at, PlanStop.id)
        .limit(1)
    ).first()
    if row is None:
        return ""
    username, ticket_id, ref = row
    set_status(session, _Reporter(username), ticket_id, "on_my_way", at=at, day=day)
    return str(ref)
