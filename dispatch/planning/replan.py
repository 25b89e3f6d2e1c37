"""Re-planning the rest of a day from what happened so far, changing as little as it can.

The day's published plan and the field reports (``Visit``) say where each technician
is: visits done, could-not-fix, on site or on the way are *frozen* (kept where they
are, in the saved plan too); each technician leaves from their last frozen stop when
it is over (or from home, not before ``at``). The rest is re-optimised with minimal
change (``dispatch.planning.minimal``): every round is kept as it stands except
the technicians near what must find a place (the emergency, the round of a
technician off sick, what a late technician can no longer do), re-solved in two
passes of the same engine:

1. every remaining visit stays with its technician (pinned), started from the
   current order; only new work (an emergency), the round of a technician off
   sick and visits left out before are free to go anywhere;
2. visits that pass 1 had to drop (their technician is now too late) are freed and
   re-placed on any technician of the neighbourhood, everyone else staying where
   pass 1 put them.

So a visit moves to another technician only when its own cannot do it any more,
and only to a technician nearby. ``seconds`` is the budget of the whole re-plan.
The three day-of-service cases are one call each: an emergency (``emergency``: a
critical ticket inserted today, above everything else), a technician running late
(``late``: minutes added to where they are), a technician off sick (``absent``).
Each outcome lists the visits it moved and the promised windows it breaks.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.base import PARIS
from data.enums import Role
from data.models import (
    PlanRoute,
    PlanStop,
    RepairTicket,
    Technician,
    TechnicianAbsence,
)
from dispatch.access.roles import Principal, acting
from dispatch.planning.builder import DayProblem
from dispatch.planning.minimal import from_scratch, minimal_change
from dispatch.planning.rest_of_day import (
    ReplanError,
    _Frozen,
    rest_of_day,
)
from dispatch.planning.saved import (
    PlanView,
    load_plan,
    local_iso,
    plan_json,
    planned_breaks,
    save_plan,
)
from routing import (
    Solution,
    validate,
)

__all__ = [
    "Moved",
    "ReplanError",
    "ReplanResult",
    "from_scratch",
    "moved_jobs",
    "replan",
    "replan_json",
]

DEFAULT_SECONDS = 6.0


@dataclass(frozen=True, slots=True)
class Moved:
    job: str  # routing ref "T123"
    ticket_id: int | None
    from_name: str
    to_name: str
    why: str


@dataclass(frozen=True, slots=True)
class BrokenWindow:
    job: str
    ticket_id: int | None
    window: str
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplanResult:
    plan_id: int
    based_on: int
    at: datetime
    frozen: tuple[str, ...]
    moved: tuple[Moved, ...]
    dropped: tuple[Moved, ...]
    added: tuple[Moved, ...]
    broken: tuple[BrokenWindow, ...]
    violations: int
    seconds: float
    passes: int
    notes: tuple[str, ...] = field(default=())
    neighbourhood: tuple[str, ...] = ()  # vehicle refs of the technicians re-solved
    neighbourhood_jobs: int = 0  # their visits


# --- what moved ---------------------------------------------------------------------


def _lcs_keep(a: Sequence[str], b: Sequence[str]) -> set[str]:
    """Jobs of ``b`` on a longest common subsequence with ``a`` (they kept their order)."""
    n, m = len(a), len(b)
    t = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for k in range(m - 1, -1, -1):
            t[i][k] = (
                t[i + 1][k + 1] + 1 if a[i] == b[k] else max(t[i + 1][k], t[i][k + 1])
            )
    keep, i, k = set(), 0, 0
    while i < n and k < m:
        if a[i] == b[k]:
            keep.add(a[i])
            i, k = i + 1, k + 1
        elif t[i + 1][k] >= t[i][k + 1]:
            i += 1
        else:
            k += 1
    return keep


def moved_jobs(
    before: Mapping[str, Sequence[str]],
    after: Mapping[str, Sequence[str]],
    names: Mapping[str, str],
    tickets: Mapping[str, int | None],
    reason: Mapping[str, str] | None = None,
) -> tuple[tuple[Moved, ...], tuple[Moved, ...], tuple[Moved, ...]]:
    """(moved, dropped, added) between two assignments (vehicle ref -> job refs in order).

    Moved: another technician, or out of order with the visits it shared a round with
    (those off the longest common subsequence of the two orders)."""
    owner_a = {j: v for v, js in before.items() for j in js}
    owner_b = {j: v for v, js in after.items() for j in js}
    moved, dropped, added = [], [], []
    for v, js in after.items():
        common_a = [j for j in before.get(v, ()) if owner_b.get(j) == v]
        common_b = [j for j in js if owner_a.get(j) == v]
        kept = _lcs_keep(common_a, common_b)
        for j in js:
            if j not in owner_a:
                added.append(Moved(j, tickets.get(j), "", names.get(v, v), "added"))
            elif owner_a[j] != v:
                why = (reason or {}).get(j, "to another technician")
                moved.append(
                    Moved(
                        j,
                        tickets.get(j),
                        names.get(owner_a[j], owner_a[j]),
                        names.get(v, v),
                        why,
                    )
                )
            elif j not in kept:
                moved.append(
                    Moved(
                        j,
                        tickets.get(j),
                        names.get(v, v),
                        names.get(v, v),
                        "order changed",
                    )
                )
    for j, v in owner_a.items():
        if j not in owner_b:
            dropped.append(Moved(j, tickets.get(j), names.get(v, v), "", "left out"))
    return tuple(moved), tuple(dropped), tuple(added)


# --- the public entry ---------------------------------------------------------------


def _ticket_by_ref(session: Session, ref: str) -> RepairTicket:
    t = session.scalar(select(RepairTicket).where(RepairTicket.ref == ref.strip()))
    if t is None:
        raise ReplanError(f"ticket {ref!r} does not exist")
    return t


def _technician_by_ref(session: Session, ref: str) -> Technician:
    t = session.scalar(select(Technician).where(Technician.code == ref.strip().upper()))
    if t is None:
        raise ReplanError(
            f"technician {ref!r} does not exist (use a code like TEC-001)"
        )
    return t


def _emergency(session: Session, ref: str, day: date, actor: str) -> int:
    t = _ticket_by_ref(session, ref)
    if t.resolution_path != "onsite" or t.status not in ("triaged", "scheduled"):
        raise ReplanError(
            f"ticket {t.ref} is {t.status} on the {t.resolution_path} path: only an "
            "on-site ticket waiting for its visit can be inserted"
        )
    if t.visit_on != day:
        record(
            session,
            actor,
            "repair_ticket",
            t.id,
            "emergency",
            visit_on=day,
            was=t.visit_on,
        )
        t.visit_on = day
    return t.id


def _absent(session: Session, ref: str, day: date, actor: str) -> int:
    tech = _technician_by_ref(session, ref)
    exists = session.scalar(
        select(TechnicianAbsence.id).where(
            TechnicianAbsence.technician_id == tech.id, TechnicianAbsence.on_date == day
        )
    )
    if exists is None:
        session.add(
            TechnicianAbsence(technician_id=tech.id, on_date=day, reason="off sick")
        )
        record(
            session,
            actor,
            "technician",
            tech.code,
            "absent",
            day=day,
            reason="off sick",
        )
    return tech.id


def _broken(
    dp: DayProblem, published: PlanView, sol: Solution, frozen_jobs: set[str]
) -> tuple[BrokenWindow, ...]:
    """Promised windows of the day the outcome does not keep: left out, or outside."""
    placed = {s.job_id: s for r in sol.routes for s in r.stops}
    was = set(published.owner())
    out = []
    for ref, m in dp.jobs.items():
        if m.window is None or ref in frozen_jobs:
            continue
        text = f"{m.window[0].astimezone(PARIS):%H:%M}–{m.window[1].astimezone(PARIS):%H:%M}"
        s = placed.get(ref)
        if s is None and ref in was:
            out.append(BrokenWindow(ref, m.ticket_id, text, "left out of the day"))
        elif s is not None and dp.to_local(s.start_s) > m.window[1]:
            out.append(BrokenWindow(ref, m.ticket_id, text, "arrives after the window"))
    return tuple(out)


def replan(
    session: Session,
    *,
    day: date,
    at: datetime,
    actor: Principal,
    emergency: str | None = None,
    absent: str | None = None,
    late: Mapping[str, int] | None = None,
    seconds: float = DEFAULT_SECONDS,
) -> ReplanResult:
    """Re-plan the rest of ``day`` from ``at``; saves a draft based on the published plan.

    ``emergency``: a ticket reference to insert today; ``absent``: a technician code off
    sick from now; ``late``: technician code -> minutes they are behind; ``seconds``:
    the time budget of the whole re-plan (the searches get most of it). ``actor``: the
    acting user, a dispatcher (``AccessDenied`` otherwise, before anything is read
    or written).
    """
    actor_name = acting(actor, Role.DISPATCHER)

    t0 = time.monotonic()
    emergency_id = (
        _emergency(session, emergency, day, actor_name) if emergency else None
    )
    absent_ids = [_absent(session, absent, day, actor_name)] if absent else []
    late_ids = {
        _technician_by_ref(session, k).id: int(v) for k, v in (late or {}).items()
    }
    session.flush()
    dp, published, frozen, free_jobs = rest_of_day(
        session, day, at, absent=absent_ids, late=late_ids, emergency=emergency_id
    )
    frozen_jobs = {s.job_ref for f in frozen.values() for s in f.stops}
    order = {
        r.vehicle_ref: [s.job_ref for s in r.stops if s.job_ref not in frozen_jobs]
        for r in published.routes
    }
    on_plan = set(published.owner())
    seeds = {j for j in free_jobs if j in on_plan}  # a technician off sick's round
    if emergency_id is not None:
        seeds.add(f"T{emergency_id}")
    late_refs = [v for v, m in dp.vehicles.items() if m.technician_id in late_ids]
    done = minimal_change(
        dp,
        order,
        seeds=seeds,
        free=free_jobs,
        late=late_refs,
        breaks=planned_breaks(published),
        deadline=t0 + seconds,
    )
    sol, passes = done.solution, done.passes
    dp = replace(dp, problem=done.problem)
    violations = validate(dp.problem, sol)
    label = _label(at, emergency, absent, late)
    plan_id = save_plan(
        session,
        dp,
        sol,
        actor=actor_name,
        label="",
        params={
            "replan": {
                "at": local_iso(at),
                "emergency": emergency,
                "absent": absent,
                "late": dict(late or {}),
                "what": label,
            }
        },
        based_on=published.id,
    )
    _keep_frozen(session, plan_id, published, frozen)
    names = {r.vehicle_ref: r.name for r in published.routes}
    names |= {v: m.name for v, m in dp.vehicles.items()}
    tickets = {ref: m.ticket_id for ref, m in dp.jobs.items()}
    tickets |= {s.job_ref: s.ticket_id for r in published.routes for s in r.stops}
    before = order
    after = {r.vehicle_id: list(r.job_ids) for r in sol.routes}
    sick = {
        j
        for v, js in before.items()
        if v in {f"tech:{i}" for i in absent_ids}
        for j in js
    }
    moved, dropped, added = moved_jobs(
        before, after, names, tickets, dict.fromkeys(sick, "technician off sick")
    )
    broken = _broken(dp, published, sol, frozen_jobs)
    record(
        session, actor_name, "plan", plan_id, "replan", based_on=published.id, at=at,
        what=label, moved=len(moved), dropped=len(dropped), broken=len(broken),
    )  # fmt: skip
    return ReplanResult(
        plan_id=plan_id,
        based_on=published.id,
        at=at,
        frozen=tuple(sorted(frozen_jobs)),
        moved=moved,
        dropped=dropped,
        added=added,
        broken=broken,
        violations=len(violations),
        seconds=round(time.monotonic() - t0, 2),
        passes=passes,
        notes=tuple(
            f"{v.kind.value}: {v.job_id or v.vehicle_id} {v.detail}" for v in violations
        ),
        neighbourhood=done.vehicles,
        neighbourhood_jobs=done.jobs,
    )


def _label(
    at: datetime,
    emergency: str | None,
    absent: str | None,
    late: Mapping[str, int] | None,
) -> str:
    parts = [f"re-plan from {at.astimezone(PARIS):%H:%M}"]
    if emergency:
        parts.append(f"emergency {emergency}")
    if absent:
        parts.append(f"{absent} off sick")
    for k, v in (late or {}).items():
        parts.append(f"{k} {v} min late")
    return " · ".join(parts)


def _keep_frozen(
    session: Session, plan_id: int, published: PlanView, frozen: Mapping[str, _Frozen]
) -> None:
    """Put the frozen stops back at the head of their technicians' routes in the draft
    (one read of the draft's stops, one write)."""
    routes = {
        r.technician_id: r
        for r in session.scalars(select(PlanRoute).where(PlanRoute.plan_id == plan_id))
    }
    stops: dict[int, list[PlanStop]] = {}
    for st in session.scalars(
        select(PlanStop)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .where(PlanRoute.plan_id == plan_id)
    ):
        stops.setdefault(st.route_id, []).append(st)
    old = {r.vehicle_ref: r for r in published.routes}
    placed: list[tuple[PlanRoute, _Frozen]] = []
    for ref, f in frozen.items():
        tech_id = old[ref].vehicle_id
        route = routes.get(tech_id)
        if route is None:
            route = PlanRoute(
                plan_id=plan_id,
                technician_id=tech_id,
                start_at=old[ref].start_at,
                end_at=f.free_at,
            )
            session.add(route)
        else:
            route.start_at = old[ref].start_at
            for st in stops.get(route.id, ()):
                st.seq += len(f.stops)
        placed.append((route, f))
    session.flush()  # ids of the new routes
    session.add_all(
        PlanStop(
            route_id=route.id, seq=seq, job_ref=s.job_ref, ticket_id=s.ticket_id,
            arrival_at=s.arrival_at, start_at=s.start_at,
            departure_at=s.departure_at, pinned=True, lat=s.lat, lon=s.lon,
            label=s.label,
        )
        for route, f in placed
        for seq, s in enumerate(f.stops, 1)
    )  # fmt: skip
    session.flush()


def replan_json(session: Session, result: ReplanResult) -> dict[str, Any]:
    """``tournee plan``'s JSON of the draft, plus what moved and the windows it breaks."""

    def row(m: Moved) -> dict[str, Any]:
        return {
            "job": m.ticket_id or m.job,
            "ref": m.job,
            "from": m.from_name,
            "to": m.to_name,
            "why": m.why,
        }

    out = plan_json(load_plan(session, result.plan_id))
    out["based_on"] = result.based_on
    out["at"] = local_iso(result.at)
    out["frozen"] = list(result.frozen)
    out["moved"] = [row(m) for m in result.moved]
    out["dropped"] = [row(m) for m in result.dropped]
    out["added"] = [row(m) for m in result.added]
    out["broken_windows"] = [
        {"job": b.ticket_id or b.job, "ref": b.job, "window": b.window, "why": b.why}
        for b in result.broken
    ]
    return out
