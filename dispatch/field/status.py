"""A status reported from the field: one transaction over the visit and its ticket.

``set_status`` is the one function that changes a ``Visit``: it locks the ticket
and the visit, checks that the visit is on the day's published plan (and, for a
technician, on *their* round), checks the status table, stores the actual time,
moves the ticket through ``repairs.lifecycle`` (arrived -> in progress, done ->
resolved, could not fix -> see ``outcomes``) and writes the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import audit
from data.base import PARIS
from data.enums import Role
from data.models import PlanRoute, PlanStop, RepairTicket, Technician, Visit
from dispatch import labels
from dispatch.access.roles import AccessDenied, Principal, check_role
from dispatch.field.outcomes import after_failure
from dispatch.field.rounds import find_stop, technician_of
from dispatch.field.visits import FailReason, VisitStatus, allowed
from repairs import lifecycle
from repairs.errors import RepairsError
from repairs.states import TicketState
from routing import HaversineTravel

__all__ = [
    "REFUSALS",
    "VisitRefused",
    "VisitReport",
    "set_status",
    "set_status_by_ref",
]

#: Arriving later than this after the planned start, with no promised window, is late.
GRACE = timedelta(minutes=30)


class VisitRefused(ValueError):
    """The report cannot be applied (wrong state, not on the plan, missing reason)."""


#: What a page or command shows as a one-line refusal (a lost race included).
REFUSALS: tuple[type[Exception], ...] = (VisitRefused, AccessDenied, RepairsError)


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitReport:
    ticket_ref: str
    status: VisitStatus
    at: datetime
    eta_at: datetime | None
    ticket_status: str
    next_step: str = ""  # what a failed visit did to the ticket

    @property
    def message(self) -> str:
        text = (
            f"{self.ticket_ref}: {self.status.label.lower()} at {labels.when(self.at)}"
        )
        if self.eta_at:
            text += f", expected at {self.eta_at.astimezone(PARIS):%H:%M}"
        return text + (f" — {self.next_step}" if self.next_step else "")


def set_status_by_ref(
    session: Session,
    actor: Principal,
    ref: str,
    to: VisitStatus | str,
    *,
    at: datetime | None = None,
    reason: FailReason | str | None = None,
    fix_code: str = "",
    notes: str = "",
    day: date | None = None,
) -> VisitReport:
    """:func:`set_status` for a ticket reference (``R100012``), as the CLI types it."""
    check_role(actor, Role.TECHNICIAN, Role.DISPATCHER)  # before saying what exists
    tid = session.scalar(select(RepairTicket.id).where(RepairTicket.ref == ref.strip()))
    if tid is None:
        raise VisitRefused(f"ticket {ref!r} does not exist")
    return set_status(
        session,
        actor,
        tid,
        to,
        at=at,
        reason=reason,
        fix_code=fix_code,
        notes=notes,
        day=day,
    )


def set_status(
    session: Session,
    actor: Principal,
    ticket_id: int,
    to: VisitStatus | str,
    *,
    at: datetime | None = None,
    reason: FailReason | str | None = None,
    fix_code: str = "",
    notes: str = "",
    day: date | None = None,
) -> VisitReport:
    """Apply one reported status to the visit of ``ticket_id`` on ``day`` (its visit day).

    Raises
    ------
    AccessDenied
        Not a technician or dispatcher, or a technician reporting on a visit that is
        not on their round.
    VisitRefused
        Unknown status or reason, no such visit on the published plan, a status
        that cannot follow the current one, *could not fix* without a reason.
    """
    check_role(actor, Role.TECHNICIAN, Role.DISPATCHER)
    try:
        target = VisitStatus(to)
    except ValueError:
        raise VisitRefused(
            f"unknown status {to!r}; use one of "
            + ", ".join(s.value for s in VisitStatus if s is not VisitStatus.PLANNED)
        ) from None
    why_fail = _reason(target, reason)
    at = at or datetime.now(UTC)
    if at.tzinfo is None:
        raise VisitRefused("the time must carry its time zone")
    ticket = session.get(RepairTicket, ticket_id, with_for_update=True)
    if ticket is None:
        raise VisitRefused(f"ticket {ticket_id} does not exist")
    day = day or ticket.visit_on
    found = find_stop(session, day, ticket_id) if day else None
    own = technician_of(session, actor) if actor.role == Role.TECHNICIAN else None
    if found is None or (own is not None and found[1].technician_id != own):
        if own is not None:  # say nothing about rounds that are not theirs
            raise AccessDenied(actor.username, f"report on ticket {ticket.ref}")
        raise VisitRefused(
            f"ticket {ticket.ref} has no visit on the published plan"
            + (f" of {labels.day(day)}" if day else "")
        )
    assert day is not None
    stop, route = found
    visit = _visit(session, ticket, stop, route, day)
    current = VisitStatus(visit.status)
    if target not in allowed(current):
        nxt = ", ".join(s.label.lower() for s in allowed(current)) or "nothing"
        raise VisitRefused(
            f"visit {ticket.ref} is {current.label.lower()}: it cannot become "
            f"{target.label.lower()} (next: {nxt})"
        )
    name = actor.username
    if target is VisitStatus.ON_MY_WAY:
        visit.on_my_way_at = at
        visit.eta_at = at + timedelta(seconds=_drive_s(session, stop, route))
        lifecycle.record_event(
            session,
            ticket,
            ticket.status,
            actor=name,
            why=f"technician on the way, expected at {visit.eta_at.astimezone(PARIS):%H:%M}",
            at=at,
        )
    elif target is VisitStatus.ARRIVED:
        _arrive(session, visit, ticket, stop, route, at, name)
    elif target is VisitStatus.DONE:
        visit.completed_at, visit.fixed = at, True
        visit.fix_code, visit.notes = fix_code.strip()[:40] or None, notes or None
        lifecycle.transition(
            session,
            ticket.id,
            TicketState.RESOLVED,
            actor=name,
            why="fixed on site"
            + (f" (code {visit.fix_code})" if visit.fix_code else ""),
            now=at,
        )
        if ticket.first_time_fix is None:
            ticket.first_time_fix = _first_visit(session, ticket.id, day)
    next_step = ""
    if target is VisitStatus.FAILED:
        assert why_fail is not None
        if visit.km is None:
            visit.km = _km(session, stop, route)
        visit.completed_at, visit.fixed = at, False
        visit.failure_reason, visit.notes = why_fail.value, notes or None
        next_step = after_failure(session, ticket, why_fail, day=day, actor=name, at=at)
    before = visit.status
    visit.status = target.value
    audit.record(
        session,
        name,
        "visit",
        visit.id,
        "status",
        ticket=ticket.ref,
        day=day,
        from_status=before,
        to_status=target.value,
        at=at,
        reason=why_fail.value if why_fail else None,
        fix_code=visit.fix_code,
        next_step=next_step or None,
    )
    with lifecycle.optimistic(ticket.id):
        session.flush()
    return VisitReport(
        ticket_ref=ticket.ref,
        status=target,
        at=at,
        eta_at=visit.eta_at if target is VisitStatus.ON_MY_WAY else None,
        ticket_status=ticket.status,
        next_step=next_step,
    )


def _reason(target: VisitStatus, reason: FailReason | str | None) -> FailReason | None:
    if target is not VisitStatus.FAILED:
        return None
    if not reason:
        raise VisitRefused(
            "could not fix needs a reason: " + ", ".join(r.value for r in FailReason)
        )
    try:
        return FailReason(reason)
    except ValueError:
        raise VisitRefused(
            f"unknown reason {reason!r}; use one of "
            + ", ".join(r.value for r in FailReason)
        ) from None


def _visit(
    session: Session, ticket: RepairTicket, stop: PlanStop, route: PlanRoute, day: date
) -> Visit:
    """The day's visit row, locked; created (as planned) on the first report."""
    q = (
        select(Visit)
        .where(Visit.ticket_id == ticket.id, Visit.visit_on == day)
        .with_for_update()
    )
    visit = session.scalars(q).first()
    if visit is not None:
        return visit
    visit = Visit(
        ticket_id=ticket.id,
        technician_id=route.technician_id,
        visit_on=day,
        planned_start=stop.start_at,
        window_end=ticket.window_end,
        lat=stop.lat,
        lon=stop.lon,
        status=VisitStatus.PLANNED.value,
    )
    try:
        with session.begin_nested():
            session.add(visit)
    except IntegrityError:  # created meanwhile by a concurrent report
        visit = session.scalars(q).one()
    return visit


