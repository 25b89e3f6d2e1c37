"""What the loaners page shows and does, limited to what the signed-in user may see.

Thin services over :mod:`loaner_pool`: the pool by site and state, overdue loans
with the customer's contact, the loaners an action can pick from, and lend /
return / transfer / mark clean / arrived. Store staff are scoped to their own
store everywhere (:func:`scope`): they read their store's loaners only, lend from
their store, and act only on loaners held by their store; anything else raises
``AccessDenied``. Answers are frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import loaner_pool
from data.enums import LoanerState, Role, SiteKind
from data.models import Customer, CustomerMachine, Loan, Loaner, RepairTicket, Site
from dispatch import labels
from dispatch.access.roles import AccessDenied, Principal, check_role, store_scope
from loaner_pool.policy import SiteStock, compatible_families, rank_sites
from loaner_pool.service import LoanerView, LoanView, NotFound, get_loaner

__all__ = [
    "LOANER_ROLES",
    "LoanerRow",
    "OverdueRow",
    "SitePool",
    "arrive",
    "lend",
    "loaners",
    "mark_clean",
    "overdue",
    "pool_by_site",
    "return_loaner",
    "scope",
    "ticket_id_of",
    "transfer",
]

LOANER_ROLES = (Role.DISPATCHER, Role.STORE_STAFF, Role.MANAGER)
STATES = tuple(LoanerState)


@dataclass(frozen=True, slots=True)
class SitePool:
    """Loaners held by one site, by state (in transit counts at its destination)."""

    site_id: int
    code: str
    name: str
    kind: str
    region: str
    lat: float
    lon: float
    counts: tuple[tuple[str, int], ...]  # (state, count) for every LoanerState

    def count(self, state: str) -> int:
        return dict(self.counts).get(str(state), 0)

    @property
    def total(self) -> int:
        return sum(n for s, n in self.counts if s != LoanerState.RETIRED)


@dataclass(frozen=True, slots=True)
class OverdueRow:
    """An open loan past its due day and who to call about it."""

    loaner_id: int
    loaner_code: str
    model_family: str
    site_code: str
    ticket_id: int
    ticket_ref: str
    customer: str
    phone: str
    email: str
    lent_at: datetime
    due_on: date
    days_overdue: int


@dataclass(frozen=True, slots=True)
class LoanerRow:
    """A loaner an action can pick, with its open loan if lent."""

    id: int
    code: str
    model: str
    model_family: str
    state: str
    site_id: int
    site_code: str
    ticket_ref: str | None
    due_on: date | None

    @property
    def label(self) -> str:
        where = f" · {self.site_code}"
        loan = (
            f" · ticket {self.ticket_ref} due {self.due_on}" if self.ticket_ref else ""
        )
        return f"{self.code} · {self.model}{where}{loan}"


def scope(user: Principal, requested_site: int | None = None) -> int | None:
    """The site the user's view is limited to (None: the whole network).

    Store staff: their store, and asking for another site raises ``AccessDenied``.
    """
    check_role(user, *LOANER_ROLES)
    own = store_scope(user)
    if own is None:
        return requested_site
    if requested_site is not None and requested_site != own:
        raise AccessDenied(user.username, f"see the loaners of site {requested_site}")
    return own


def pool_by_site(
    session: Session, user: Principal, site_id: int | None = None
) -> tuple[SitePool, ...]:
    """Counts by site and state, aggregated in SQL; sites holding no loaner left out."""
    site_id = scope(user, site_id)
    stmt = (
        select(
            Site.id,
            Site.code,
            Site.name,
            Site.kind,
            Site.region,
            Site.lat,
            Site.lon,
            Loaner.state,
            func.count(Loaner.id),
        )
        .join(Loaner, Loaner.site_id == Site.id)
        .group_by(
            Site.id,
            Site.code,
            Site.name,
            Site.kind,
            Site.region,
            Site.lat,
            Site.lon,
            Loaner.state,
        )
        .order_by(Site.code)
    )
    if site_id is not None:
        stmt = stmt.where(Site.id == site_id)
    Head = tuple[int, str, str, str, str, float, float]  # SitePool's fields but counts
    sites: dict[int, tuple[Head, dict[str, int]]] = {}
    for sid, code, name, kind, region, lat, lon, state, n in session.execute(stmt):
        sites.setdefault(sid, ((sid, code, name, kind, region, lat, lon), {}))[1][
            state
        ] = int(n)
    return tuple(
        SitePool(
            *head,
            counts=tuple((s.value, counts.get(s.value, 0)) for s in STATES),
        )
        for head, counts in sites.values()
    )


def overdue(
    session: Session, user: Principal, today: date, site_id: int | None = None
) -> tuple[OverdueRow, ...]:
    """Open loans due before ``today``, most overdue first (lent from ``site_id``)."""
    site_id = scope(user, site_id)
    stmt = (
        select(
            Loan,
            Loaner.code,
            Loaner.model_family,
            Site.code,
            RepairTicket.ref,
            Customer,
        )
        .join(Loaner, Loaner.id == Loan.loaner_id)
        .join(Site, Site.id == Loan.from_site_id)
        .join(RepairTicket, RepairTicket.id == Loan.ticket_id)
        .join(Customer, Customer.id == Loan.customer_id)
        .where(Loan.returned_at.is_(None), Loan.due_on < today)
        .order_by(Loan.due_on, Loan.id)
    )
    if site_id is not None:
        stmt = stmt.where(Loan.from_site_id == site_id)
    return tuple(
        OverdueRow(
            loan.loaner_id,
            code,
            family,
            site_code,
            loan.ticket_id,
            ref,
            c.name,
            c.phone or "",
            c.email or "",
            loan.lent_at,
            loan.due_on,
            (today - loan.due_on).days,
        )
        for loan, code, family, site_code, ref, c in session.execute(stmt).tuples()
    )


def loaners(
    session: Session,
    user: Principal,
    *,
    states: tuple[str, ...] = (),
    site_id: int | None = None,
) -> tuple[LoanerRow, ...]:
    """Loaners in ``states`` (all but retired when empty) held by the visible sites."""
    site_id = scope(user, site_id)
    stmt = (
        select(Loaner, Site.code, RepairTicket.ref, Loan.due_on)
        .join(Site, Site.id == Loaner.site_id)
        .outerjoin(Loan, (Loan.loaner_id == Loaner.id) & Loan.returned_at.is_(None))
        .outerjoin(RepairTicket, RepairTicket.id == Loan.ticket_id)
        .order_by(Loaner.code)
    )
    if states:
        stmt = stmt.where(Loaner.state.in_([str(s) for s in states]))
    else:
        stmt = stmt.where(Loaner.state != LoanerState.RETIRED.value)
    if site_id is not None:
        stmt = stmt.where(Loaner.site_id == site_id)
    return tuple(
        LoanerRow(
            r.id, r.code, r.model, r.model_family, r.state, r.site_id, code, ref, due
        )
        for r, code, ref, due in session.execute(stmt).tuples()
    )


def ticket_id_of(session: Session, ticket: str | int) -> int:
    """A ticket's id from its id or its reference (``R1234``); ``NotFound`` if none."""
    text = str(ticket).strip()
    tid = session.scalar(select(RepairTicket.id).where(RepairTicket.ref == text))
    if tid is None and text.isdigit():
        tid = session.scalar(
            select(RepairTicket.id).where(RepairTicket.id == int(text))
        )
    if tid is None:
        raise NotFound(f"ticket {text!r}")
    return int(tid)


