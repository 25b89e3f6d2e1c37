"""Planning the days ahead: N days planned in turn, each a plan like today's.

Day by day, earliest first: each day's problem holds the visits not yet placed on an
earlier day of the horizon (booked visits only on their own day, as the day builder
already does), so the most urgent work — priority counts SLA slack — takes the first
days and a visit due on day 3 with day 1 full goes to day 2. Within each priority
class, visits whose SLA falls due inside the horizon come before those that can wait
(:func:`dispatch.planning.horizon_sla.due_first`): a day's own priority sees a visit
due in three days as "later", like one due in three weeks. A day is solved within
the shifts first; when visits due by the end of that day are still left out, it is
solved again with up to ``overtime_minutes`` of overtime per technician, and the
overtime used is reported. Weekly hour limits shorten (or cancel) later shifts of a
technician who has worked their week. Days with a published plan are kept as
published unless ``replan_published``; each planned day is saved as a draft plan,
publishable day by day.

:func:`solve_horizon` only reads and solves; :func:`save_horizon` writes the days'
plans (the CLI does both in one transaction, a board's plan run solves outside any
write transaction and saves in one short one). ``horizon_io.horizon_summary`` is what a
plan run keeps for the board: per day and region placed, unplaced and overtime,
per technician hours against their limits.
"""

from __future__ import annotations

import time as time_mod
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.enums import PlanKind, PlanStatus, Role
from data.models import Plan, Technician
from dispatch.access.roles import Principal, acting
from dispatch.planning.availability import (
    DEFAULT_MAX_DAY_H,
    DEFAULT_MAX_WEEK_H,
    week_of,
)
from dispatch.planning.builder import DayProblem, technician_day
from dispatch.planning.horizon_sla import due_first
from dispatch.planning.saved import latest_plan_id, load_plan, save_plan
from dispatch.planning.solving import solve_day
from routing import CancelToken, Problem, ProgressCallback, Solution, TimeWindow

DEFAULT_OVERTIME_MIN = 60
MIN_SHIFT_H = 2.0  # a shift cut shorter than this by the weekly limit is not worked


@dataclass(frozen=True, slots=True)
class RegionDay:
    """One region on one day of a horizon."""

    placed: int
    unplaced: int
    overtime_minutes: int


@dataclass(frozen=True, slots=True)
class HorizonDay:
    day: date
    plan_id: int
    kept: bool  # a published plan kept as it was
    placed: int
    unplaced: int
    overtime_minutes: dict[str, int]  # technician name -> minutes
    hours: dict[str, float]  # technician name -> hours worked
    spread_hours: dict[str, float]  # region -> max - min hours among its technicians
    regions: dict[str, RegionDay] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Horizon:
    start: date
    days: tuple[HorizonDay, ...]
    overtime_minutes: dict[str, int] = field(default_factory=dict)
    spread_hours: dict[str, float] = field(default_factory=dict)
    week_hours: dict[str, float] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)  # technician -> weekly max
    day_limits: dict[str, float] = field(
        default_factory=dict
    )  # technician -> daily max
    regions: dict[str, str] = field(default_factory=dict)  # technician -> region


def _without(dp: DayProblem, done: set[str]) -> DayProblem:
    jobs = tuple(j for j in dp.problem.jobs if j.id not in done)
    return replace(
        dp,
        problem=replace(dp.problem, jobs=jobs),
        jobs={k: v for k, v in dp.jobs.items() if k not in done},
    )


def _with_shifts(
    dp: DayProblem, end_of: Callable[[str, TimeWindow], int | None]
) -> DayProblem:
    """The day with each vehicle's shift end set by ``end_of`` (None: not working)."""
    vehicles = []
    for v in dp.problem.vehicles:
        end = end_of(v.id, v.shift)
        if end is None:
            continue
        breaks = tuple(b for b in v.breaks if b.window.end_s <= end)
        vehicles.append(
            replace(
                v, shift=TimeWindow(start_s=v.shift.start_s, end_s=end), breaks=breaks
            )
        )
    ids = {v.id for v in vehicles}
    jobs = tuple(
        j
        if j.pinned_vehicle in ids or j.pinned_vehicle is None
        else replace(j, pinned_vehicle=None)
        for j in dp.problem.jobs
    )
    problem: Problem = replace(dp.problem, vehicles=tuple(vehicles), jobs=jobs)
    return replace(dp, problem=problem)


def _due_by(dp: DayProblem, sol: Solution, day: date) -> int:
    """Left-out visits whose SLA falls due by the end of ``day``."""
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)
    return sum(
        1
        for u in sol.unassigned
        if (m := dp.jobs.get(u.job_id)) is not None
        and m.sla_due_at is not None
        and m.sla_due_at < end
    )


