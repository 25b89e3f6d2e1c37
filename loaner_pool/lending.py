"""Lending a loaner and sharing scarce ones: the row-locked pick and the shortage ranking.

Same rules as :mod:`loaner_pool.service` (never commits; ``SKIP LOCKED`` on
PostgreSQL, the partial unique indexes on ``loan`` as the backstop).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data.base import PARIS
from data.models import (
    Customer,
    CustomerMachine,
    Loan,
    Loaner,
    LoyaltyAccount,
    RepairTicket,
    Site,
)
from loaner_pool.errors import NoLoanerAvailable
from loaner_pool.policy import (
    COMPATIBLE_LOANERS,
    LoanRequest,
    RankedSite,
    SiteStock,
    allocate_shortage,
    compatible_families,
    rank_sites,
)
from loaner_pool.service import (
    _L,
    DONE_STATES,
    LOAN_DAYS,
    LoanView,
    NotFound,
    _move,
    loan_view,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortageResult:
    """What ``allocate_waiting`` decided: loans made, refusals with reasons, why."""

    family: str
    available: int
    granted: tuple[LoanView, ...]
    refused: tuple[tuple[int, str], ...]  # (ticket id, reason in words)
    explanation: str


# --- lending -----------------------------------------------------------------


def _ticket_and_family(
    session: Session, ticket_id: int
) -> tuple[RepairTicket, Customer, str]:
    ticket = session.get(RepairTicket, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id}")
    if ticket.status in DONE_STATES:
        raise NoLoanerAvailable(
            f"ticket {ticket_id} is {ticket.status}: it needs no loaner",
            ticket_id=ticket_id,
        )
    if ticket.machine_id is None:
        raise NoLoanerAvailable(
            f"ticket {ticket_id} has no machine on record, so no compatible family",
            ticket_id=ticket_id,
        )
    machine = session.get_one(CustomerMachine, ticket.machine_id)
    return ticket, session.get_one(Customer, ticket.customer_id), machine.model_family


def _refuse_if_lent(session: Session, ticket_id: int) -> None:
    code = session.scalar(
        select(Loaner.code)
        .join(Loan, Loan.loaner_id == Loaner.id)
        .where(Loan.ticket_id == ticket_id, Loan.returned_at.is_(None))
    )
    if code is not None:
        raise NoLoanerAvailable(
            f"ticket {ticket_id} already has loaner {code}", ticket_id=ticket_id
        )


def _stock(
    session: Session, families: Sequence[str], site_id: int | None
) -> list[SiteStock]:
    """Available loaners per site and family (unlocked: only used to rank sites)."""
    stmt = (
        select(Site, Loaner.model_family, func.count())
        .join(Loaner, Loaner.site_id == Site.id)
        .where(Loaner.state == _L.AVAILABLE.value, Loaner.model_family.in_(families))
        .group_by(Site.id, Loaner.model_family)
    )
    if site_id is not None:
        stmt = stmt.where(Site.id == site_id)
    by_site: dict[int, tuple[Site, dict[str, int]]] = {}
    for site, family, n in session.execute(stmt):
        by_site.setdefault(site.id, (site, {}))[1][family] = n
    return [
        SiteStock(
            site_id=s.id, name=s.name, lat=s.lat, lon=s.lon, available_by_family=c
        )
        for s, c in by_site.values()
    ]


def _lock_one(session: Session, site_id: int, families: Sequence[str]) -> Loaner | None:
    """Lock one available loaner at the site, best family first.

    ``skip_locked``: a loaner another transaction is lending right now is not
    waited for, it is simply not a candidate (PostgreSQL; no-op on SQLite).
    """
    preference = case({f: i for i, f in enumerate(families)}, value=Loaner.model_family)
    stmt = (
        select(Loaner)
        .where(
            Loaner.site_id == site_id,
            Loaner.model_family.in_(families),
            Loaner.state == _L.AVAILABLE.value,
        )
        .order_by(preference, Loaner.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return session.scalar(stmt)


def _due_on(at: datetime) -> date:
    return at.astimezone(PARIS).date() + timedelta(days=LOAN_DAYS)


def _make_loan(
    session: Session,
    ticket: RepairTicket,
    loaner: Loaner,
    site: RankedSite,
    *,
    actor: str,
    at: datetime,
    due_on: date | None,
) -> LoanView:
    """Flip the locked loaner to lent and insert the loan, inside a savepoint so a
    unique-index violation leaves the caller's transaction usable."""
    loan = Loan(
        loaner_id=loaner.id,
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        from_site_id=loaner.site_id,
        lent_at=at,
        due_on=due_on or _due_on(at),
    )
    code = loaner.code
    try:
        with session.begin_nested():
            _move(
                session,
                loaner,
                _L.LENT,
                action="lend",
                actor=actor,
                at=at,
                detail=f"lent for ticket {ticket.ref} ({site.distance_km:.1f} km)",
            )
            session.add(loan)
            session.flush()
    except (IntegrityError, StaleDataError) as exc:
        raise NoLoanerAvailable(
            _clash_reason(exc, ticket.id, code), ticket_id=ticket.id
        ) from exc
    return loan_view(loan, loaner, site.distance_km)


