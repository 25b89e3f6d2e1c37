"""Sending what is pending: claim a batch, send each, record each answer at once.

Exactly once across processes: a sender claims rows in a short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite writers are serialized by
``BEGIN IMMEDIATE``) by stamping ``claimed_by``/``claimed_until``; no other
sender takes a row whose claim is live. Each answer is written right after
the send, in its own transaction, guarded by the claim. A notice never leaves
``pending`` on a connection error: it is retried a few times in the run (short
pauses), then on later runs once its ``next_attempt_at`` has come (exponential
back-off on the run's clock: ``retry_after_minutes`` doubling per failed attempt,
at most ``retry_max_minutes``), and becomes ``failed`` after ``max_attempts``;
a permanent refusal (5xx, malformed address) fails it at once with the answer.

At least once, not exactly once, across a crash: if the process dies after the
server accepted a message and before its row says ``sent``, the claim expires
(``claim_minutes``) and a later run sends it again. That window is one UPDATE
and its commit (on PostgreSQL in a transaction begun before the send; on SQLite
after waiting for the write lock, see :func:`send_pending`); the e-mail's
``Message-ID`` and the SMS gateway's ``Idempotency-Key`` come from the dedupe
key, so a receiver that dedupes drops the repeat.
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
RETRY_AFTER = timedelta(minutes=float(SEND["retry_after_minutes"]))
RETRY_MAX = timedelta(minutes=float(SEND["retry_max_minutes"]))


def retry_delay(attempts: int) -> timedelta:
    """How long a notice waits after its ``attempts``-th failed attempt (1, 2, ...)."""
    factor: int = 2 ** max(0, attempts - 1)
    return min(RETRY_AFTER * factor, RETRY_MAX)


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
    """Claim up to ``limit`` pending notices due at ``now`` (and past their back-off)."""
    wall = utcnow()
    q = (
        select(Notice)
        .where(
            Notice.status == Status.PENDING.value,
            Notice.due_at <= now,
            or_(Notice.next_attempt_at.is_(None), Notice.next_attempt_at <= now),
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
    session: Session,
    notice_id: int,
    worker: str,
    outcome: Outcome,
    at: datetime,
    now: datetime,
) -> str:
    """Write one answer, guarded by the claim: one UPDATE (``lost-claim`` if it matched nothing).

    ``at`` is the wall clock (``sent_at``, ``updated_at``), ``now`` the run's clock
    that the back-off is counted on (``next_attempt_at``).
    """
    mine = (
        update(Notice)
        .where(
            Notice.id == notice_id,
            Notice.claimed_by == worker,
            Notice.status == Status.PENDING.value,
        )
        .execution_options(synchronize_session=False)
    )
    released = dict(
        attempts=Notice.attempts + 1, claimed_by=None, claimed_until=None, updated_at=at
    )
    if outcome.ok:
        done = session.execute(
            mine.values(
                status=Status.SENT.value,
                sent_at=at,
                last_error=None,
                next_attempt_at=None,
                **released,
            )
        )
        return "sent" if done.rowcount else "lost-claim"  # type: ignore[attr-defined]
    attempts = session.scalar(
        select(Notice.attempts).where(
            Notice.id == notice_id,
            Notice.claimed_by == worker,
            Notice.status == Status.PENDING.value,
        )
    )
    if attempts is None:
        return "lost-claim"
    attempts += 1
    if outcome.permanent or attempts >= MAX_ATTEMPTS:
        reason = (
            outcome.error
            if outcome.permanent
            else f"gave up after {attempts} attempts: {outcome.error}"
        )
        session.execute(
            mine.values(
                status=Status.FAILED.value,
                reason=reason,
                last_error=outcome.error,
                next_attempt_at=None,
                **released,
            )
        )
        return "failed"
    session.execute(
        mine.values(
            last_error=outcome.error,
            next_attempt_at=now + retry_delay(attempts),
            **released,
        )
    )
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
            with writer() as s:
                if s.get_bind().dialect.name == "postgresql":
                    # BEGIN and the connection before the send, so that between the
                    # server's acceptance and the row saying so there is only one
                    # UPDATE and its COMMIT. (SQLite: no BEGIN IMMEDIATE here, it
                    # would hold every other writer for the length of the send.)
                    s.connection()
                outcome = _attempt(transport, n, names.get(n.customer_id), tries, sleep)
                result = _record(s, n.id, worker, outcome, utcnow(), now)
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
