"""Transfer proposals: kept, accepted or refused by a dispatcher, each decision audited.

A forecast's transfers become ``proposed`` rows (the previous open proposals are
superseded); a dispatcher accepts one (the donor must still hold the loaners) or
refuses it with a reason. Accepted proposals ride the courier plan of their day
(:mod:`dispatch.stock.legs`). Row locks keep two dispatchers from deciding the same
proposal twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.audit import record
from data.base import PARIS
from data.enums import LoanerState, Role
from data.models import Loaner, Site, TransferProposal
from dispatch.access.roles import Principal, check_role
from loaner_pool.forecast.model import Transfer

DECIDERS = (Role.DISPATCHER,)
READERS = (Role.DISPATCHER, Role.MANAGER, Role.STORE_STAFF)
OPEN = "proposed"

__all__ = [
    "ProposalRefused",
    "ProposalView",
    "accepted_for",
    "decide",
    "list_proposals",
    "save_proposals",
]


class ProposalRefused(ValueError):
    """A decision the proposal's state or the stock does not allow; the message says why."""


@dataclass(frozen=True, slots=True)
class ProposalView:
    id: int
    from_site_id: int
    from_code: str
    from_name: str
    to_site_id: int
    to_code: str
    to_name: str
    family: str
    count: int
    day: date
    for_day: date
    km: float
    status: str
    decided_by: str | None
    why: str
    plan_id: int | None


def _view(session: Session, p: TransferProposal) -> ProposalView:
    a = session.get_one(Site, p.from_site_id)
    b = session.get_one(Site, p.to_site_id)
    return ProposalView(
        p.id,
        a.id,
        a.code,
        a.name,
        b.id,
        b.code,
        b.name,
        p.family,
        p.count,
        p.day,
        p.for_day,
        p.km,
        p.status,
        p.decided_by,
        p.why,
        p.plan_id,
    )


def save_proposals(
    session: Session, actor: Principal, transfers: tuple[Transfer, ...], *, today: date
) -> tuple[ProposalView, ...]:
    """Keep a forecast's transfers as proposals; open proposals from before are superseded."""
    check_role(actor, *DECIDERS)
    session.execute(
        update(TransferProposal)
        .where(TransferProposal.status == OPEN)
        .values(status="superseded", version=TransferProposal.version + 1)
    )
    out = []
    for t in transfers:
        p = TransferProposal(
            from_site_id=t.from_site.site_id,
            to_site_id=t.to_site.site_id,
            family=t.family,
            count=t.count,
            day=t.day,
            for_day=t.for_day,
            km=t.km,
            status=OPEN,
            made_by=actor.username,
        )
        session.add(p)
        session.flush()
        record(
            session,
            actor.username,
            "transfer_proposal",
            p.id,
            "propose",
            from_site=t.from_site.code,
            to_site=t.to_site.code,
            family=t.family,
            count=t.count,
            day=t.day,
            for_day=t.for_day,
            made_on=today,
        )
        out.append(_view(session, p))
    return tuple(out)


def _available(session: Session, site_id: int, family: str) -> int:
    return int(
        session.scalar(
            select(func.count(Loaner.id)).where(
                Loaner.site_id == site_id,
                Loaner.model_family == family,
                Loaner.state == LoanerState.AVAILABLE.value,
            )
        )
        or 0
    )


def decide(
    session: Session,
    actor: Principal,
    proposal_id: int,
    *,
    accept: bool,
    why: str = "",
    now: datetime | None = None,
) -> ProposalView:
    """Accept or refuse one proposal (dispatcher). Refusals of bad moves name the reason.

    Raises ``ProposalRefused`` (not open, van day passed, donor short), ``LookupError``,
    ``AccessDenied``.
    """
    check_role(actor, *DECIDERS)
    now = now or datetime.now(UTC)
    p = session.scalar(
        select(TransferProposal)
        .where(TransferProposal.id == proposal_id)
        .with_for_update()
    )
    if p is None:
        raise LookupError(f"transfer proposal {proposal_id} does not exist")
    verb = "accepted" if accept else "refused"
    if p.status != OPEN:
        raise ProposalRefused(
            f"transfer proposal {p.id} is {p.status}: only a proposed transfer can be {verb}"
        )
    today = now.astimezone(PARIS).date()
    if accept and p.day < today:
        raise ProposalRefused(
            f"transfer proposal {p.id} was for {p.day:%d/%m/%Y}: its van day has passed"
        )
    if accept:
        have = _available(session, p.from_site_id, p.family)
        if have < p.count:
            src = session.get_one(Site, p.from_site_id)
            raise ProposalRefused(
                f"transfer proposal {p.id}: {src.code} holds {have} available {p.family} "
                f"loaner(s), {p.count} needed"
            )
    if not accept and not why.strip():
        raise ProposalRefused(f"transfer proposal {p.id}: say why it is refused")
    p.status = verb
    p.decided_by, p.decided_at, p.why = actor.username, now, why.strip()
    session.flush()
    record(
        session,
        actor.username,
        "transfer_proposal",
        p.id,
        "accept" if accept else "refuse",
        count=p.count,
        family=p.family,
        day=p.day,
        why=p.why,
    )
    return _view(session, p)


def list_proposals(
    session: Session,
    actor: Principal,
    *,
    statuses: tuple[str, ...] = (),
    from_day: date | None = None,
) -> tuple[ProposalView, ...]:
    """Proposals by van day (store staff: those touching their store)."""
    from dispatch.access.roles import store_scope

    check_role(actor, *READERS)
    own = store_scope(actor)
    q = select(TransferProposal).order_by(TransferProposal.day, TransferProposal.id)
    if statuses:
        q = q.where(TransferProposal.status.in_(statuses))
    if from_day is not None:
        q = q.where(TransferProposal.day >= from_day)
    if own is not None:
        q = q.where(
            (TransferProposal.from_site_id == own)
            | (TransferProposal.to_site_id == own)
        )
    return tuple(_view(session, p) for p in session.scalars(q))


def accepted_for(session: Session, day: date) -> tuple[ProposalView, ...]:
    """Accepted transfers whose van day is ``day`` (for the courier planner)."""
    q = (
        select(TransferProposal)
        .where(TransferProposal.status == "accepted", TransferProposal.day == day)
        .order_by(TransferProposal.id)
    )
    return tuple(_view(session, p) for p in session.scalars(q))