def _own_loaner(session: Session, user: Principal, loaner_id: int | str) -> int:
    """The loaner's id, if the user may act on it (store staff: held by their store)."""
    check_role(user, *LOANER_ROLES)
    loaner = get_loaner(session, loaner_id)
    own = store_scope(user)
    if own is not None and loaner.site_id != own:
        raise AccessDenied(
            user.username, f"act on loaner {loaner.code} of another site"
        )
    return loaner.id


def _site_for_action(
    session: Session, user: Principal, site_id: int | None
) -> int | None:
    own = scope(user, site_id)
    if own is not None:
        site = session.get(Site, own)
        if site is None or site.kind not in (SiteKind.STORE, SiteKind.DEPOT):
            raise NotFound(f"site {own} (no store or depot)")
    return own


def lend(
    session: Session,
    user: Principal,
    ticket: str | int,
    site_id: int | None = None,
    *,
    now: datetime | None = None,
) -> LoanView:
    """Lend a compatible loaner for ``ticket`` (id or ref) from ``site_id`` (store
    staff: always their store; others: None = the nearest site with stock).

    Raises ``NoLoanerAvailable`` (its ``reason`` says why), ``NotFound``, ``AccessDenied``.
    """
    site = _site_for_action(session, user, site_id)
    tid = ticket_id_of(session, ticket)
    try:
        return loaner_pool.lend(session, tid, site, actor=user.username, now=now)
    except loaner_pool.NoLoanerAvailable as exc:
        raise refusal_for(session, user, tid, site, exc) from exc


NEAREST_SHOWN = 3


