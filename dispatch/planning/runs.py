"""Plan runs: a solve recorded in the database, executed in a separate process.

OR-Tools holds the GIL, so a solve never runs inside the Streamlit server: the
dashboard inserts a ``PlanRun`` row and starts ``python -m dispatch.planning.worker RUN_ID``.
The worker writes progress (elapsed, jobs placed, best objective) to the row and
polls its cancel flag; any dashboard replica can follow or cancel it. The CLI
runs the same :func:`execute` in its own process.

A run beats a heartbeat every ``run_signals.HEARTBEAT_S`` seconds from a thread of its
process. A queued or running run whose heartbeat is older than ``STALE_S`` (its
process died, or lost the database) is marked failed by whoever reads it next
(:func:`status`, :func:`recent_runs`), so nothing stays "running" forever. A
process that loses the database stops its search and raises :class:`RunFailed`
(one line for the CLI). The worker's output goes to ``var/log/plan-run-<id>.log``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from data.base import PARIS, utcnow
from data.db import REPO_ROOT, database_url, sessions, write_session
from data.enums import Role, RunStatus
from data.errors import describe
from data.models import PlanRun
from dispatch.access.roles import Principal, acting
from dispatch.planning import horizon, horizon_io
from dispatch.planning import plans as planning
from dispatch.planning.builder import Variant
from dispatch.planning.run_signals import (
    DbCancel,
    DbProgress,
    Heartbeat,
    mark_failed,
    one_line,
    update_run,
)
from routing import Progress

FINAL = (RunStatus.DONE, RunStatus.CANCELLED, RunStatus.FAILED)
MAX_HORIZON_DAYS = horizon_io.MAX_HORIZON_DAYS
STALE_S = 45.0
"""A run silent for this long is dead: marked failed within a minute."""
LOG_DIR = REPO_ROOT / "var" / "log"
log = logging.getLogger(__name__)


class RunFailed(RuntimeError):
    """The run could not finish (database lost, process error); the message is one line."""


@dataclass(frozen=True, slots=True)
class RunView:
    id: int
    kind: str
    day: date
    region: str | None
    label: str
    status: str
    elapsed_s: float
    time_limit_s: float
    jobs_total: int
    jobs_placed: int
    best_objective: float | None
    cancel_requested: bool
    plan_id: int | None
    error: str | None
    created_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in FINAL

    @property
    def fraction(self) -> float:
        return (
            1.0
            if self.finished
            else min(0.99, self.elapsed_s / max(self.time_limit_s, 0.1))
        )


def _view(r: PlanRun, failed: str | None = None) -> RunView:
    if failed is not None:
        return replace(_view(r), status=RunStatus.FAILED.value, error=failed)
    return RunView(
        r.id,
        r.kind,
        r.plan_date,
        r.region,
        r.label,
        r.status,
        r.elapsed_s,
        r.time_limit_s,
        r.jobs_total,
        r.jobs_placed,
        r.best_objective,
        r.cancel_requested,
        r.plan_id,
        r.error,
        r.created_at,
    )


def create_run(
    session: Session,
    *,
    kind: str,
    day: date,
    region: str | None,
    seconds: float,
    actor: Principal,
    variant: Variant | None = None,
    based_on: int | None = None,
    depot_id: int | None = None,
    replan: bool = False,
    horizon_days: int = 1,
    balance_per_hour: float = 0.0,
) -> int:
    """Record a queued run for a dispatcher (``AccessDenied`` otherwise); the worker
    that executes it records the plan under the name checked here.

    ``balance_per_hour`` (a horizon only): the workload-balance term its days are
    solved with (``SolveParams.balance_per_hour``; 0 is off)."""
    name = acting(actor, Role.DISPATCHER)
    params: dict[str, Any] = {
        "variant": (variant or Variant()).to_dict(),
        "based_on": based_on,
        "depot_id": depot_id,
        "replan": replan,
    }
    params.update(horizon_io.run_params(kind, horizon_days, balance_per_hour))
    run = PlanRun(
        kind=kind,
        plan_date=day,
        region=region,
        label=(variant.label if variant else ""),
        params=params,
        status="queued",
        requested_by=name,
        time_limit_s=seconds,
    )
    session.add(run)
    session.flush()
    return run.id


def start_plan(
    *,
    kind: str,
    day: date,
    region: str | None,
    seconds: float,
    actor: Principal,
    variant: Variant | None = None,
    based_on: int | None = None,
    depot_id: int | None = None,
    replan: bool = False,
    url: str | None = None,
    horizon_days: int = 1,
    balance_per_hour: float = 0.0,
) -> int:
    """Record a run and start its worker process; returns at once with the run id.

    ``horizon_days`` > 1: that many days from ``day`` planned together
    (:mod:`dispatch.planning.horizon`), ``seconds`` for the whole horizon; the run's
    ``params["horizon"]`` then holds the horizon's summary and ``plan_id`` its first day.
    """
    acting(actor, Role.DISPATCHER)  # before the database is touched
    url = url or database_url()
    with sessions(url, writer=True).begin() as s:
        run_id = create_run(
            s,
            kind=kind,
            day=day,
            region=region,
            seconds=seconds,
            actor=actor,
            variant=variant,
            based_on=based_on,
            depot_id=depot_id,
            replan=replan,
            horizon_days=horizon_days,
            balance_per_hour=balance_per_hour,
        )
    env = {**os.environ, "DATABASE_URL": url}
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with log_path(run_id).open("ab") as log:
        subprocess.Popen(
            [sys.executable, "-m", "dispatch.planning.worker", str(run_id)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return run_id


def log_path(run_id: int) -> Path:
    """Where a worker's output goes."""
    return LOG_DIR / f"plan-run-{run_id}.log"


