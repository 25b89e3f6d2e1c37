"""Loaner pool services: lend, return, clean, transfer, reserve, retire, shortage.

Every function takes the caller's session and never commits: the entrypoint
(CLI command, dashboard action) owns the transaction, so a state change, its
``LoanerEvent`` and its ``AuditLog`` row are committed together or not at all.

Concurrency is the database's job, not Python's:

* ``lend`` locks the loaner row it picks (``SELECT ... FOR UPDATE SKIP LOCKED``
  on PostgreSQL, so racing lenders take *different* loaners instead of queueing
  on the same one); on SQLite the writer engine's ``BEGIN IMMEDIATE``
  serializes whole write transactions, and ``FOR UPDATE`` is ignored.
* The partial unique indexes on ``loan`` (one open loan per loaner, one per
  ticket) are the backstop; a violation becomes ``NoLoanerAvailable``.
* Other edits are optimistic (``Loaner.version`` is the ``version_id_col``): a
  lost race becomes ``LoanerChanged`` ("changed by someone else, reload").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

from sqlalchemy import case, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data import audit
from data.base import PARIS as PARIS
from data.enums import LoanerState
from data.models import (
    Customer,
    CustomerMachine,
    Loan,
    Loaner,
    LoanerEvent,
    LoyaltyAccount,
    RepairTicket,
    Site,
)
from loaner_pool.errors import LoanerPoolError, LoanerStateError, NoLoanerAvailable
from loaner_pool.policy import (
    COMPATIBLE_LOANERS,
    LoanRequest,
    RankedSite,
    SiteStock,
    allocate_shortage,
    compatible_families,
    rank_sites,
)

#: Default loan length: a workshop repair and the courier legs fit in two weeks.
LOAN_DAYS = 14
#: Ticket states in which a loaner is no longer wanted (values of repairs.states).
DONE_STATES = ("resolved", "closed", "cancelled")

_L = LoanerState
#: Which state a loaner may go to from each state. ``lent`` is only left by a
#: return, into cleaning (descaling): a loaner never goes straight back out.
LOANER_MOVES: Mapping[LoanerState, frozenset[LoanerState]] = MappingProxyType(
    {
        _L.AVAILABLE: frozenset({_L.RESERVED, _L.LENT, _L.IN_TRANSIT, _L.RETIRED}),
        _L.RESERVED: frozenset({_L.AVAILABLE, _L.LENT, _L.RETIRED}),
        _L.LENT: frozenset({_L.CLEANING}),
        _L.CLEANING: frozenset({_L.AVAILABLE, _L.RETIRED}),
        _L.IN_TRANSIT: frozenset({_L.AVAILABLE}),
        _L.RETIRED: frozenset(),
    }
)


class NotFound(LoanerPoolError, LookupError):
    """An unknown loaner, site or ticket."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} does not exist")


