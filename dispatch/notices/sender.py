"""Sending what is pending: claim a batch, send each, record each answer at once.

Exactly once across processes: a sender claims rows in a short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite writers are serialized by
``BEGIN IMMEDIATE``) by stamping ``claimed_by``/``claimed_until``; no other
sender takes a row whose claim is live. Each answer is written right after
the send, in its own transaction, guarded by the claim. A notice never leaves
``pending`` on a connection error: it is retried (a few times in the run with
back-off, then on later runs) and becomes ``failed`` after ``max_attempts``;
a permanent refusal (5xx, malformed address) fails it at once with the answer.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from data.base import utcnow
from data.models import Customer, Notice
from dispatch.notices.config import CONFIG
from dispatch.notices.kinds import Status
from dispatch.notices.prefs import load_contacts
from dispatch.notices.transport import Outcome, Transport

SEND = CONFIG["sending"]
MAX_ATTEMPTS = int(os.environ.get("TOURNEE_NOTICE_MAX_ATTEMPTS", SEND["max_attempts"]))


@dataclass
class SendCounts:
    sent: int = 0
    failed: int = 0
    retry: int = 0  # still pending after a transient error
    quiet: int = 0  # SMS held back by the customer's quiet hours
    unreachable: list[str] = field(default_factory=list)  # channels down this run


def worker_id() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def claim(
    session: Session,
    *,
    now: datetime,
    channels: list[str],
    worker: str,
    limit: int,
    skip: set[int],
) -> list[Notice]:
    """Claim up to ``limit`` pending notices due at ``now`` on ``channels``."""
    wall = utcnow()
    q = (
        select(Notice)
        .where(
            Notice.status == Status.PENDING.value,
            Notice.due_at <= now,
            Notice.channel.in_(channels),
            or_(Notice.claimed_until.is_(None), Notice.claimed_until < wall),
        )
        .order_by(Notice.due_at, Notice.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip:
        q = q.where(Notice.id.not_in(list(skip)))
    rows = list(session.scalars(q))
    until = wall + timedelta(minutes=float(SEND["claim_minutes"]))
    for n in rows:
        n.claimed_by, n.claimed_until = worker, until
    session.flush()
    return rows


def _record(
    session: Session, notice_id: int, worker: str, outcome: Outcome, at: datetime
) -> str:
    n = session.get(Notice, notice_id, with_for_update=True)
    if n is None or n.claimed_by != worker or n.status != Status.PENDING.value:
        return "lost-claim"
    n.attempts += 1
    n.claimed_by = n.claimed_until = None
    n.updated_at = at
    if outcome.ok:
        n.status, n.sent_at, n.last_error = Status.SENT.value, at, None
        return "sent"
    n.last_error = outcome.error
    if outcome.permanent or n.attempts >= MAX_ATTEMPTS:
        n.status = Status.FAILED.value
        n.reason = (
            outcome.error
            if outcome.permanent
            else f"gave up after {n.attempts} attempts: {outcome.error}"
        )
        return "failed"
    return "retry"


def _release(session: Session, ids: list[int], worker: str) -> None:
    if ids:
        session.execute(
            update(Notice)
            .where(Notice.id.in_(ids), Notice.claimed_by == worker)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def send_pending(
    writer: Callable[[], AbstractContextManager[Session]],
    transports: Mapping[str, Transport],
    *,
    now: datetime,
    worker: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendCounts:
    """Send every pending notice due at ``now`` on the configured channels."""
    worker = worker or worker_id()
    counts = SendCounts()
    live = dict(transports)
    skip: set[int] = set()
    tries = max(1, int(SEND["retries_in_run"]))
    while live:
        with writer() as s:
            batch = claim(
                s,
                now=now,
                channels=sorted(live),
                worker=worker,
                limit=int(SEND["batch"]),
                skip=skip,
            )
            info = [(n.id, n.channel, n.customer_id) for n in batch]
            names = dict(
                s.execute(
                    select(Customer.id, Customer.name).where(
                        Customer.id.in_({c for _, _, c in info})
                    )
                ).all()
            )
            contacts = load_contacts(s, {c for _, ch, c in info if ch == "sms"})
            s.expunge_all()
        if not batch:
            break
        held: list[int] = []
        for n in batch:
            transport = live.get(n.channel)
            contact = contacts.get(n.customer_id)
            if transport is None or (
                n.channel == "sms" and contact is not None and contact.quiet_at(now)
            ):
                held.append(n.id)
                if transport is not None:
                    counts.quiet += 1
                continue
            outcome = _attempt(transport, n, names.get(n.customer_id), tries, sleep)
            with writer() as s:
                result = _record(s, n.id, worker, outcome, utcnow())
            if result == "sent":
                counts.sent += 1
            elif result == "failed":
                counts.failed += 1
            elif result == "retry":
                counts.retry += 1
                skip.add(n.id)
            if outcome.unreachable:
                live.pop(n.channel, None)
                counts.unreachable.append(n.channel)
        skip.update(held)
        with writer() as s:
            _release(s, held, worker)
    for t in transports.values():
        t.close()
    return counts


def _attempt(
    transport: Transport,
    notice: Notice,
    name: str | None,
    tries: int,
    sleep: Callable[[float], None],
) -> Outcome:
    pause = float(SEND["backoff_s"])
    outcome = Outcome(ok=False, error="not tried")
    for i in range(tries):
        outcome = transport.send(notice, name)
        if outcome.ok or outcome.permanent:
            return outcome
        if i < tries - 1:
            sleep(pause)
            pause *= 2
    return outcome
