"""One notices run (``tournee notices run``): compute what is due at ``now``, queue it, send it.

Computing reads in one session; queueing is short write transactions of
``QUEUE_CHUNK`` rows (dedupe keys make a concurrent run's inserts harmless); sending claims rows in
small batches (see ``sender``). ``dry_run`` computes and renders only.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from data.base import utcnow
from data.db import sessions, write_session
from dispatch.notices import due_club, due_deliveries, due_service
from dispatch.notices.kinds import Due
from dispatch.notices.outbox import insert_rows, prepare
from dispatch.notices.sender import SendCounts, send_pending
from dispatch.notices.transport import Transport

QUEUE_CHUNK = 1000

COMPUTERS: tuple[Callable[[Session, datetime], list[Due]], ...] = (
    due_service.visit_bookings,
    due_service.visit_reminders,
    due_service.visit_progress,
    due_service.repair_progress,
    due_service.loans,
    due_deliveries.deliveries,
    due_club.points_expiring,
    due_club.tier_changes,
    due_club.next_perks,
    due_club.capsules_and_descaling,
)


def compute(session: Session, now: datetime) -> list[Due]:
    """Every notice owed at ``now``, whatever is already queued."""
    out: list[Due] = []
    for fn in COMPUTERS:
        out.extend(fn(session, now))
    return out


@dataclass
class RunReport:
    computed: int = 0
    already: int = 0
    no_consent: int = 0
    queued: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    sending: SendCounts | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def compute_and_queue(
    url: str | None, now: datetime, *, dry_run: bool = False
) -> RunReport:
    report = RunReport()
    t0 = time.perf_counter()
    with sessions(url)() as s:
        dues = compute(s, now)
        report.computed = len(dues)
        report.seconds["compute"] = time.perf_counter() - t0
        prepared = prepare(s, dues, utcnow())
    report.seconds["render"] = time.perf_counter() - t0 - report.seconds["compute"]
    report.already, report.no_consent = prepared.already, prepared.no_consent
    report.by_kind = prepared.by_kind
    if not dry_run:
        t1 = time.perf_counter()
        # One short write transaction per chunk, not one for the whole day: a sender
        # of another process waiting to record a delivery waits for one chunk at most
        # (dedupe keys make a run that dies half-way harmless: the next one adds the rest).
        for i in range(0, len(prepared.rows), QUEUE_CHUNK):
            with write_session(url) as s:
                report.queued += insert_rows(s, prepared.rows[i : i + QUEUE_CHUNK])
        report.seconds["queue"] = time.perf_counter() - t1
    return report


def run(
    url: str | None,
    now: datetime,
    transports: Mapping[str, Transport],
    *,
    dry_run: bool = False,
) -> RunReport:
    report = compute_and_queue(url, now, dry_run=dry_run)
    if not dry_run:
        t = time.perf_counter()
        report.sending = send_pending(lambda: write_session(url), transports, now=now)
        report.seconds["send"] = time.perf_counter() - t
    return report
