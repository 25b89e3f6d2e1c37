"""Plan runs: a solve recorded in the database, executed in a separate process.

OR-Tools holds the GIL, so a solve never runs inside the Streamlit server: the
dashboard inserts a ``PlanRun`` row and starts ``python -m dispatch.planning.worker RUN_ID``.
The worker writes progress (elapsed, jobs placed, best objective) to the row and
polls its cancel flag; any dashboard replica can follow or cancel it. The CLI
runs the same :func:`execute` in its own process.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.base import utcnow
from data.db import database_url, sessions, write_session
from data.errors import describe
from data.models import PlanRun
from dispatch.planning import plans as planning
from dispatch.planning.builder import Variant
from routing import Progress

FINAL = ("done", "cancelled", "failed")
log = logging.getLogger(__name__)


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


def _view(r: PlanRun) -> RunView:
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
    actor: str,
    variant: Variant | None = None,
    based_on: int | None = None,
    depot_id: int | None = None,
    replan: bool = False,
) -> int:
    params = {
        "variant": (variant or Variant()).to_dict(),
        "based_on": based_on,
        "depot_id": depot_id,
        "replan": replan,
    }
    run = PlanRun(
        kind=kind,
        plan_date=day,
        region=region,
        label=(variant.label if variant else ""),
        params=params,
        status="queued",
        requested_by=actor,
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
    actor: str,
    variant: Variant | None = None,
    based_on: int | None = None,
    depot_id: int | None = None,
    replan: bool = False,
    url: str | None = None,
) -> int:
    """Record a run and start its worker process; returns at once with the run id."""
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
        )
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.Popen(
        [sys.executable, "-m", "dispatch.planning.worker", str(run_id)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return run_id


def status(session: Session, run_id: int) -> RunView:
    """The run as recorded; poll with a fresh session (a long transaction sees a stale snapshot)."""
    run = session.get(PlanRun, run_id, populate_existing=True)
    if run is None:
        raise LookupError(f"plan run {run_id} does not exist")
    return _view(run)


def recent_runs(
    session: Session, day: date, kind: str, limit: int = 10
) -> list[RunView]:
    q = (
        select(PlanRun)
        .where(PlanRun.plan_date == day, PlanRun.kind == kind)
        .order_by(PlanRun.id.desc())
        .limit(limit)
    )
    return [_view(r) for r in session.scalars(q)]


def cancel(session: Session, run_id: int) -> None:
    """Ask the worker to stop; it keeps and saves the best plan found so far."""
    session.execute(
        update(PlanRun).where(PlanRun.id == run_id).values(cancel_requested=True)
    )


class _DbCancel:
    """Cancel token reading the run's flag, at most every ``every_s`` seconds."""

    def __init__(self, url: str, run_id: int, every_s: float = 0.5):
        self.url, self.run_id, self.every_s = url, run_id, every_s
        self._last, self._value = 0.0, False

    def is_cancelled(self) -> bool:
        now = time.monotonic()
        if not self._value and now - self._last >= self.every_s:
            self._last = now
            with sessions(self.url)() as s:
                self._value = bool(
                    s.scalar(
                        select(PlanRun.cancel_requested).where(
                            PlanRun.id == self.run_id
                        )
                    )
                )
        return self._value


class _DbProgress:
    """Progress callback writing the best figures to the run row, throttled."""

    def __init__(
        self,
        url: str,
        run_id: int,
        echo: Callable[[Progress], None] | None,
        every_s: float = 0.5,
    ):
        self.url, self.run_id, self.echo, self.every_s = url, run_id, echo, every_s
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        if self.echo:
            self.echo(p)
        now = time.monotonic()
        if now - self._last < self.every_s:
            return
        self._last = now
        _update(
            self.url,
            self.run_id,
            elapsed_s=round(p.elapsed_s, 2),
            jobs_placed=p.jobs_placed,
            jobs_total=p.jobs_total,
            best_objective=float(p.objective),
            heartbeat_at=utcnow(),
        )


def _update(url: str, run_id: int, **values: Any) -> None:
    with sessions(url, writer=True).begin() as s:
        s.execute(update(PlanRun).where(PlanRun.id == run_id).values(**values))


def execute(
    run_id: int,
    *,
    url: str | None = None,
    echo: Callable[[Progress], None] | None = None,
) -> int | None:
    """Run a recorded plan run to the end; returns the new plan id (None on failure)."""
    url = url or database_url()
    t0 = time.monotonic()
    with sessions(url, writer=True).begin() as s:
        run = s.get(PlanRun, run_id)
        if run is None:
            raise LookupError(f"plan run {run_id} does not exist")
        if run.status != "queued":
            return run.plan_id
        run.status, run.started_at, run.heartbeat_at = "running", utcnow(), utcnow()
        kind, day, region, seconds = (
            run.kind,
            run.plan_date,
            run.region,
            run.time_limit_s,
        )
        params, actor = dict(run.params or {}), run.requested_by
    try:
        variant = Variant.from_dict(params.get("variant"))
        with sessions(url)() as s:
            dp = planning.build_day(
                s, kind, day, region, variant, depot_id=params.get("depot_id")
            )
            based_on = params.get("based_on")
            initial = None
            if based_on and params.get("replan"):
                dp = planning.stabilise(dp, s, based_on)
                initial = planning.initial_from_plan(s, based_on, dp)
        _update(url, run_id, jobs_total=len(dp.problem.jobs))
        sol = planning.solve_day(
            dp,
            seconds,
            progress=_DbProgress(url, run_id, echo),
            cancel=_DbCancel(url, run_id),
            initial=initial,
        )
        with sessions(url, writer=True).begin() as s:
            plan_id = planning.save_plan(
                s,
                dp,
                sol,
                actor=actor,
                label=variant.label,
                based_on=based_on,
                params={"seconds": seconds, **params},
            )
            cancelled = bool(
                s.scalar(select(PlanRun.cancel_requested).where(PlanRun.id == run_id))
            )
            s.execute(
                update(PlanRun)
                .where(PlanRun.id == run_id)
                .values(
                    status="cancelled" if cancelled else "done",
                    plan_id=plan_id,
                    finished_at=utcnow(),
                    elapsed_s=round(time.monotonic() - t0, 2),
                    jobs_placed=sum(len(r.stops) for r in sol.routes),
                    best_objective=float(sol.objective.cost),
                )
            )
        return plan_id
    except Exception as exc:
        log.exception("plan run %s failed", run_id)  # the details: server log only
        _update(
            url,
            run_id,
            status="failed",
            finished_at=utcnow(),
            error=describe(exc),  # type and message; no SQL parameters (data.errors)
        )
        raise


def run_inline(
    *,
    kind: str,
    day: date,
    region: str | None,
    seconds: float,
    actor: str,
    variant: Variant | None = None,
    depot_id: int | None = None,
    echo: Callable[[Progress], None] | None = None,
) -> int | None:
    """Record and execute a run in this process (the CLI and the tests)."""
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
