"""The customer notices outbox for managers and admins; a store's bag notices.

Readable rows (customer ref and name, kind, channel, status, reason, local
times), one notice's preview, and the two changes a manager may make: cancel a
pending notice, or send a failed one again. Both are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from data.audit import record
from data.base import PARIS, utcnow
from data.enums import Role
from data.models import Customer, DeliveryOrder, Notice
from dispatch.access.roles import Principal, check_role, check_store_access
from dispatch.notices.kinds import Kind, Status

MANAGERS = (Role.MANAGER, Role.ADMIN)
LIMIT = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeRow:
    id: int
    kind: str
    channel: str
    status: str
    customer_ref: str
    customer: str
    region: str
    recipient: str | None
    due_at: datetime
    sent_at: datetime | None
    subject: str
    reason: str
    attempts: int
    dedupe_key: str
    #: when a pending notice that failed before is tried again (None: at the next run)
    next_attempt_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Outbox:
    rows: tuple[NoticeRow, ...]
    total: int  # matches before LIMIT
    by_status: dict[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Preview:
    row: NoticeRow
    body_text: str
    body_html: str | None
    last_error: str | None


class OutboxError(ValueError):
    """A refused change (wrong status, unknown notice)."""


def _row(n: Notice, c: Customer) -> NoticeRow:
    return NoticeRow(
        id=n.id,
        kind=n.kind,
        channel=n.channel,
        status=n.status,
        customer_ref=c.ref,
        customer=c.name,
        region=c.region,
        recipient=n.recipient,
        due_at=n.due_at,
        sent_at=n.sent_at,
        subject=n.subject,
        reason=n.reason or (n.last_error or ""),
        attempts=n.attempts,
        dedupe_key=n.dedupe_key,
        next_attempt_at=(
            n.next_attempt_at if n.status == "pending" and n.attempts > 0 else None
        ),
    )


def outbox(
    session: Session,
    actor: Principal,
    *,
    kind: str | None = None,
    status: str | None = None,
    region: str | None = None,
    day: date | None = None,
) -> Outbox:
    """Notices matching the filters (``day``: due that Paris day), newest due first."""
    check_role(actor, *MANAGERS)
    q = select(Notice, Customer).join(Customer, Customer.id == Notice.customer_id)
    counts = select(Notice.status, func.count()).join(
        Customer, Customer.id == Notice.customer_id
    )
    conds = []
    if kind:
        conds.append(Notice.kind == kind)
    if region:
        conds.append(Customer.region == region)
    if day:
        start = datetime.combine(day, time(0), tzinfo=PARIS)
        conds += [Notice.due_at >= start, Notice.due_at < start + timedelta(days=1)]
    by_status = dict(
        session.execute(counts.where(*conds).group_by(Notice.status)).all()
    )
    if status:
        conds.append(Notice.status == status)
    total = by_status.get(status, 0) if status else sum(by_status.values())
    rows = session.execute(
        q.where(*conds).order_by(Notice.due_at.desc(), Notice.id.desc()).limit(LIMIT)
    ).all()
    return Outbox(
        rows=tuple(_row(n, c) for n, c in rows),
        total=int(total),
        by_status={str(k): int(v) for k, v in by_status.items()},
    )


def preview(session: Session, actor: Principal, notice_id: int) -> Preview:
    check_role(actor, *MANAGERS)
    found = session.execute(
        select(Notice, Customer)
        .join(Customer, Customer.id == Notice.customer_id)
        .where(Notice.id == notice_id)
    ).first()
    if found is None:
        raise OutboxError(f"no notice {notice_id}")
    n, c = found
    return Preview(
        row=_row(n, c),
        body_text=n.body_text,
        body_html=n.body_html,
        last_error=n.last_error,
    )


def _locked(session: Session, notice_id: int) -> Notice:
    n = session.get(Notice, notice_id, with_for_update=True)
    if n is None:
        raise OutboxError(f"no notice {notice_id}")
    return n


def cancel(session: Session, actor: Principal, notice_id: int, why: str) -> Notice:
    """A pending (or failed) notice will not be sent: cancelled with the reason, audited."""
    check_role(actor, *MANAGERS)
    n = _locked(session, notice_id)
    if n.status not in (Status.PENDING.value, Status.FAILED.value):
        raise OutboxError(
            f"notice {n.dedupe_key} is {n.status}: only a pending or failed one can be cancelled"
        )
    if n.claimed_until is not None and n.claimed_until > utcnow():
        raise OutboxError(f"notice {n.dedupe_key} is being sent right now; try again")
    before = n.status
    n.status, n.reason, n.updated_at = (
        Status.CANCELLED.value,
        why.strip() or "cancelled",
        utcnow(),
    )
    record(
        session,
        actor.username,
        "notice",
        n.id,
        "cancel",
        **{"from": before, "why": n.reason},
    )
    return n


def resend(session: Session, actor: Principal, notice_id: int) -> Notice:
    """A failed notice back to pending with its attempts reset (the next run sends it), audited."""
    check_role(actor, *MANAGERS)
    n = _locked(session, notice_id)
    if n.status != Status.FAILED.value:
        raise OutboxError(
            f"notice {n.dedupe_key} is {n.status}: only a failed one can be resent"
        )
    record(
        session, actor.username, "notice", n.id, "resend",
        reason=n.reason, attempts=n.attempts,
    )  # fmt: skip
    n.status, n.attempts, n.reason, n.updated_at = Status.PENDING.value, 0, "", utcnow()
    n.due_at = min(n.due_at, utcnow())
    n.next_attempt_at = None  # the next run, not after a back-off
    return n


def store_bag_notices(
    session: Session, actor: Principal, store_id: int
) -> tuple[NoticeRow, ...]:
    """Bag-ready and bag-expiring notices of the bags waiting at (or sent to) one store."""
    check_store_access(actor, store_id)
    rows = session.execute(
        select(Notice, Customer)
        .join(Customer, Customer.id == Notice.customer_id)
        .join(
            DeliveryOrder,
            Notice.entity_id == cast(DeliveryOrder.id, String),
        )
        .where(
            Notice.entity_type == "order",
            Notice.kind.in_([Kind.BAG_READY.value, Kind.BAG_EXPIRING.value]),
            DeliveryOrder.destination_site_id == store_id,
        )
        .order_by(Notice.due_at.desc())
        .limit(200)
    ).all()
    return tuple(_row(n, c) for n, c in rows)


def kinds() -> tuple[str, ...]:
    return tuple(k.value for k in Kind)