def _stale(r: PlanRun, now: datetime) -> bool:
    if r.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return False
    beat = r.heartbeat_at or r.started_at or r.created_at
    return beat is not None and (now - beat).total_seconds() > STALE_S


def _reap(session: Session, runs: list[PlanRun]) -> dict[int, str]:
    """Mark runs without a heartbeat failed, in a write transaction of their own.

    Returns run id -> error for the runs it failed (the reader's snapshot may
    predate the write, so views take these from here).
    """
    now = utcnow()
    dead = [r for r in runs if _stale(r, now)]
    if not dead:
        return {}
    errors = {}
    for r in dead:
        beat = r.heartbeat_at or r.created_at
        errors[r.id] = (
            f"the planning process stopped: no heartbeat since "
            f"{beat.astimezone(PARIS):%H:%M:%S}"
            if beat
            else "no heartbeat"
        )
    # an Engine, or a Connection (whose .engine is its Engine)
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    with sessions(url, writer=True).begin() as w:
        for r in dead:
            w.execute(
                update(PlanRun)
                .where(
                    PlanRun.id == r.id,
                    PlanRun.status.in_([RunStatus.QUEUED, RunStatus.RUNNING]),
                )
                .values(status=RunStatus.FAILED, finished_at=now, error=errors[r.id])
            )
    return errors


def status(session: Session, run_id: int) -> RunView:
    """The run as recorded; poll with a fresh session (a long transaction sees a stale snapshot)."""
    run = session.get(PlanRun, run_id, populate_existing=True)
    if run is None:
        raise LookupError(f"plan run {run_id} does not exist")
    dead = _reap(session, [run])
    return _view(run, dead.get(run.id))


def recent_runs(
    session: Session, day: date, kind: str, limit: int = 10
) -> list[RunView]:
    q = (
        select(PlanRun)
        .where(PlanRun.plan_date == day, PlanRun.kind == kind)
        .order_by(PlanRun.id.desc())
        .limit(limit)
    )
    rows = list(session.scalars(q))
    dead = _reap(session, rows)
    return [_view(r, dead.get(r.id)) for r in rows]


def cancel(session: Session, run_id: int, *, actor: Principal) -> None:
    """Ask the worker to stop; it keeps and saves the best plan found so far."""
    acting(actor, Role.DISPATCHER)
    session.execute(
        update(PlanRun).where(PlanRun.id == run_id).values(cancel_requested=True)
    )


def execute(
    run_id: int,
    *,
    url: str | None = None,
    echo: Callable[[Progress], None] | None = None,
) -> int | None:
    """Run a recorded plan run to the end; returns the new plan id.

    Raises ``RunFailed`` (one line) when the database is lost or errs during the
    run; nothing is half-written (the plan is saved in one transaction).
    """
    url = url or database_url()
    t0 = time.monotonic()
    try:
        with sessions(url, writer=True).begin() as s:
            run = s.get(PlanRun, run_id)
            if run is None:
                raise LookupError(f"plan run {run_id} does not exist")
            if run.status != RunStatus.QUEUED:
                return run.plan_id
            run.status, run.started_at, run.heartbeat_at = (
                RunStatus.RUNNING.value,
                utcnow(),
                utcnow(),
            )
            kind, day, region, seconds = (
                run.kind,
                run.plan_date,
                run.region,
                run.time_limit_s,
            )
            params, actor = dict(run.params or {}), run.requested_by
    except SQLAlchemyError as exc:
        raise RunFailed(
            f"database error starting plan run {run_id}: {one_line(exc)}"
        ) from exc
    beat = Heartbeat(url, run_id)
    beat.start()
    try:
        return _execute(
            _Started(
                url, run_id, kind, day, region, seconds, params, actor, echo, beat, t0
            )
        )
    except RunFailed as exc:
        mark_failed(url, run_id, str(exc))
        raise
    except SQLAlchemyError as exc:
        log.exception("plan run %s: database error", run_id)
        msg = f"database error during plan run {run_id}: {one_line(exc)}"
        mark_failed(url, run_id, msg)
        raise RunFailed(msg) from exc
    except Exception as exc:
        log.exception("plan run %s failed", run_id)  # the details: server log only
        mark_failed(
            url,
            run_id,
            describe(exc),  # type and message; no SQL parameters (data.errors)
        )
        raise
    finally:
        beat.stop()


