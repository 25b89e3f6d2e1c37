"""Queueing: render each due notice for its customer and insert it once (dedupe key).

``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING`` makes queueing idempotent
across runs and processes; keys already in the outbox are skipped before
rendering, so a second run costs one indexed look-up per notice.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data.base import utcnow
from data.models import Notice
from dispatch.notices.kinds import Category, Due, Status
from dispatch.notices.prefs import Contact, load_contacts
from dispatch.notices.render import render

CHUNK = 900  # below SQLite's bound-parameter limits


def public_url() -> str:
    """Where the unsubscribe link points (``TOURNEE_PUBLIC_URL``, default the local dashboard)."""
    return os.environ.get("TOURNEE_PUBLIC_URL", "http://localhost:8501").rstrip("/")


@dataclass(frozen=True, slots=True)
class Prepared:
    """The rows a queueing would insert (and why some dues were left out)."""

    rows: list[dict[str, Any]]
    already: int  # dedupe key already in the outbox
    no_consent: int  # club reminder to a customer without consent: not queued
    by_kind: Counter[str] = field(default_factory=Counter)


def existing_keys(session: Session, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found.update(
            session.scalars(
                select(Notice.dedupe_key).where(
                    Notice.dedupe_key.in_(keys[i : i + CHUNK])
                )
            )
        )
    return found


def notice_row(due: Due, contact: Contact, now: datetime) -> dict[str, Any]:
    """The outbox row of one due notice: rendered, or suppressed with the reason."""
    category = due.kind.category
    row: dict[str, Any] = dict(
        customer_id=due.customer_id,
        kind=due.kind.value,
        category=category.value,
        language=contact.language,
        due_at=due.due_at,
        attempts=0,
        entity_type=due.entity_type,
        entity_id=due.entity_id,
        dedupe_key=due.dedupe_key,
        created_at=now,
        updated_at=now,
        last_error=None,
        body_html=None,
    )
    choice = contact.channel_for(category)
    ctx = dict(due.context, name=contact.name, ref=contact.ref)
    if category is Category.CLUB and contact.token:
        ctx["unsubscribe_url"] = f"{public_url()}/?unsubscribe={contact.token}"
    r = render(
        due.kind,
        contact.language,
        ctx,
        html=not isinstance(choice, str) and choice[0] == "email",
    )
    if isinstance(choice, str):
        row.update(
            channel="none",
            recipient=None,
            subject=r.subject,
            body_text=r.text,
            status=Status.SUPPRESSED.value,
            reason=choice,
        )
        return row
    channel, recipient = choice
    row.update(
        channel=channel,
        recipient=recipient,
        subject=r.subject,
        body_text=r.text if channel == "email" else r.sms,
        body_html=r.html if channel == "email" else None,
        status=Status.PENDING.value,
        reason="",
    )
    return row


def prepare(session: Session, dues: Sequence[Due], now: datetime) -> Prepared:
    """Render the dues not yet in the outbox (one per dedupe key), checking consent."""
    unique: dict[str, Due] = {}
    for d in dues:
        unique.setdefault(d.dedupe_key, d)
    known = existing_keys(session, unique)
    fresh = [d for k, d in unique.items() if k not in known]
    contacts = load_contacts(session, {d.customer_id for d in fresh})
    rows, no_consent, by_kind = [], 0, Counter[str]()
    for d in fresh:
        contact = contacts.get(d.customer_id)
        if contact is None:
            continue
        if d.kind.category is Category.CLUB and not contact.club_consent:
            no_consent += 1
            continue
        rows.append(notice_row(d, contact, now))
        by_kind[d.kind.value] += 1
    return Prepared(
        rows=rows, already=len(known), no_consent=no_consent, by_kind=by_kind
    )


def insert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert, skipping any dedupe key another process queued meanwhile; rows inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    done = 0
    if dialect == "postgresql":
        stmt = (
            pg_insert(Notice)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Notice.id)
        )
        for i in range(0, len(rows), 1000):
            done += len(session.execute(stmt, list(rows[i : i + 1000])).all())
        return done
    # SQLite: a plain executemany (RETURNING would go row by row); the
    # connection's total_changes() counts what it inserted, conflicts left out.
    lite = sqlite_insert(Notice).on_conflict_do_nothing(index_elements=["dedupe_key"])
    before = int(session.scalar(text("SELECT total_changes()")) or 0)
    for i in range(0, len(rows), 1000):
        session.execute(lite, list(rows[i : i + 1000]))
    return int(session.scalar(text("SELECT total_changes()")) or 0) - before


def queue(session: Session, dues: Sequence[Due], now: datetime | None = None) -> int:
    """Render and insert ``dues`` in the caller's transaction; the number newly queued."""
    prepared = prepare(session, dues, now or utcnow())
    return insert_rows(session, prepared.rows)
