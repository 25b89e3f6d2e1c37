"""Read-only views of the loaner pool, as small frozen dataclasses.

For the loaners page and the CLI: overdue loans with the customer's contact
(who to call), stock counts by site / family / state, and one loaner's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.enums import LoanerState
from data.models import Customer, Loan, Loaner, LoanerEvent, RepairTicket, Site
from loaner_pool.service import LoanerView, LoanView, get_loaner, loan_view, loaner_view


@dataclass(frozen=True, slots=True, kw_only=True)
class OverdueLoan:
    """An open loan past its due date, with what is needed to chase it."""

    loan_id: int
    loaner_id: int
    loaner_code: str
    model_family: str
    ticket_id: int
    ticket_ref: str
    customer_id: int
    customer: str
    phone: str | None
    email: str | None
    lent_at: datetime
    due_on: date
    days_overdue: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolCount:
    site_id: int
    site_code: str
    site_name: str
    model_family: str
    state: LoanerState
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanerEventRow:
    at: datetime
    actor: str
    from_state: str | None
    to_state: str
    site_id: int | None
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoanerHistory:
    """A loaner, every state change it went through and every loan it served."""

    loaner: LoanerView
    site_name: str
    events: tuple[LoanerEventRow, ...]
    loans: tuple[LoanView, ...]


def overdue(session: Session, today: date) -> tuple[OverdueLoan, ...]:
    """Open loans whose due date is before ``today``, most overdue first."""
    stmt = (
        select(Loan, Loaner, RepairTicket.ref, Customer)
        .join(Loaner, Loaner.id == Loan.loaner_id)
        .join(RepairTicket, RepairTicket.id == Loan.ticket_id)
        .join(Customer, Customer.id == Loan.customer_id)
        .where(Loan.returned_at.is_(None), Loan.due_on < today)
        .order_by(Loan.due_on, Loan.id)
    )
    return tuple(
        OverdueLoan(
            loan_id=loan.id,
            loaner_id=loaner.id,
            loaner_code=loaner.code,
            model_family=loaner.model_family,
            ticket_id=loan.ticket_id,
            ticket_ref=ref,
            customer_id=c.id,
            customer=c.name,
            phone=c.phone,
            email=c.email,
            lent_at=loan.lent_at,
            due_on=loan.due_on,
            days_overdue=(today - loan.due_on).days,
        )
        for loan, loaner, ref, c in session.execute(stmt)
    )


def pool(session: Session, site_id: int | None = None) -> tuple[PoolCount, ...]:
    """Loaner counts by site, model family and state (a loaner in transit counts
    at its destination)."""
    stmt = (
        select(
            Site.id,
            Site.code,
            Site.name,
            Loaner.model_family,
            Loaner.state,
            func.count(),
        )
        .join(Loaner, Loaner.site_id == Site.id)
        .group_by(Site.id, Site.code, Site.name, Loaner.model_family, Loaner.state)
        .order_by(Site.code, Loaner.model_family, Loaner.state)
    )
    if site_id is not None:
        stmt = stmt.where(Site.id == site_id)
    return tuple(
        PoolCount(
            site_id=sid,
            site_code=code,
            site_name=name,
            model_family=fam,
            state=LoanerState(state),
            count=n,
        )
        for sid, code, name, fam, state, n in session.execute(stmt)
    )


def history(session: Session, loaner_id: int | str) -> LoanerHistory:
    """Everything that happened to one loaner, oldest first. Raises ``NotFound``."""
    loaner = get_loaner(session, loaner_id)
    events = session.scalars(
        select(LoanerEvent)
        .where(LoanerEvent.loaner_id == loaner.id)
        .order_by(LoanerEvent.at, LoanerEvent.id)
    )
    loans = session.scalars(
        select(Loan).where(Loan.loaner_id == loaner.id).order_by(Loan.lent_at, Loan.id)
    )
    site = session.get_one(Site, loaner.site_id)
    return LoanerHistory(
        loaner=loaner_view(loaner),
        site_name=site.name,
        events=tuple(
            LoanerEventRow(
                at=e.at,
                actor=e.actor,
                from_state=e.from_state,
                to_state=e.to_state,
                site_id=e.site_id,
                detail=e.detail,
            )
            for e in events
        ),
        loans=tuple(loan_view(loan, loaner) for loan in loans),
    )