def _arrive(
    session: Session,
    visit: Visit,
    ticket: RepairTicket,
    stop: PlanStop,
    route: PlanRoute,
    at: datetime,
    actor: str,
) -> None:
    visit.arrived_at = at
    visit.km = _km(session, stop, route)
    limit = visit.window_end or (
        visit.planned_start + GRACE if visit.planned_start else None
    )
    visit.on_time = at <= limit if limit else None
    if ticket.status == TicketState.TRIAGED:
        lifecycle.transition(
            session,
            ticket.id,
            TicketState.SCHEDULED,
            actor=actor,
            why="on the round",
            now=at,
        )
    lifecycle.transition(
        session,
        ticket.id,
        TicketState.IN_PROGRESS,
        actor=actor,
        why="technician on site",
        now=at,
    )


def _first_visit(session: Session, ticket_id: int, day: date) -> bool:
    earlier = session.scalar(
        select(func.count(Visit.id)).where(
            Visit.ticket_id == ticket_id, Visit.visit_on < day
        )
    )
    return not earlier


def _previous_place(
    session: Session, stop: PlanStop, route: PlanRoute
) -> tuple[float, float] | None:
    prev = session.scalars(
        select(PlanStop)
        .where(PlanStop.route_id == route.id, PlanStop.seq < stop.seq)
        .order_by(PlanStop.seq.desc())
        .limit(1)
    ).first()
    if prev is not None and prev.lat is not None and prev.lon is not None:
        return (prev.lat, prev.lon)
    tech = session.get(Technician, route.technician_id) if route.technician_id else None
    return (tech.home_lat, tech.home_lon) if tech else None


def _leg(session: Session, stop: PlanStop, route: PlanRoute) -> tuple[int, int]:
    """(seconds, metres) of road from the previous stop (or home) to this one."""
    a = _previous_place(session, stop, route)
    if a is None or stop.lat is None or stop.lon is None:
        return 0, 0
    m = HaversineTravel().matrix([a, (stop.lat, stop.lon)])
    return int(m.durations_s[0, 1]), int(m.distances_m[0, 1])


def _drive_s(session: Session, stop: PlanStop, route: PlanRoute) -> int:
    return _leg(session, stop, route)[0]


def _km(session: Session, stop: PlanStop, route: PlanRoute) -> float:
    return round(_leg(session, stop, route)[1] / 1000, 1)
