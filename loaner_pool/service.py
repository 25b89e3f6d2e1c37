"""Loaner pool services: return, clean, transfer, reserve, retire (lending: ``loaner_pool.lending``).

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

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data import audit
from data.base import PARIS as PARIS
from data.enums import LoanerState
from data.models import (
    Loan,
    Loaner,
    LoanerEvent,
    Site,
)
from loaner_pool.errors import LoanerPoolError, LoanerStateError

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