def _clash_reason(exc: Exception, ticket_id: int, code: str) -> str:
    text = str(getattr(exc, "orig", exc))
    if "ticket" in text:  # uq_loan_open_per_ticket / "loan.ticket_id"
        return f"ticket {ticket_id} was given a loaner by someone else meanwhile"
    return f"loaner {code} was lent by someone else meanwhile"


def _none_reason(session: Session, families: Sequence[str], site_id: int | None) -> str:
    what = " or ".join(families)
    if site_id is None:
        return f"no {what} loaner available within the network"
    site = session.get(Site, site_id)
    name = site.name if site else "unknown site"
    return f"no {what} loaner available at site {site_id} ({name})"


def lend(
    session: Session,
    ticket_id: int,
    site_id: int | None = None,
    *,
    actor: str = "system",
    now: datetime | None = None,
    due_on: date | None = None,
) -> LoanView:
    """Lend one loaner compatible with the ticket's machine.

    With ``site_id`` only that site lends; otherwise the nearest site with a
    compatible loaner in stock (``policy.rank_sites``), falling back to the next
    site when a racing transaction took the last one. The loan is due
    ``LOAN_DAYS`` after ``now`` unless ``due_on`` is given.

    Raises
    ------
    NoLoanerAvailable
        With the reason: none compatible in stock (at the site / in the
        network), the ticket already has a loaner, or a racing lender won.
    NotFound
        Unknown ticket.
    """
    return _lend(session, ticket_id, site_id, actor=actor, now=now, due_on=due_on)


def _lend(
    session: Session,
    ticket_id: int,
    site_id: int | None,
    *,
    actor: str,
    now: datetime | None,
    due_on: date | None = None,
    only_family: str | None = None,
) -> LoanView:
    at = now or datetime.now(UTC)
    ticket, customer, family = _ticket_and_family(session, ticket_id)
    _refuse_if_lent(session, ticket_id)
    families = (only_family,) if only_family else compatible_families(family)
    stock = _stock(session, families, site_id)
    for site in rank_sites(customer.lat, customer.lon, stock, family):
        loaner = _lock_one(session, site.site_id, families)
        if loaner is not None:
            return _make_loan(
                session, ticket, loaner, site, actor=actor, at=at, due_on=due_on
            )
    raise NoLoanerAvailable(
        _none_reason(session, families, site_id), ticket_id=ticket_id
    )


# --- shortage ----------------------------------------------------------------


def _machine_families_served_by(family: str) -> list[str]:
    return [m for m, loaners in COMPATIBLE_LOANERS.items() if family in loaners]


def waiting_requests(session: Session, family: str) -> list[LoanRequest]:
    """Open tickets that need a loaner of ``family`` and have no open loan."""
    open_loan = exists().where(
        Loan.ticket_id == RepairTicket.id, Loan.returned_at.is_(None)
    )
    stmt = (
        select(RepairTicket.id, LoyaltyAccount.tier, RepairTicket.opened_at)
        .join(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
        .outerjoin(
            LoyaltyAccount, LoyaltyAccount.customer_id == RepairTicket.customer_id
        )
        .where(
            RepairTicket.loaner_needed.is_(True),
            RepairTicket.status.not_in(DONE_STATES),
            CustomerMachine.model_family.in_(_machine_families_served_by(family)),
            ~open_loan,
        )
        .order_by(RepairTicket.id)
    )
    return [
        LoanRequest(ticket_id=tid, tier=tier or "Member", waiting_since=since)
        for tid, tier, since in session.execute(stmt)
    ]


def _available(session: Session, family: str, site_id: int | None) -> int:
    stmt = (
        select(func.count())
        .select_from(Loaner)
        .where(Loaner.state == _L.AVAILABLE.value, Loaner.model_family == family)
    )
    if site_id is not None:
        stmt = stmt.where(Loaner.site_id == site_id)
    return int(session.scalar(stmt) or 0)


def allocate_waiting(
    session: Session,
    *,
    family: str,
    site_id: int | None = None,
    now: datetime,
    actor: str = "system",
) -> ShortageResult:
    """Share the available ``family`` loaners among the tickets waiting for one.

    Ranking is ``policy.allocate_shortage``'s: higher loyalty tier first, then
    the longer wait (since the ticket was opened). Granted tickets are lent a
    loaner now (nearest stock, ``site_id`` if given); refused ones get a reason
    naming who outranked them. A grant that loses a race is refused with the
    race's reason rather than failing the whole allocation.
    """
    compatible_families(family)  # validates the family name
    requests = waiting_requests(session, family)
    available = _available(session, family, site_id)
    decision = allocate_shortage(requests, available, now)
    granted: list[LoanView] = []
    refused = list(decision.refused)
    for ticket_id in decision.granted:
        try:
            granted.append(
                _lend(
                    session,
                    ticket_id,
                    site_id,
                    actor=actor,
                    now=now,
                    only_family=family,
                )
            )
        except NoLoanerAvailable as exc:
            refused.append((ticket_id, exc.reason))
    return ShortageResult(
        family=family,
        available=available,
        granted=tuple(granted),
        refused=tuple(refused),
        explanation=decision.explanation,
    )
