"""What a plan run tells the database while it works: heartbeat, progress, cancel, failure.

Each write is its own short transaction on a fresh session, so a slow search
never holds a lock. A database that stops answering (two heartbeats in a row,
or a cancel poll) is noted in ``Heartbeat.lost``; the cancel token then stops
the search and the run reports the loss in one line.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from data.base import utcnow
from data.db import sessions
from data.enums import RunStatus
from data.errors import describe
from data.models import PlanRun
from routing import Progress

HEARTBEAT_S = 10.0
"""Seconds between two heartbeats of a running plan run."""


class Heartbeat(threading.Thread):
    """Beats ``heartbeat_at`` every ``HEARTBEAT_S``; two failed beats in a row = database lost."""

    def __init__(self, url: str, run_id: int, every_s: float | None = None):
        super().__init__(name=f"plan-run-{run_id}-heartbeat", daemon=True)
        self.url, self.run_id = url, run_id
        self.every_s = HEARTBEAT_S if every_s is None else every_s
        self.lost: str | None = None
        self._halt = threading.Event()

    def run(self) -> None:
        failures = 0
        while not self._halt.wait(self.every_s):
            try:
                update_run(self.url, self.run_id, heartbeat_at=utcnow())
                failures = 0
            except SQLAlchemyError as exc:
                failures += 1
                if failures >= 2:
                    self.lost = one_line(exc)
                    return

    def stop(self) -> None:
        self._halt.set()


def one_line(exc: BaseException) -> str:
    """The error's type and first line, without SQL or personal data (``data.errors``)."""
    return describe(exc)


class DbCancel:
    """Cancel token reading the run's flag, at most every ``every_s`` seconds.

    A lost database (heartbeat or this read failing) cancels too: the search
    stops, and :func:`execute` reports the loss instead of saving.
    """

    def __init__(self, url: str, run_id: int, beat: Heartbeat, every_s: float = 0.5):
        self.url, self.run_id, self.beat, self.every_s = url, run_id, beat, every_s
        self._last, self._value = 0.0, False

    def is_cancelled(self) -> bool:
        if self.beat.lost:
            return True
        now = time.monotonic()
        if not self._value and now - self._last >= self.every_s:
            self._last = now
            try:
                with sessions(self.url)() as s:
                    self._value = bool(
                        s.scalar(
                            select(PlanRun.cancel_requested).where(
                                PlanRun.id == self.run_id
                            )
                        )
                    )
            except SQLAlchemyError as exc:
                self.beat.lost = one_line(exc)
                return True
        return self._value


class DbProgress:
    """Progress callback writing the best figures to the run row, throttled."""

    def __init__(
        self,
        url: str,
        run_id: int,
        echo: Callable[[Progress], None] | None,
        beat: Heartbeat,
        every_s: float = 0.5,
    ):
        self.url, self.run_id, self.echo, self.every_s = url, run_id, echo, every_s
        self.beat = beat
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        if self.echo:
            self.echo(p)
        now = time.monotonic()
        if self.beat.lost or now - self._last < self.every_s:
            return
        self._last = now
        try:
            update_run(
                self.url,
                self.run_id,
                elapsed_s=round(p.elapsed_s, 2),
                jobs_placed=p.jobs_placed,
                jobs_total=p.jobs_total,
                best_objective=float(p.objective),
                heartbeat_at=utcnow(),
            )
        except SQLAlchemyError as exc:
            self.beat.lost = one_line(exc)


def update_run(url: str, run_id: int, **values: Any) -> None:
    with sessions(url, writer=True).begin() as s:
        s.execute(update(PlanRun).where(PlanRun.id == run_id).values(**values))


def mark_failed(url: str, run_id: int, error: str) -> None:
    """Best effort: with the database gone, the heartbeat's silence says it instead."""
    with contextlib.suppress(SQLAlchemyError):
        update_run(
            url, run_id, status=RunStatus.FAILED, finished_at=utcnow(), error=error
        )