class LoanerChanged(LoanerPoolError):
    """Someone else changed the loaner since it was read: reload and retry."""

    def __init__(self, loaner: str) -> None:
        self.loaner = loaner
        super().__init__(
            f"loaner {loaner} was changed by someone else; reload and try again"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanerView:
    """A loaner as pages and the CLI see it, detached from the session."""

    id: int
    code: str
    model: str
    model_family: str
    condition: str
    state: LoanerState
    site_id: int
    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanView:
    """A loan, open or returned. ``distance_km`` is set when ``lend`` chose the site."""

    id: int
    loaner_id: int
    loaner_code: str
    model_family: str
    ticket_id: int
    customer_id: int
    from_site_id: int
    lent_at: datetime
    due_on: date
    returned_at: datetime | None = None
    returned_to_site_id: int | None = None
    distance_km: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortageResult:
    """What ``allocate_waiting`` decided: loans made, refusals with reasons, why."""

    family: str
    available: int
    granted: tuple[LoanView, ...]
    refused: tuple[tuple[int, str], ...]  # (ticket id, reason in words)
    explanation: str


def loaner_view(loaner: Loaner) -> LoanerView:
    """Copy a loaner row into a ``LoanerView``."""
    return LoanerView(
        id=loaner.id,
        code=loaner.code,
        model=loaner.model,
        model_family=loaner.model_family,
        condition=loaner.condition,
        state=LoanerState(loaner.state),
        site_id=loaner.site_id,
        version=loaner.version,
    )


def loan_view(loan: Loan, loaner: Loaner, distance_km: float | None = None) -> LoanView:
    """Copy a loan row (and its loaner's code and family) into a ``LoanView``."""
    return LoanView(
        id=loan.id,
        loaner_id=loaner.id,
        loaner_code=loaner.code,
        model_family=loaner.model_family,
        ticket_id=loan.ticket_id,
        customer_id=loan.customer_id,
        from_site_id=loan.from_site_id,
        lent_at=loan.lent_at,
        due_on=loan.due_on,
        returned_at=loan.returned_at,
        returned_to_site_id=loan.returned_to_site_id,
        distance_km=distance_km,
    )


# --- state changes -----------------------------------------------------------


def _move(
    session: Session,
    loaner: Loaner,
    to: LoanerState,
    *,
    action: str,
    actor: str,
    at: datetime,
    detail: str = "",
    site_id: int | None = None,
) -> None:
    """Apply one checked state change and record it (event + audit)."""
    before = LoanerState(loaner.state)
    if to not in LOANER_MOVES[before]:
        raise LoanerStateError(loaner.code, before.value, action)
    loaner.state = to.value
    if site_id is not None:
        loaner.site_id = site_id
    session.add(
        LoanerEvent(
            loaner_id=loaner.id,
            at=at,
            actor=actor,
            from_state=before.value,
            to_state=to.value,
            site_id=loaner.site_id,
            detail=detail,
        )
    )
    audit.record(
        session,
        actor,
        "loaner",
        loaner.id,
        action,
        code=loaner.code,
        from_state=before.value,
        to_state=to.value,
        site_id=loaner.site_id,
        detail=detail,
    )


@contextmanager
def _optimistic(loaner: Loaner) -> Iterator[None]:
    code = loaner.code
    try:
        yield
    except StaleDataError as exc:
        raise LoanerChanged(code) from exc


def get_loaner(session: Session, loaner: int | str) -> Loaner:
    """A loaner by id, or by code (``LN-0007``)."""
    if isinstance(loaner, int) or str(loaner).isdigit():
        row = session.get(Loaner, int(loaner))
    else:
        row = session.scalar(select(Loaner).where(Loaner.code == loaner))
    if row is None:
        raise NotFound(f"loaner {loaner}")
    return row


def _site(session: Session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(f"site {site_id}")
    return site


def _change(
    session: Session,
    loaner_id: int | str,
    to: LoanerState,
    *,
    action: str,
    actor: str,
    now: datetime | None,
    detail: str = "",
    site_id: int | None = None,
) -> LoanerView:
    loaner = get_loaner(session, loaner_id)
    _move(
        session,
        loaner,
        to,
        action=action,
        actor=actor,
        at=now or datetime.now(UTC),
        detail=detail,
        site_id=site_id,
    )
    with _optimistic(loaner):
        session.flush()
    return loaner_view(loaner)


def mark_ready(
    session: Session, loaner_id: int | str, *, actor: str, now: datetime | None = None
) -> LoanerView:
    """Cleaning and descaling done: the loaner can be lent again."""
    return _change(
        session,
        loaner_id,
        _L.AVAILABLE,
        action="mark ready",
        actor=actor,
        now=now,
        detail="cleaned and descaled",
    )


def reserve(
    session: Session,
    loaner_id: int | str,
    *,
    actor: str,
    why: str = "",
    now: datetime | None = None,
) -> LoanerView:
    """Hold an available loaner aside (e.g. promised to a customer on the phone)."""
    return _change(
        session,
        loaner_id,
        _L.RESERVED,
        action="reserve",
        actor=actor,
        now=now,
        detail=why,
    )


def release(
    session: Session,
    loaner_id: int | str,
    *,
    actor: str,
    why: str = "",
    now: datetime | None = None,
) -> LoanerView:
    """Give a reserved loaner back to the available stock."""
    return _change(
        session,
        loaner_id,
        _L.AVAILABLE,
        action="release",
        actor=actor,
        now=now,
        detail=why,
    )


def retire(
    session: Session,
    loaner_id: int | str,
    *,
    actor: str,
    why: str = "",
    now: datetime | None = None,
) -> LoanerView:
    """Take a loaner out of the pool for good (worn out, broken, sold)."""
    return _change(
        session,
        loaner_id,
        _L.RETIRED,
        action="retire",
        actor=actor,
        now=now,
        detail=why,
    )


def transfer(
    session: Session,
    loaner_id: int | str,
    to_site_id: int,
    *,
    actor: str,
    now: datetime | None = None,
) -> LoanerView:
    """Send an available loaner to another site: it is ``in transit`` until ``arrive``.

    The loaner's ``site_id`` becomes the destination at departure, so the pool
    counts it as inbound stock there; the event keeps where it came from.
    """
    loaner = get_loaner(session, loaner_id)
    dest = _site(session, to_site_id)
    if dest.id == loaner.site_id:
        raise LoanerStateError(
            loaner.code, loaner.state, f"transfer to its own site {dest.code}"
        )
    origin = loaner.site_id
    _move(
        session,
        loaner,
        _L.IN_TRANSIT,
        action="transfer",
        actor=actor,
        at=now or datetime.now(UTC),
        site_id=dest.id,
        detail=f"from site {origin} to {dest.code}",
    )
    with _optimistic(loaner):
        session.flush()
    return loaner_view(loaner)


def arrive(
    session: Session, loaner_id: int | str, *, actor: str, now: datetime | None = None
) -> LoanerView:
    """A transferred loaner reached its new site: available there."""
    return _change(
        session,
        loaner_id,
        _L.AVAILABLE,
        action="arrive",
        actor=actor,
        now=now,
        detail="arrived",
    )


def return_loaner(
    session: Session,
    loaner_id: int | str,
    *,
    site_id: int | None = None,
    actor: str,
    now: datetime | None = None,
) -> LoanView:
    """Close the loaner's open loan; the loaner goes to cleaning (descaling).

    ``site_id`` is where it was brought back (default: the site that lent it).
    Call ``mark_ready`` once it is clean.

    Raises
    ------
    NotFound, LoanerStateError (no open loan), LoanerChanged
    """
    at = now or datetime.now(UTC)
    loaner = get_loaner(session, loaner_id)
    loan = session.scalar(
        select(Loan).where(Loan.loaner_id == loaner.id, Loan.returned_at.is_(None))
    )
    if loan is None:
        raise LoanerStateError(loaner.code, loaner.state, "return: it has no open loan")
    back_to = _site(session, site_id).id if site_id is not None else loan.from_site_id
    loan.returned_at = at
    loan.returned_to_site_id = back_to
    _move(
        session,
        loaner,
        _L.CLEANING,
        action="return",
        actor=actor,
        at=at,
        site_id=back_to,
        detail=f"returned from ticket {loan.ticket_id}; descaling",
    )
    with _optimistic(loaner):
        session.flush()
    return loan_view(loan, loaner)


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