def refusal_for(
    session: Session,
    user: Principal,
    ticket_id: int,
    site_id: int | None,
    exc: loaner_pool.NoLoanerAvailable,
) -> loaner_pool.NoLoanerAvailable:
    """The refusal as this reader may see it, with where to find a loaner instead.

    Store staff never read another store's loaners or orders: a loaner already
    lent for the ticket from elsewhere is not named. A refusal for want of stock
    lists the nearest sites holding a compatible loaner (sites by code and name,
    with the distance to the customer), never what they hold.
    """
    ticket = session.get(RepairTicket, ticket_id)
    ref = ticket.ref if ticket else str(ticket_id)
    row = session.execute(
        select(Customer.lat, Customer.lon, CustomerMachine.model_family)
        .join(RepairTicket, RepairTicket.customer_id == Customer.id)
        .outerjoin(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
        .where(RepairTicket.id == ticket_id)
    ).first()
    family = row[2] if row else None
    own = store_scope(user)
    lent = session.execute(
        select(Loaner.code, Loaner.site_id, Loan.from_site_id)
        .join(Loan, Loan.loaner_id == Loaner.id)
        .where(Loan.ticket_id == ticket_id, Loan.returned_at.is_(None))
    ).first()
    if lent is not None:
        if own is not None and own not in (lent[1], lent[2]):
            reason = "this ticket already has a loaner, lent by another site"
        else:
            reason = f"this ticket already has loaner {lent[0]}"
        return loaner_pool.NoLoanerAvailable(
            reason, ticket_id=ref, family=labels.family(family)
        )
    if row is None or family is None:
        return loaner_pool.NoLoanerAvailable(exc.reason, ticket_id=ref)
    here = session.get(Site, site_id) if site_id is not None else None
    where = f"at {labels.site(here.code, here.name)}" if here else "in the network"
    reason = f"no {labels.family(family)} loaner (or a compatible one) in stock {where}"
    if site_id is not None:
        nearest = _nearest_with_stock(session, row[0], row[1], family, site_id)
        if nearest:
            reason += "; nearest with one in stock: " + ", ".join(nearest)
    return loaner_pool.NoLoanerAvailable(
        reason, ticket_id=ref, family=labels.family(family)
    )


def _nearest_with_stock(
    session: Session, lat: float, lon: float, family: str, exclude: int
) -> list[str]:
    """The nearest stores and depots with a compatible loaner available: ``code · name (km)``."""
    families = compatible_families(family)
    counts: dict[int, dict[str, int]] = {}
    sites: dict[int, Site] = {}
    for site, fam, n in session.execute(
        select(Site, Loaner.model_family, func.count())
        .join(Loaner, Loaner.site_id == Site.id)
        .where(
            Loaner.state == LoanerState.AVAILABLE.value,
            Loaner.model_family.in_(families),
            Site.id != exclude,
            Site.kind.in_([SiteKind.STORE.value, SiteKind.DEPOT.value]),
        )
        .group_by(Site.id, Loaner.model_family)
    ):
        sites[site.id] = site
        counts.setdefault(site.id, {})[fam] = n
    stock = [
        SiteStock(
            site_id=i,
            name=sites[i].name,
            lat=sites[i].lat,
            lon=sites[i].lon,
            available_by_family=c,
        )
        for i, c in counts.items()
    ]
    ranked = rank_sites(lat, lon, stock, family)[:NEAREST_SHOWN]
    return [
        f"{labels.site(sites[r.site_id].code, sites[r.site_id].name)} "
        f"({r.distance_km:.0f} km)"
        for r in ranked
    ]


def return_loaner(
    session: Session,
    user: Principal,
    loaner_id: int | str,
    site_id: int | None = None,
    *,
    now: datetime | None = None,
) -> LoanView:
    """Close the loaner's open loan; it goes to cleaning at ``site_id`` (store staff:
    their store; others: None = the site that lent it)."""
    lid = _own_loaner(session, user, loaner_id)
    site = _site_for_action(session, user, site_id)
    return loaner_pool.return_loaner(
        session, lid, site_id=site, actor=user.username, now=now
    )


def transfer(
    session: Session,
    user: Principal,
    loaner_id: int | str,
    to_site_id: int,
    *,
    now: datetime | None = None,
) -> LoanerView:
    """Send an available loaner to another store or depot (in transit until it arrives)."""
    lid = _own_loaner(session, user, loaner_id)
    dest = session.get(Site, to_site_id)
    if dest is None or dest.kind not in (SiteKind.STORE, SiteKind.DEPOT):
        raise NotFound(f"store or depot {to_site_id}")
    return loaner_pool.transfer(session, lid, to_site_id, actor=user.username, now=now)


def mark_clean(
    session: Session,
    user: Principal,
    loaner_id: int | str,
    *,
    now: datetime | None = None,
) -> LoanerView:
    """Cleaning and descaling done: the loaner is available again."""
    lid = _own_loaner(session, user, loaner_id)
    return loaner_pool.mark_ready(session, lid, actor=user.username, now=now)


def arrive(
    session: Session,
    user: Principal,
    loaner_id: int | str,
    *,
    now: datetime | None = None,
) -> LoanerView:
    """A transferred loaner reached the site that holds it: available there."""
    lid = _own_loaner(session, user, loaner_id)
    return loaner_pool.arrive(session, lid, actor=user.username, now=now)