def _hours(dp: DayProblem, sol: Solution) -> dict[str, float]:
    return {
        dp.vehicles[r.vehicle_id].name: round((r.end_s - r.start_s) / 3600, 2)
        for r in sol.routes
        if r.stops
    }


def _spread(dp: DayProblem, hours: dict[str, float]) -> dict[str, float]:
    by_region: dict[str, list[float]] = defaultdict(list)
    for v in dp.problem.vehicles:
        meta = dp.vehicles[v.id]
        by_region[meta.region].append(hours.get(meta.name, 0.0))
    return {r: round(max(h) - min(h), 2) for r, h in sorted(by_region.items()) if h}


@dataclass(frozen=True, slots=True)
class _Solved:
    """One day of a horizon solved but not saved (``dp``/``sol`` None: kept published)."""

    summary: HorizonDay
    dp: DayProblem | None = None
    sol: Solution | None = None


@dataclass(frozen=True, slots=True)
class HorizonDraft:
    """A horizon solved and not yet saved: :func:`save_horizon` writes it."""

    start: date
    days: int
    solved: tuple[_Solved, ...]
    horizon: Horizon  # plan ids 0 for the days not saved yet


def _regions(
    dp: DayProblem,
    placed: dict[str, int],  # vehicle ref -> visits
    unplaced: list[str],  # job refs
    overtime: dict[str, int],  # technician name -> minutes
) -> dict[str, RegionDay]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for vid, meta in dp.vehicles.items():
        out[meta.region][0] += placed.get(vid, 0)
        out[meta.region][2] += overtime.get(meta.name, 0)
    for ref in unplaced:
        meta_j = dp.jobs.get(ref)
        out[meta_j.region if meta_j else ""][1] += 1
    return {r: RegionDay(*v) for r, v in sorted(out.items())}


def plan_horizon(
    session: Session,
    start: date,
    days: int,
    *,
    seconds: float,
    actor: Principal,
    region: str | None = None,
    overtime_minutes: int = DEFAULT_OVERTIME_MIN,
    replan_published: bool = False,
    progress: Callable[[str], None] | None = None,
    balance_per_hour: float = 0.0,
) -> Horizon:
    """Plan ``days`` days from ``start`` and save them (a dispatcher: ``AccessDenied``
    otherwise, before anything is read); the caller owns the transaction."""
    name = acting(actor, Role.DISPATCHER)
    draft = solve_horizon(
        session,
        start,
        days,
        seconds=seconds,
        region=region,
        overtime_minutes=overtime_minutes,
        replan_published=replan_published,
        progress=progress,
        balance_per_hour=balance_per_hour,
    )
    return save_horizon(session, draft, actor=name)


