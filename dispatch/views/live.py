"""The live board: each stop of the day's published rounds as it stands, ETAs of the
remaining stops recomputed from where each technician actually is, and the rounds that
will break a promised window.

Where a technician is comes from their last report (``Visit``): done or could not fix
at a stop -> there, from its finish time; on site -> there until the planned time on
site has passed; on the way -> arriving at the reported ETA. A round with no report
yet starts from home at its planned start (or now, if that is later). The rest of the
round is then chained: drive (the planner's travel model), wait for the window to open,
work the planned duration, take the break once its planned time is passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.enums import Role
from data.models import Customer, RepairTicket, Technician, Visit
from dispatch.access.roles import Principal, check_role
from dispatch.field.visits import VisitStatus
from dispatch.planning import plans as planning
from routing import HaversineTravel

__all__ = ["LiveBoard", "LiveRoute", "LiveStop", "board_time", "live_board"]

#: More than this off the planned arrival is late (or ahead).
SLACK = timedelta(minutes=15)

STATUS_DONE = "done"
STATUS_FAILED = "could not fix"
STATUS_ON_SITE = "in progress"
STATUS_ON_WAY = "on the way"
STATUS_LATE = "late"
STATUS_AHEAD = "ahead"
STATUS_ON_TIME = "on time"


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveStop:
    job_ref: str
    ticket_ref: str
    seq: int
    customer: str
    town: str
    planned: datetime
    eta: datetime | None  # None once the visit is over
    status: str  # done, could not fix, in progress, on the way, late, ahead, on time
    window: str  # promised window "08:00–12:00" or ""
    breaks_window: bool
    delay_min: int  # eta minus planned arrival (0 once over)


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveRoute:
    technician_id: int
    name: str
    where: str  # "on site at Kevin Gérard (Lyon) since 10:05"
    stops: tuple[LiveStop, ...]

    @property
    def done(self) -> int:
        return sum(1 for s in self.stops if s.status in (STATUS_DONE, STATUS_FAILED))

    @property
    def broken(self) -> tuple[LiveStop, ...]:
        return tuple(s for s in self.stops if s.breaks_window)

    @property
    def delay_min(self) -> int:
        """Delay of the next stop still to reach (0 if the round is over)."""
        ahead = [s for s in self.stops if s.eta is not None]
        return ahead[0].delay_min if ahead else 0


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveBoard:
    plan_id: int
    day: date
    at: datetime
    routes: tuple[LiveRoute, ...]

    def count(self, status: str) -> int:
        return sum(1 for r in self.routes for s in r.stops if s.status == status)

    @property
    def flagged(self) -> tuple[LiveRoute, ...]:
        return tuple(r for r in self.routes if r.broken)


def board_time(session: Session, day: date, now: datetime) -> datetime:
    """The moment the board shows: now on the day itself; for a past day, its last
    report (else 18:00); for a day ahead, its 00:00 (the plan as made)."""
    today = now.astimezone(PARIS).date()
    if day == today:
        return now
    if day > today:
        return datetime.combine(day, time(0), tzinfo=PARIS)
    last = session.scalar(
        select(
            func.max(
                func.coalesce(Visit.completed_at, Visit.arrived_at, Visit.on_my_way_at)
            )
        ).where(Visit.visit_on == day)
    )
    return last or datetime.combine(day, time(18), tzinfo=PARIS)


def live_board(
    session: Session, plan_id: int, *, actor: Principal, now: datetime | None = None
) -> LiveBoard:
    """Every route of a technician plan, stop by stop, as it stands at ``now``
    (a dispatcher's board: ``AccessDenied`` for other roles)."""
    check_role(actor, Role.DISPATCHER)
    view = planning.load_plan(session, plan_id)
    at = board_time(session, view.day, now or datetime.now(UTC))
    ids = [s.ticket_id for r in view.routes for s in r.stops if s.ticket_id]
    visits = {
        v.ticket_id: v
        for v in session.scalars(
            select(Visit).where(Visit.visit_on == view.day, Visit.ticket_id.in_(ids))
        )
    }
    info = {
        t.id: (t, c)
        for t, c in session.execute(
            select(RepairTicket, Customer)
            .join(Customer, Customer.id == RepairTicket.customer_id)
            .where(RepairTicket.id.in_(ids))
        )
    }
    techs = {t.id: t for t in session.scalars(select(Technician))}
    routes = []
    for r in view.routes:
        tech = techs.get(r.vehicle_id)
        if tech is None:
            continue
        routes.append(_route(r, tech, visits, info, at))
    return LiveBoard(plan_id=plan_id, day=view.day, at=at, routes=tuple(routes))


def _hhmm(at: datetime | None) -> str:
    return at.astimezone(PARIS).strftime("%H:%M") if at else ""


def _route(
    r: planning.RouteView,
    tech: Technician,
    visits: dict[int, Visit],
    info: dict[int, tuple[RepairTicket, Customer]],
    at: datetime,
) -> LiveRoute:
    stops = [
        (s, *info[s.ticket_id])
        for s in r.stops
        if s.ticket_id is not None and s.ticket_id in info
    ]
    places = [(tech.home_lat, tech.home_lon)] + [
        (s.lat if s.lat is not None else c.lat, s.lon if s.lon is not None else c.lon)
        for s, _, c in stops
    ]
    drive = HaversineTravel().matrix(places).durations_s
    last = max(
        (i for i, (s, _, _) in enumerate(stops) if s.ticket_id in visits),
        default=-1,
    )
    # where the technician is (index into places) and from when they are free
    pos, free = 0, max(at, r.start_at or at)
    where = "not started"
    out: list[LiveStop] = []
    for i, (s, t, c) in enumerate(stops):
        v = visits.get(t.id)
        service = s.departure_at - s.start_at
        win = (
            (t.window_start, t.window_end) if t.window_start and t.window_end else None
        )
        window = f"{_hhmm(win[0])}–{_hhmm(win[1])}" if win else ""
        who = f"{c.name} ({c.town})"
        status = VisitStatus(v.status) if v else VisitStatus.PLANNED
        if i <= last and v is not None:  # a stop not reported is estimated below
            if status in (VisitStatus.DONE, VisitStatus.FAILED):
                end = v.completed_at or at
                pos, free = i + 1, max(at, end)
                where = f"{'finished' if status is VisitStatus.DONE else 'left'} {who} at {_hhmm(end)}"
                label = STATUS_DONE if status is VisitStatus.DONE else STATUS_FAILED
                out.append(_stop(s, t, c, None, label, window, False))
                continue
            if status is VisitStatus.ARRIVED:
                arrived = v.arrived_at or at
                pos, free = i + 1, max(at, arrived + service)
                where = f"on site at {who} since {_hhmm(arrived)}"
                out.append(_stop(s, t, c, arrived, STATUS_ON_SITE, window, False))
                continue
            if status is VisitStatus.ON_MY_WAY:
                eta = max(at, v.eta_at or at)
                pos, free = i + 1, _start(eta, win) + service
                where = f"on the way to {who}, expected {_hhmm(eta)}"
                late = bool(win and _start(eta, win) > win[1])
                out.append(_stop(s, t, c, eta, STATUS_ON_WAY, window, late))
                continue
            # not reported although a later stop was: counted as skipped
        eta = free + timedelta(seconds=int(drive[pos, i + 1]))
        if r.break_start_at and free <= r.break_start_at < eta:
            eta += timedelta(minutes=tech.break_minutes)
        start = _start(eta, win)
        pos, free = i + 1, start + service
        breaks = bool(win and start > win[1])
        if breaks or eta - s.arrival_at > SLACK:
            label = STATUS_LATE
        elif s.arrival_at - eta > SLACK:
            label = STATUS_AHEAD
        else:
            label = STATUS_ON_TIME
        out.append(_stop(s, t, c, eta, label, window, breaks))
    return LiveRoute(
        technician_id=tech.id, name=tech.name, where=where, stops=tuple(out)
    )


def _start(arrival: datetime, win: tuple[datetime, datetime] | None) -> datetime:
    return max(arrival, win[0]) if win else arrival


def _stop(
    s: planning.StopView,
    t: RepairTicket,
    c: Customer,
    eta: datetime | None,
    status: str,
    window: str,
    breaks: bool,
) -> LiveStop:
    over = status in (STATUS_DONE, STATUS_FAILED, STATUS_ON_SITE)
    return LiveStop(
        job_ref=s.job_ref,
        ticket_ref=t.ref,
        seq=s.seq,
        customer=c.name,
        town=c.town,
        planned=s.arrival_at,
        eta=None if status in (STATUS_DONE, STATUS_FAILED) else eta,
        status=status,
        window=window,
        breaks_window=breaks,
        delay_min=0
        if over or eta is None
        else round((eta - s.arrival_at).total_seconds() / 60),
    )
