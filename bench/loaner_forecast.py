"""Backtest of the loaner forecast on the demo's history.

Usage:
    DATABASE_URL=sqlite:////tmp/stock.db tournee demo --scale national
    DATABASE_URL=sqlite:////tmp/stock.db python bench/loaner_forecast.py [--every N]

For every history day D (after two weeks of warm-up, and while D+14 is still history),
the forecast is made with only what was known at the end of D (stock, open loans,
loaners in cleaning, tickets opened and waiting, delays and rates learned before D)
and compared with the lendable stock that history shows at the end of D+1 .. D+14.
Prints the mean absolute error per site-day against the naive baseline (today's stock
stays), by horizon, and how many historic refusals (a workshop customer left without
a loaner because the site had none) the proposed transfers would have avoided: the
transfers of each day are taken as accepted, so later forecasts know about them, and
each transferred loaner can save one refusal at its new site from its van day on.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from data.db import sessions  # noqa: E402
from data.models import (  # noqa: E402
    Customer,
    CustomerMachine,
    Loan,
    Loaner,
    RepairTicket,
)
from dispatch.stock.snapshot import (  # noqa: E402
    _day,
    _Nearest,
    history_records,
    stock_sites,
)
from loaner_pool.forecast.learn import TicketRecord, learn  # noqa: E402
from loaner_pool.forecast.model import (  # noqa: E402
    HORIZON_DAYS,
    Arrival,
    Need,
    OpenLoan,
    Snapshot,
)
from loaner_pool.forecast.project import project  # noqa: E402
from loaner_pool.forecast.transfers import propose  # noqa: E402
from loaner_pool.policy import compatible_families  # noqa: E402

WARM_UP_DAYS = 14


@dataclass(frozen=True, slots=True)
class Past:
    """A historic workshop ticket: where, when, which loaner family, and what it got."""

    site_id: int
    opened_on: date
    lend_on: date
    family: str  # lent family, or the best compatible one when refused
    wants: tuple[str, ...]  # the families that would have done
    loan: tuple[date, date, date, date] | None  # lent, due, returned, ready


def _load(url: str | None):  # type: ignore[no-untyped-def]
    with sessions(url)() as s:
        sites = stock_sites(s)
        first = s.scalar(select(Loan.lent_at).order_by(Loan.lent_at).limit(1))
        since = _day(first) - timedelta(days=7) if first else date.today()
        loans, _ = history_records(s, sites, since)
        pool: Counter[tuple[int, str]] = Counter(
            (sid, fam)
            for sid, fam in s.execute(
                select(Loaner.site_id, Loaner.model_family).where(
                    Loaner.state != "retired"
                )
            ).tuples()
        )
        nearest = _Nearest(sites)
        by_ticket = {
            ln.ticket_id: ln
            for ln in s.scalars(select(Loan).where(Loan.returned_at.is_not(None)))
        }
        fam_of = dict(s.execute(select(Loaner.id, Loaner.model_family)).all())
        pasts = []
        for tid, opened, visit_on, lat, lon, mfam in s.execute(
            select(
                RepairTicket.id,
                RepairTicket.opened_at,
                RepairTicket.visit_on,
                Customer.lat,
                Customer.lon,
                CustomerMachine.model_family,
            )
            .join(Customer, Customer.id == RepairTicket.customer_id)
            .join(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
            .where(
                RepairTicket.loaner_needed.is_(True),
                RepairTicket.status == "closed",
                RepairTicket.resolution_path == "workshop",
            )
        ).tuples():
            wants = compatible_families(mfam)
            ln = by_ticket.get(tid)
            lend_on = visit_on or _day(opened)
            if ln is None:
                pasts.append(
                    Past(
                        nearest(lat, lon), _day(opened), lend_on, wants[0], wants, None
                    )
                )
                continue
            rec = next(
                (
                    r
                    for r in loans
                    if r.site_id == ln.from_site_id
                    and r.lent_on == _day(ln.lent_at)
                    and r.due_on == ln.due_on
                ),
                None,
            )
            ready = rec.ready_on if rec and rec.ready_on else _day(ln.returned_at)
            pasts.append(
                Past(
                    ln.from_site_id,
                    _day(opened),
                    _day(ln.lent_at),
                    fam_of[ln.loaner_id],
                    wants,
                    (_day(ln.lent_at), ln.due_on, _day(ln.returned_at), ready),
                )
            )
    return sites, loans, pool, pasts


def _occupied(pasts: list[Past], d: date) -> Counter[tuple[int, str]]:
    """Loaners out or in cleaning at the end of day ``d`` (lent on or before, not ready)."""
    out: Counter[tuple[int, str]] = Counter()
    for p in pasts:
        if p.loan is not None and p.loan[0] <= d < p.loan[3]:
            out[(p.site_id, p.family)] += 1
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=None, help="database (default: DATABASE_URL)")
    ap.add_argument(
        "--every", type=int, default=1, help="forecast every N history days"
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    sites, loans, pool, pasts = _load(args.url)
    lent = [p for p in pasts if p.loan is not None]
    if not lent:
        print("no loan history in this database: seed the demo first (tournee demo)")
        return 1
    start = min(p.loan[0] for p in lent) + timedelta(days=WARM_UP_DAYS)  # type: ignore[index]
    end = max(p.loan[2] for p in lent) - timedelta(days=HORIZON_DAYS + 1)  # type: ignore[index]
    days = [
        start + timedelta(days=k) for k in range(0, (end - start).days + 1, args.every)
    ]
    tickets = [TicketRecord(p.site_id, p.opened_on) for p in pasts]
    refusals = sorted(
        (
            p
            for p in pasts
            if p.loan is None
            and start < p.lend_on <= end + timedelta(days=HORIZON_DAYS)
        ),
        key=lambda p: p.lend_on,
    )
    err_f: list[float] = []
    bias: list[float] = []
    err_b: list[float] = []
    by_k_f: dict[int, list[float]] = defaultdict(list)
    by_k_b: dict[int, list[float]] = defaultdict(list)
    moved: list[
        tuple[int, int, str, int, date]
    ] = []  # from, to, family, count, van day
    actual_cache: dict[date, Counter[tuple[int, str]]] = {}

    def available(d: date) -> Counter[tuple[int, str]]:
        if d not in actual_cache:
            occ = _occupied(pasts, d)
            actual_cache[d] = Counter({k: n - occ[k] for k, n in pool.items()})
        return actual_cache[d]

    spent_forecast = 0.0
    for D in days:
        learned = learn(loans, tickets, sites, D)
        now = available(D)
        avail = dict(now)
        arrivals = []
        for frm, to, fam, n, van in moved:  # transfers accepted on earlier days
            if van <= D:
                avail[(frm, fam)] = avail.get((frm, fam), 0) - n
                avail[(to, fam)] = avail.get((to, fam), 0) + n
        open_loans, needs = [], []
        for p in pasts:
            if p.loan is not None:
                lent_on, due, returned, ready = p.loan
                if lent_on <= D < returned:
                    open_loans.append(OpenLoan(p.site_id, p.family, due))
                elif returned <= D < ready:
                    arrivals.append(
                        Arrival(
                            p.site_id,
                            p.family,
                            max(
                                D + timedelta(days=1),
                                returned + timedelta(days=learned.cleaning_days),
                            ),
                        )
                    )
            if p.opened_on <= D < p.lend_on:
                needs.append(Need(p.site_id, p.family, p.lend_on))
        flows = (tuple(arrivals), tuple(open_loans), tuple(needs), learned)
        t1 = time.perf_counter()
        fcs = project(Snapshot(D, sites, dict(now), *flows))  # compared with history
        spent_forecast += time.perf_counter() - t1
        # the transfers, knowing the ones accepted on earlier days
        transfers = propose(project(Snapshot(D, sites, avail, *flows)), D)
        for t in transfers:
            moved.append(
                (t.from_site.site_id, t.to_site.site_id, t.family, t.count, t.day)
            )
        for f in fcs:
            base = sum(n for (sid, _), n in now.items() if sid == f.site.site_id)
            for k, day in enumerate(f.days):
                act = sum(
                    n
                    for (sid, _), n in available(day.day).items()
                    if sid == f.site.site_id
                )
                ef, eb = abs(day.expected - act), abs(base - act)
                bias.append(day.expected - act)
                err_f.append(ef)
                err_b.append(eb)
                by_k_f[k + 1].append(ef)
                by_k_b[k + 1].append(eb)
    # Refusals the transfers would have avoided: one arrived loaner saves one refusal.
    units: dict[tuple[int, str], list[date]] = defaultdict(list)
    for _, to, fam, n, van in moved:
        units[(to, fam)].extend([van] * n)
    for v in units.values():
        v.sort()
    avoided = 0
    for r in refusals:
        for fam in r.wants:
            pool_units = units.get((r.site_id, fam), [])
            k = next((i for i, van in enumerate(pool_units) if van <= r.lend_on), None)
            if k is not None:
                pool_units.pop(k)
                avoided += 1
                break
    # Loans the moves would have put at risk at the donors (stock below zero after giving).
    given: Counter[tuple[int, str]] = Counter()
    at_risk = 0
    for frm, _, fam, n, van in sorted(moved, key=lambda m: m[4]):
        given[(frm, fam)] += n
        d = van
        worst = (
            min(
                available(d + timedelta(days=j))[(frm, fam)]
                for j in range(HORIZON_DAYS)
            )
            if d <= end
            else 0
        )
        at_risk += max(0, given[(frm, fam)] - worst) if d <= end else 0
        given[(frm, fam)] = min(given[(frm, fam)], max(0, worst))
    n = len(err_f)
    mae_f, mae_b = sum(err_f) / n, sum(err_b) / n
    print(
        f"loaner forecast backtest: {len(days)} forecast days {days[0]}..{days[-1]}, "
        f"{len(sites)} sites, {n:,} site-days compared (horizon {HORIZON_DAYS} days)"
    )
    print(
        f"  MAE per site-day   forecast {mae_f:.3f}   baseline (today's stock stays) {mae_b:.3f}   "
        f"({100 * (1 - mae_f / mae_b):+.1f} % better)"
        if mae_b
        else ""
    )
    print(f"  mean signed error of the forecast (bias): {sum(bias) / n:+.3f}")
    print("  by horizon (days ahead: forecast / baseline):")
    print(
        "   "
        + "  ".join(
            f"{k}: {sum(by_k_f[k]) / len(by_k_f[k]):.2f}/{sum(by_k_b[k]) / len(by_k_b[k]):.2f}"
            for k in sorted(by_k_f)
        )
    )
    print(
        f"  historic refusals in the period: {len(refusals)}; avoided by the proposed transfers: "
        f"{avoided} ({sum(m[3] for m in moved)} loaners moved in {len(moved)} transfers; "
        f"loans put at risk at the donors: {at_risk})"
    )
    print(
        f"  forecast + transfers: {spent_forecast / len(days):.2f} s per day; total {time.perf_counter() - t0:.1f} s"
    )
    return 0 if mae_f < mae_b else 1


if __name__ == "__main__":
    sys.exit(main())
