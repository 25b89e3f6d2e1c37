"""Loaner forecast, pure: flows add up, the band widens, shortages call for transfers."""

from __future__ import annotations

from datetime import date, timedelta

from loaner_pool.forecast.learn import LoanRecord, TicketRecord, learn
from loaner_pool.forecast.model import (
    Learned,
    Need,
    OpenLoan,
    Snapshot,
    StockSite,
)
from loaner_pool.forecast.run import forecast
from loaner_pool.forecast.transfers import van_day_for

TODAY = date(2026, 11, 23)  # a Monday
DEPOT = StockSite(1, "DEP-1", "Dépôt", "depot", "R", 45.75, 4.85, group=1)
STORE = StockSite(2, "STO-1", "Boutique", "store", "R", 45.76, 4.86, group=1)
FAR = StockSite(3, "STO-9", "Loin", "store", "R", 48.85, 2.35, group=3)
QUIET = Learned(lateness=(0,), loan_days=(14,), cleaning_days=1)


def _snap(**kw: object) -> Snapshot:
    base: dict[str, object] = dict(
        today=TODAY,
        sites=(DEPOT, STORE),
        available={},
        arrivals=(),
        loans=(),
        needs=(),
        learned=QUIET,
    )
    base.update(kw)
    return Snapshot(**base)  # type: ignore[arg-type]


def test_stock_stays_when_nothing_moves() -> None:
    fc = forecast(_snap(available={(1, "capsule"): 4, (2, "capsule"): 2}))
    depot, store = fc.sites
    assert [d.expected for d in depot.days] == [4.0] * 14
    assert all(d.low == d.high == d.expected for d in store.days)
    assert fc.transfers == ()


def test_burst_at_a_store_is_a_shortage_and_the_depot_sends_loaners() -> None:
    """Five tickets need a loaner on Thursday at a store holding two: short from Thursday,
    the depot next door (same vans) sends what is missing on Wednesday's van."""
    thursday = TODAY + timedelta(days=3)
    fc = forecast(
        _snap(
            available={(1, "bean_to_cup"): 12, (2, "bean_to_cup"): 2},
            needs=tuple(Need(2, "bean_to_cup", thursday) for _ in range(5)),
        )
    )
    store = next(s for s in fc.sites if s.site.code == "STO-1")
    first = store.first_shortage
    assert first is not None and first.day == thursday
    assert first.shortage == 1 - (2 - 5)  # safety 1, expected -3
    (t,) = fc.transfers
    assert (t.from_site.code, t.to_site.code, t.family) == (
        "DEP-1",
        "STO-1",
        "bean_to_cup",
    )
    assert t.count == first.shortage and t.day == TODAY + timedelta(days=2)
    assert t.for_day == thursday


def test_loans_due_tomorrow_come_back_after_cleaning() -> None:
    """A depot with none on the shelf and six loans due tomorrow: back the day after."""
    tomorrow = TODAY + timedelta(days=1)
    fc = forecast(
        _snap(loans=tuple(OpenLoan(1, "capsule", tomorrow) for _ in range(6)))
    )
    depot = fc.sites[0]
    assert depot.now == 0
    assert depot.days[0].expected == 0.0 and depot.days[0].shortage == 1
    assert depot.days[1].expected == 6.0  # due tomorrow + one day of cleaning
    assert depot.first_shortage is not None and depot.first_shortage.day == tomorrow
    assert all(d.shortage == 0 for d in depot.days[1:])


def test_uncertain_returns_widen_the_band() -> None:
    learned = Learned(lateness=(-2, 0, 0, 1, 3), loan_days=(14,), cleaning_days=0)
    fc = forecast(
        _snap(
            learned=learned, loans=(OpenLoan(1, "capsule", TODAY + timedelta(days=3)),)
        )
    )
    days = fc.sites[0].days
    assert days[0].expected == 0.0 and days[0].low == 0.0 and days[0].high > 0.2
    assert days[-1].expected == 1.0 and days[-1].low == days[-1].high == 1.0


def test_new_tickets_at_the_weekday_rate_drain_the_stock() -> None:
    learned = Learned(
        lateness=(0,),
        loan_days=(30,),
        rates={("R", wd): 1.0 for wd in range(5)},
        site_share={1: 0.5, 2: 0.5},
        family_share={"capsule": 1.0},
    )
    fc = forecast(_snap(learned=learned, available={(1, "capsule"): 10}))
    depot = fc.sites[0]
    # Tue..Fri, then Mon..Fri of next week: 0.5 a working day
    assert depot.days[4].expected == 10 - 0.5 * 4  # Saturday: four working days
    assert depot.days[-1].expected < depot.days[4].expected
    assert depot.days[-1].low < depot.days[-1].expected < depot.days[-1].high


def test_far_donors_of_another_depot_are_not_asked() -> None:
    fc = forecast(
        _snap(
            sites=(STORE, FAR),
            available={(3, "capsule"): 20},
            needs=(Need(2, "capsule", TODAY + timedelta(days=2)),),
        )
    )
    assert fc.sites[0].first_shortage is not None
    assert fc.transfers == ()


def test_van_day_is_the_day_before_never_before_the_next_van() -> None:
    assert van_day_for(TODAY, TODAY + timedelta(days=1)) == TODAY + timedelta(days=1)
    assert van_day_for(TODAY, TODAY + timedelta(days=7)) == TODAY + timedelta(days=5)
    saturday = date(2026, 11, 28)
    assert van_day_for(saturday, saturday + timedelta(days=2)) == saturday + timedelta(
        days=2
    )


def test_learn_reads_delays_rates_and_shares_up_to_the_day() -> None:
    loans = [
        LoanRecord(
            2,
            "capsule",
            TODAY - timedelta(days=20),
            TODAY - timedelta(days=6),
            TODAY - timedelta(days=4),
            TODAY - timedelta(days=3),
        ),
        LoanRecord(
            2, "bean_to_cup", TODAY - timedelta(days=2), TODAY + timedelta(days=12)
        ),
        LoanRecord(1, "capsule", TODAY + timedelta(days=1), TODAY + timedelta(days=15)),
    ]
    tickets = [TicketRecord(2, TODAY - timedelta(days=7 * k)) for k in range(4)]
    got = learn(loans, tickets, (DEPOT, STORE), TODAY)
    assert got.lateness == (2,) and got.loan_days == (16,) and got.cleaning_days == 1
    assert got.family_share == {"capsule": 0.5, "bean_to_cup": 0.5}
    assert got.rates == {("R", 0): 1.0}
    assert got.site_share[2] > got.site_share[1] > 0