@dataclass(frozen=True, slots=True)
class _Started:
    """A run as :func:`execute` read and started it: what both kinds of run need."""

    url: str
    run_id: int
    kind: str
    day: date
    region: str | None
    seconds: float
    params: dict[str, Any]
    actor: str
    echo: Callable[[Progress], None] | None
    beat: Heartbeat
    t0: float

    def check_database(self) -> None:
        if self.beat.lost:
            raise RunFailed(
                f"lost the database during plan run {self.run_id}: {self.beat.lost}"
            )


def _execute(r: _Started) -> int:
    if int(r.params.get("horizon_days") or 1) > 1:
        return _execute_horizon(r)
    variant = Variant.from_dict(r.params.get("variant"))
    with sessions(r.url)() as s:
        dp = planning.build_day(
            s, r.kind, r.day, r.region, variant, depot_id=r.params.get("depot_id")
        )
        based_on = r.params.get("based_on")
        initial = None
        if based_on and r.params.get("replan"):
            dp = planning.stabilise(dp, s, based_on)
            initial = planning.initial_from_plan(s, based_on, dp)
    update_run(r.url, r.run_id, jobs_total=len(dp.problem.jobs), heartbeat_at=utcnow())
    sol = planning.solve_day(
        dp,
        r.seconds,
        progress=DbProgress(r.url, r.run_id, r.echo, r.beat),
        cancel=DbCancel(r.url, r.run_id, r.beat),
        initial=initial,
    )
    r.check_database()
    with sessions(r.url, writer=True).begin() as s:
        plan_id = planning.save_plan(
            s,
            dp,
            sol,
            actor=r.actor,
            label=variant.label,
            based_on=based_on,
            params={"seconds": r.seconds, **r.params},
        )
        cancelled = bool(
            s.scalar(select(PlanRun.cancel_requested).where(PlanRun.id == r.run_id))
        )
        s.execute(
            update(PlanRun)
            .where(PlanRun.id == r.run_id)
            .values(
                status=RunStatus.CANCELLED if cancelled else RunStatus.DONE,
                plan_id=plan_id,
                finished_at=utcnow(),
                heartbeat_at=utcnow(),
                elapsed_s=round(time.monotonic() - r.t0, 2),
                jobs_placed=sum(len(rt.stops) for rt in sol.routes),
                best_objective=float(sol.objective.cost),
            )
        )
    return plan_id


def _execute_horizon(r: _Started) -> int:
    """A horizon run: solved reading only, saved in one short write transaction."""
    days = int(r.params["horizon_days"])
    db_progress = DbProgress(r.url, r.run_id, r.echo, r.beat)

    def report(p: Progress) -> None:  # on the whole horizon's clock (the day's counts)
        db_progress(replace(p, elapsed_s=time.monotonic() - r.t0))

    with sessions(r.url)() as s:
        draft = horizon.solve_horizon(
            s,
            r.day,
            days,
            seconds=r.seconds,
            region=r.region,
            solve_progress=report,
            cancel=DbCancel(r.url, r.run_id, r.beat),
            balance_per_hour=float(r.params.get("balance_per_hour") or 0.0),
        )
    r.check_database()
    with sessions(r.url, writer=True).begin() as s:
        h = horizon.save_horizon(s, draft, actor=r.actor)
        run = s.get(PlanRun, r.run_id)
        assert run is not None
        cancelled = bool(run.cancel_requested)
        run.params = {**r.params, "horizon": horizon_io.horizon_summary(h)}
        run.status = (RunStatus.CANCELLED if cancelled else RunStatus.DONE).value
        run.plan_id = h.days[0].plan_id
        run.finished_at = run.heartbeat_at = utcnow()
        run.elapsed_s = round(time.monotonic() - r.t0, 2)
        run.jobs_placed = sum(d.placed for d in h.days)
        run.jobs_total = sum(d.placed for d in h.days) + h.days[-1].unplaced
    return h.days[0].plan_id


def run_inline(
    *,
    kind: str,
    day: date,
    region: str | None,
    seconds: float,
    actor: Principal,
    variant: Variant | None = None,
    depot_id: int | None = None,
    echo: Callable[[Progress], None] | None = None,
) -> int | None:
    """Record and execute a run in this process (the CLI and the tests)."""
    acting(actor, Role.DISPATCHER)
    with write_session() as s:
        run_id = create_run(
            s,
            kind=kind,
            day=day,
            region=region,
            seconds=seconds,
            actor=actor,
            variant=variant,
            depot_id=depot_id,
        )
    return execute(run_id, echo=echo)
