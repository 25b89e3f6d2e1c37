"""SLA-due work in a horizon: planned first within its priority class, and checked.

A day's priority sees a visit due in three days as "later", like one due in three
weeks, so a horizon planned day by day could fill its first days with work that can
wait and push a visit past its due day. :func:`due_first` raises, within each
priority class, every visit whose SLA falls due by the horizon's last day above every
visit of that class that can wait: the earliest day with room takes it, and among
SLA-due visits (and among the others) the order stays the day's priority. Classes stay
strict (a higher class still comes first), so "higher priority earlier" holds across
classes and "before its due day where capacity allows" within one.

:func:`sla_due_report` is the independent check over the saved plans of the days: each
visit due by the horizon's last day, on which day it was first placed, and for each
one placed after its due day (or not at all) whether a visit that could wait, of no
higher class, took a technician with its skill in its region on a day it was still in
time: ``displaced`` should be empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.models import Customer, RepairTicket, VisitBooking
from dispatch.planning.builder import DayProblem
from dispatch.planning.saved import load_plan


def due_day(at: datetime | None) -> date | None:
    """The Paris calendar day an SLA falls due on."""
    return None if at is None else at.astimezone(PARIS).date()


def due_first(dp: DayProblem, last_day: date) -> DayProblem:
    """``dp`` with each visit due by ``last_day`` above every visit of its class that
    can wait (its solver priority plus the class's highest; classes unchanged)."""
    due = {
        ref
        for ref, m in dp.jobs.items()
        if (d := due_day(m.sla_due_at)) is not None and d <= last_day
    }
    if not due:
        return dp
    top: dict[int, int] = defaultdict(int)
    for j in dp.problem.jobs:
        top[j.priority_class] = max(top[j.priority_class], j.priority)
    jobs = tuple(
        replace(j, priority=j.priority + top[j.priority_class]) if j.id in due else j
        for j in dp.problem.jobs
    )
    return replace(dp, problem=replace(dp.problem, jobs=jobs))


@dataclass(frozen=True, slots=True)
class DueVisit:
    ticket_id: int
    due: date
    placed_on: date | None  # the first day of the horizon it was placed on


@dataclass(frozen=True, slots=True)
class SlaDueReport:
    """Visits offered to the horizon whose SLA falls due by its last day; those due
    before its first day (already overdue) count as due on that first day."""

    start: date
    visits: tuple[DueVisit, ...]
    displaced: tuple[int, ...]  # late or unplaced while work that could wait had room

    def _in_time(self, v: DueVisit) -> bool:
        return v.placed_on is not None and v.placed_on <= max(v.due, self.start)

    @property
    def in_time(self) -> int:
        """Placed on a day on or before their due day."""
        return sum(1 for v in self.visits if self._in_time(v))

    @property
    def late(self) -> int:
        return sum(
            1 for v in self.visits if v.placed_on is not None and not self._in_time(v)
        )

    @property
    def unplaced(self) -> int:
        return sum(1 for v in self.visits if v.placed_on is None)

    @property
    def overdue(self) -> int:
        """Already overdue as the horizon starts."""
        return sum(1 for v in self.visits if v.due < self.start)

    def line(self) -> str:
        n = len(self.visits)
        share = f"{100 * self.in_time / n:.1f} %" if n else "-"
        return (
            f"SLA-due visits {n} ({self.overdue} overdue at the start): "
            f"{self.in_time} by their due day ({share}), {self.late} later, "
            f"{self.unplaced} not placed; {len(self.displaced)} of those while "
            "work that could wait took the room"
        )


@dataclass(frozen=True, slots=True)
class _Placed:
    ticket_id: int
    day: date
    skills: frozenset[str]
    priority_class: int


def sla_due_report(session: Session, plan_ids: Sequence[int]) -> SlaDueReport:
    """Check the horizon's saved day plans (first placement counts for a visit planned
    on several days, as when each day is planned alone)."""
    views = [load_plan(session, pid) for pid in plan_ids]
    if not views:
        return SlaDueReport(date.min, (), ())
    last = max(v.day for v in views)
    placed: dict[int, _Placed] = {}
    offered: dict[int, int] = {}  # ticket -> priority class
    for view in sorted(views, key=lambda v: v.day):
        for r in view.routes:
            for s in r.stops:
                if s.ticket_id is None:
                    continue
                offered.setdefault(s.ticket_id, s.priority_class or 0)
                if s.ticket_id not in placed:
                    placed[s.ticket_id] = _Placed(
                        s.ticket_id,
                        view.day,
                        frozenset(r.skills),
                        s.priority_class or 0,
                    )
        for u in view.unassigned:
            if u.ticket_id is not None:
                offered.setdefault(u.ticket_id, u.priority_class or 0)
    info = {
        t.id: (t, region)
        for t, region in session.execute(
            select(RepairTicket, Customer.region)
            .join(Customer, Customer.id == RepairTicket.customer_id)
            .where(RepairTicket.id.in_(list(offered)))
        )
    }
    first = min(v.day for v in views)
    booked = set(
        session.scalars(
            select(VisitBooking.ticket_id).where(
                VisitBooking.day >= first, VisitBooking.day <= last
            )
        )
    )
    visits = []
    for tid in sorted(offered):
        d = due_day(info[tid][0].sla_due_at) if tid in info else None
        if d is not None and d <= last:
            p = placed.get(tid)
            visits.append(DueVisit(tid, d, p.day if p else None))
    can_wait: dict[str, list[_Placed]] = defaultdict(list)  # region -> placements
    for p in placed.values():
        d = due_day(info[p.ticket_id][0].sla_due_at)
        if p.ticket_id not in booked and (d is None or d > last):
            can_wait[info[p.ticket_id][1]].append(p)
    report = SlaDueReport(first, tuple(visits), ())
    displaced = []
    for v in visits:
        if report._in_time(v):
            continue
        by = max(v.due, first)
        t, region = info[v.ticket_id]
        cls = offered[v.ticket_id]
        if any(
            w.day <= by
            and w.priority_class <= cls
            and (t.required_skill is None or t.required_skill in w.skills)
            for w in can_wait[region]
        ):
            displaced.append(v.ticket_id)
    return replace(report, displaced=tuple(displaced))