def solve_horizon(
    session: Session,
    start: date,
    days: int,
    *,
    seconds: float,
    region: str | None = None,
    overtime_minutes: int = DEFAULT_OVERTIME_MIN,
    replan_published: bool = False,
    progress: Callable[[str], None] | None = None,
    solve_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    balance_per_hour: float = 0.0,
) -> HorizonDraft:
    """Solve ``days`` days from ``start`` reading only (a plan run does this outside any
    write transaction, then saves with :func:`save_horizon` in one short one).

    ``balance_per_hour`` > 0 evens technicians' hours within each region
    (``routing.balance``; the spread is reported either way); ``seconds``: all days'."""
    if days < 1:
        raise ValueError("a horizon has at least one day")
    deadline = time_mod.monotonic() + seconds  # each day: its share of what is left
    last_day = start + timedelta(days=days - 1)
    techs = {t.id: t for t in session.scalars(select(Technician))}
    used: dict[tuple[int, date], float] = defaultdict(float)  # (tech id, week) -> hours
    placed_refs: set[str] = set()
    out: list[_Solved] = []
    total_ot: dict[str, int] = defaultdict(int)
    spread: dict[str, float] = {}
    for k in range(days):
        day = start + timedelta(days=k)
        if progress:
            progress(f"day {k + 1}/{days}: {day.isoformat()}")
        dp = due_first(
            _without(technician_day(session, day, region), placed_refs), last_day
        )
        published = (
            None
            if replan_published
            else latest_plan_id(
                session,
                PlanKind.TECHNICIANS.value,
                day,
                region,
                status=PlanStatus.PUBLISHED.value,
            )
        )
        if published is not None:
            view = load_plan(session, published)
            placed_refs |= {s.job_ref for r in view.routes for s in r.stops}
            hours = {r.name: round(r.minutes / 60, 2) for r in view.routes if r.stops}
            for r in view.routes:
                used[(r.vehicle_id, week_of(day))] += r.minutes / 60
            kept = HorizonDay(
                day,
                published,
                True,
                sum(len(r.stops) for r in view.routes),
                len(view.unassigned),
                {},
                hours,
                _spread(dp, hours),
                _regions(
                    dp,
                    {r.vehicle_ref: len(r.stops) for r in view.routes if r.stops},
                    [u.job_ref for u in view.unassigned],
                    {},
                ),
            )
            out.append(_Solved(kept))
            continue

        def end_of(
            vid: str,
            shift: TimeWindow,
            extra_s: int = 0,
            dp: DayProblem = dp,
            day: date = day,
        ) -> int | None:
            tid = dp.vehicles[vid].technician_id
            t = techs.get(tid) if tid else None
            if t is None:
                return shift.end_s + extra_s
            left_h = (t.max_hours_week or DEFAULT_MAX_WEEK_H) - used[
                (t.id, week_of(day))
            ]
            if left_h < MIN_SHIFT_H:
                return None
            return min(shift.end_s + extra_s, shift.start_s + int(left_h * 3600))

        base = _with_shifts(dp, end_of)
        per_day = max(1.0, (deadline - time_mod.monotonic()) / (days - k))
        sol = solve_day(
            base,
            per_day,
            progress=solve_progress,
            cancel=cancel,
            balance_per_hour=balance_per_hour,
        )
        chosen, nominal_ends = (
            base,
            {v.id: v.shift.end_s for v in base.problem.vehicles},
        )
        if (
            overtime_minutes > 0
            and _due_by(base, sol, day)
            and not (cancel and cancel.is_cancelled())
        ):
            extended = _with_shifts(
                dp, lambda vid, sh: end_of(vid, sh, overtime_minutes * 60)
            )
            sol_ot = solve_day(
                extended,
                max(1.0, per_day / 2),
                progress=solve_progress,
                cancel=cancel,
                balance_per_hour=balance_per_hour,
            )
            if len(sol_ot.unassigned) < len(sol.unassigned):
                chosen, sol = extended, sol_ot
        ot: dict[str, int] = {}
        for route in sol.routes:
            over = route.end_s - nominal_ends.get(route.vehicle_id, route.end_s)
            if route.stops and over > 0:
                name = chosen.vehicles[route.vehicle_id].name
                ot[name] = round(over / 60)
                total_ot[name] += ot[name]
        for route in sol.routes:
            tid = chosen.vehicles[route.vehicle_id].technician_id
            if tid and route.stops:
                used[(tid, week_of(day))] += (route.end_s - route.start_s) / 3600
        placed_refs |= {s.job_id for route in sol.routes for s in route.stops}
        hours = _hours(chosen, sol)
        day_spread = _spread(chosen, hours)
        for reg, h in day_spread.items():
            spread[reg] = max(spread.get(reg, 0.0), h)
        summary = HorizonDay(
            day,
            0,
            False,
            sum(len(r.stops) for r in sol.routes),
            len(sol.unassigned),
            ot,
            hours,
            day_spread,
            _regions(
                chosen,
                {r.vehicle_id: len(r.stops) for r in sol.routes if r.stops},
                [u.job_id for u in sol.unassigned],
                ot,
            ),
        )
        out.append(_Solved(summary, chosen, sol))
    week = week_of(start)
    active = [t for t in techs.values() if t.active]
    horizon = Horizon(
        start=start,
        days=tuple(x.summary for x in out),
        overtime_minutes=dict(total_ot),
        spread_hours=spread,
        week_hours={
            techs[t].name: round(h, 2)
            for (t, w), h in used.items()
            if w == week and t in techs
        },
        limits={t.name: t.max_hours_week or DEFAULT_MAX_WEEK_H for t in active},
        day_limits={t.name: t.max_hours_day or DEFAULT_MAX_DAY_H for t in active},
        regions={t.name: t.region for t in active},
    )
    return HorizonDraft(start, days, tuple(out), horizon)


def save_horizon(session: Session, draft: HorizonDraft, *, actor: str) -> Horizon:
    """Save each planned day of ``draft`` as a draft plan (kept days stay as they are)."""
    days = []
    for k, x in enumerate(draft.solved):
        if x.dp is None or x.sol is None:
            days.append(x.summary)
            continue
        plan_id = save_plan(
            session,
            x.dp,
            x.sol,
            actor=actor,
            params={
                "horizon": {
                    "from": draft.start.isoformat(),
                    "days": draft.days,
                    "day": k + 1,
                }
            },
        )
        days.append(replace(x.summary, plan_id=plan_id))
    return replace(draft.horizon, days=tuple(days))


def published_days(session: Session, start: date, days: int) -> list[date]:
    """Days of the horizon that already have a published technician plan."""
    end = start + timedelta(days=days)
    return sorted(
        set(
            session.scalars(
                select(Plan.plan_date).where(
                    Plan.kind == PlanKind.TECHNICIANS.value,
                    Plan.status == PlanStatus.PUBLISHED.value,
                    Plan.plan_date >= start,
                    Plan.plan_date < end,
                )
            )
        )
    )
