"""Database rows -> the forecast's snapshot: stock now, flows known, what history taught."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.enums import LoanerState, SiteKind
from data.gazetteer import distance_km
from data.models import (
    Customer,
    CustomerMachine,
    Loan,
    Loaner,
    LoanerEvent,
    RepairTicket,
    Site,
)
from loaner_pool.forecast.learn import RATE_WEEKS, LoanRecord, TicketRecord, learn
from loaner_pool.forecast.model import Arrival, Need, OpenLoan, Snapshot, StockSite
from loaner_pool.forecast.transfers import next_van_day
from loaner_pool.policy import compatible_families
from loaner_pool.service import DONE_STATES

HOLDERS = (SiteKind.STORE.value, SiteKind.DEPOT.value)


def stock_sites(session: Session) -> tuple[StockSite, ...]:
    """Stores and depots, each with the depot whose vans serve it."""
    rows = session.scalars(
        select(Site).where(Site.kind.in_(HOLDERS)).order_by(Site.code)
    ).all()
    depots = [s for s in rows if s.kind == SiteKind.DEPOT.value]
    out = []
    for s in rows:
        if s.kind == SiteKind.DEPOT.value:
            group = s.id
        elif s.depot_id is not None:
            group = s.depot_id
        elif depots:
            group = min(
                depots, key=lambda d: distance_km(s.lat, s.lon, d.lat, d.lon)
            ).id
        else:
            group = s.id
        out.append(
            StockSite(s.id, s.code, s.name, s.kind, s.region, s.lat, s.lon, group)
        )
    return tuple(out)


class _Nearest:
    """The holder nearest a point (the site a customer walks into), memoised per point."""

    def __init__(self, sites: tuple[StockSite, ...]) -> None:
        self.sites = sites
        self.memo: dict[tuple[float, float], int] = {}

    def __call__(self, lat: float, lon: float) -> int:
        key = (round(lat, 3), round(lon, 3))
        if key not in self.memo:
            best = min(
                self.sites,
                key=lambda s: (
                    (s.lat - lat) ** 2 + ((s.lon - lon) * 0.7) ** 2,
                    s.site_id,
                ),
            )
            self.memo[key] = best.site_id
        return self.memo[key]


def _day(at: datetime) -> date:
    return at.astimezone(PARIS).date()


def history_records(
    session: Session, sites: tuple[StockSite, ...], since: date
) -> tuple[list[LoanRecord], list[TicketRecord]]:
    """Loans lent since ``since`` (with their cleaning) and loaner-needing tickets opened since."""
    nearest = _Nearest(sites)
    ready: dict[int, list[datetime]] = defaultdict(list)
    for lid, at in session.execute(
        select(LoanerEvent.loaner_id, LoanerEvent.at).where(
            LoanerEvent.from_state == LoanerState.CLEANING.value,
            LoanerEvent.to_state == LoanerState.AVAILABLE.value,
        )
    ).tuples():
        ready[lid].append(at)
    for v in ready.values():
        v.sort()
    start = since - timedelta(days=30)
    loans = []
    lent_tickets: dict[int, int] = {}
    for ln, fam in session.execute(
        select(Loan, Loaner.model_family)
        .join(Loaner, Loaner.id == Loan.loaner_id)
        .where(Loan.lent_at >= _utc_start(start))
    ).tuples():
        ready_on = None
        if ln.returned_at is not None:
            ats = ready[ln.loaner_id]
            k = bisect_left(ats, ln.returned_at)
            ready_on = _day(ats[k]) if k < len(ats) else None
        loans.append(
            LoanRecord(
                ln.from_site_id,
                fam,
                _day(ln.lent_at),
                ln.due_on,
                _day(ln.returned_at) if ln.returned_at else None,
                ready_on,
            )
        )
        lent_tickets[ln.ticket_id] = ln.from_site_id
    tickets = []
    for tid, opened, lat, lon in session.execute(
        select(RepairTicket.id, RepairTicket.opened_at, Customer.lat, Customer.lon)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(
            RepairTicket.loaner_needed.is_(True),
            RepairTicket.opened_at >= _utc_start(since),
        )
    ).tuples():
        site = lent_tickets.get(tid) or nearest(lat, lon)
        tickets.append(TicketRecord(site, _day(opened)))
    return loans, tickets


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS)


def snapshot(session: Session, today: date) -> Snapshot:
    """What is known at the end of ``today``: the live pool and the last weeks of history."""
    sites = stock_sites(session)
    ids = {s.site_id for s in sites}
    nearest = _Nearest(sites)
    available: Counter[tuple[int, str]] = Counter()
    arrivals: list[Arrival] = []
    loans_h, tickets_h = history_records(
        session, sites, today - timedelta(days=7 * RATE_WEEKS)
    )
    learned = learn(loans_h, tickets_h, sites, today)
    since_clean: dict[int, datetime] = {}
    for lid, at in session.execute(
        select(LoanerEvent.loaner_id, func.max(LoanerEvent.at))
        .where(LoanerEvent.to_state == LoanerState.CLEANING.value)
        .group_by(LoanerEvent.loaner_id)
    ).tuples():
        since_clean[lid] = at
    tomorrow = today + timedelta(days=1)
    for lid, fam, sid, state in session.execute(
        select(Loaner.id, Loaner.model_family, Loaner.site_id, Loaner.state).where(
            Loaner.state.in_(
                [
                    LoanerState.AVAILABLE.value,
                    LoanerState.CLEANING.value,
                    LoanerState.IN_TRANSIT.value,
                ]
            )
        )
    ).tuples():
        if sid not in ids:
            continue
        if state == LoanerState.AVAILABLE.value:
            available[(sid, fam)] += 1
        elif state == LoanerState.IN_TRANSIT.value:
            arrivals.append(Arrival(sid, fam, tomorrow))
        else:
            since = _day(since_clean[lid]) if lid in since_clean else today
            arrivals.append(
                Arrival(
                    sid,
                    fam,
                    max(tomorrow, since + timedelta(days=learned.cleaning_days)),
                )
            )
    loans = [
        OpenLoan(site, fam, due)
        for site, fam, due in session.execute(
            select(Loan.from_site_id, Loaner.model_family, Loan.due_on)
            .join(Loaner, Loaner.id == Loan.loaner_id)
            .where(Loan.returned_at.is_(None))
        ).tuples()
    ]
    had_loan = select(Loan.id).where(Loan.ticket_id == RepairTicket.id).exists()
    van = next_van_day(today)
    needs = []
    for visit_on, lat, lon, fam in session.execute(
        select(
            RepairTicket.visit_on,
            Customer.lat,
            Customer.lon,
            CustomerMachine.model_family,
        )
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .join(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
        .where(
            RepairTicket.loaner_needed.is_(True),
            RepairTicket.status.not_in(DONE_STATES),
            ~had_loan,
        )
    ).tuples():
        try:
            family = compatible_families(fam)[0]
        except ValueError:
            continue
        day = visit_on if visit_on is not None and visit_on > today else van
        needs.append(Need(nearest(lat, lon), family, day))
    return Snapshot(
        today=today,
        sites=sites,
        available=dict(available),
        arrivals=tuple(arrivals),
        loans=tuple(loans),
        needs=tuple(needs),
        learned=learned,
    )
