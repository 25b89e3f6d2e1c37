"""Loaner policy: who needs one, which site lends it, who gets scarce loaners."""

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.loyalty.rules import Tier
from loaner_pool.policy import (
    COMPATIBLE_LOANERS,
    TIER_ORDER,
    LoanRequest,
    SiteStock,
    allocate_shortage,
    distance_km,
    needs_loaner,
    rank_sites,
    tier_rank,
)
from repairs.states import ResolutionPath
from repairs.triage import FAMILIES

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# Paris (Notre-Dame) and three sites; distances by haversine, rounded:
PARIS_LAT, PARIS_LON = 48.853, 2.349
ORLEANS = SiteStock(3, "Orléans", 47.902, 1.909, {"espresso_manual": 1})  # ~111 km
LYON = SiteStock(1, "Lyon", 45.764, 4.836, {"bean_to_cup": 2})  # ~392 km
PARIS_STORE = SiteStock(2, "Paris Opéra", 48.871, 2.332, {"capsule": 3})  # ~2.4 km


@pytest.mark.parametrize(
    ("path", "same_day", "expected"),
    [
        ("workshop", False, True),
        ("onsite", False, True),
        ("onsite", True, False),
        ("remote", True, False),
        ("remote", False, False),
    ],
)
def test_needs_loaner(path, same_day, expected):
    """Workshop always; on-site only when not finished the same day; remote never."""
    assert needs_loaner(path, same_day) is expected


def test_needs_loaner_accepts_the_repairs_enum_and_rejects_unknown_paths():
    """ResolutionPath members work as strings; an unknown path is named."""
    assert needs_loaner(ResolutionPath.WORKSHOP, True)
    with pytest.raises(ValueError, match="'courier'"):
        needs_loaner("courier", False)


def test_distance_paris_lyon():
    """Paris - Lyon is about 392 km as the crow flies."""
    assert distance_km(PARIS_LAT, PARIS_LON, 45.764, 4.836) == pytest.approx(392, abs=2)
    assert distance_km(1.0, 2.0, 1.0, 2.0) == 0


def test_rank_sites_nearest_first_with_compatible_stock():
    """For an espresso_manual machine: Orléans (exact, ~111 km) then Lyon (bean-to-cup
    substitute, ~392 km); the Paris store only has capsules and is skipped."""
    ranked = rank_sites(
        PARIS_LAT, PARIS_LON, [LYON, PARIS_STORE, ORLEANS], "espresso_manual"
    )
    assert [r.site_id for r in ranked] == [3, 1]
    assert [r.family for r in ranked] == ["espresso_manual", "bean_to_cup"]
    assert ranked[0].distance_km == pytest.approx(111, abs=2)
    assert ranked[1].available == 2


def test_rank_sites_bean_to_cup_cannot_be_replaced_by_manual():
    """Compatibility is one-way: a bean-to-cup owner does not get a manual machine."""
    ranked = rank_sites(
        PARIS_LAT, PARIS_LON, [LYON, PARIS_STORE, ORLEANS], "bean_to_cup"
    )
    assert [r.site_id for r in ranked] == [1]


def test_rank_sites_empty_when_no_stock_and_max_km():
    """No compatible stock -> empty list; max_km drops far sites."""
    assert rank_sites(PARIS_LAT, PARIS_LON, [LYON, ORLEANS], "milk_frother") == []
    near = rank_sites(
        PARIS_LAT, PARIS_LON, [LYON, ORLEANS], "espresso_manual", max_km=200
    )
    assert [r.site_id for r in near] == [3]


def test_rank_sites_tie_prefers_exact_family_then_stock_then_id():
    """Same place: exact family first, then more loaners, then lower id."""
    here = (PARIS_LAT, PARIS_LON)
    a = SiteStock(7, "A", *here, {"bean_to_cup": 5})
    b = SiteStock(8, "B", *here, {"espresso_manual": 1})
    c = SiteStock(6, "C", *here, {"espresso_manual": 2})
    d = SiteStock(5, "D", *here, {"espresso_manual": 2})
    ranked = rank_sites(*here, [a, b, c, d], "espresso_manual")
    assert [r.site_id for r in ranked] == [5, 6, 8, 7]


def test_rank_sites_unknown_family():
    """An unknown family is named in the error."""
    with pytest.raises(ValueError, match="'toaster'"):
        rank_sites(0, 0, [ORLEANS], "toaster")


def test_compat_table_covers_the_triage_families():
    """Every machine family has at least its own kind as a loaner."""
    assert set(COMPATIBLE_LOANERS) == set(FAMILIES)
    assert all(COMPATIBLE_LOANERS[f][0] == f for f in FAMILIES)


def test_tier_order_matches_the_loyalty_enum():
    """loaner_pool cannot import dispatch, so its copy of the tiers is checked here."""
    assert tuple(t.value for t in Tier) == TIER_ORDER
    assert tier_rank(Tier.GOLD) == 2 and tier_rank("platinum") == 3


def test_shortage_higher_tier_beats_longer_wait():
    """One loaner: Gold waiting 4 days wins over Silver waiting 6 days, with the reason."""
    gold = LoanRequest(12, "Gold", NOW - 4 * DAY)
    silver = LoanRequest(9, "Silver", NOW - 6 * DAY)
    a = allocate_shortage([silver, gold], 1, NOW)
    assert a.granted == [12]
    assert a.refused == [
        (
            9,
            "Gold member waiting 4 days (ticket 12) ranks above Silver member waiting "
            "6 days (ticket 9): higher loyalty tier first",
        )
    ]
    assert "1 granted, 1 refused" in a.explanation


def test_shortage_same_tier_longer_wait_first():
    """Two Silver members: the one waiting 5 days beats the one waiting 2 days."""
    a = allocate_shortage(
        [
            LoanRequest(1, "Silver", NOW - 2 * DAY),
            LoanRequest(2, "silver", NOW - 5 * DAY),
        ],
        1,
        NOW,
    )
    assert a.granted == [2]
    assert "same tier, longer wait first" in a.refused[0][1]


def test_shortage_full_ranking_and_enough_stock():
    """Platinum > Gold (older) > Gold (newer) > Member; with 3 loaners only the Member is refused."""
    reqs = [
        LoanRequest(4, "Member", NOW - 9 * DAY),
        LoanRequest(3, "Gold", NOW - DAY),
        LoanRequest(2, "Gold", NOW - 3 * DAY),
        LoanRequest(1, "Platinum", NOW - timedelta(hours=5)),
    ]
    a = allocate_shortage(reqs, 3, NOW)
    assert a.granted == [1, 2, 3]
    assert [t for t, _ in a.refused] == [4]
    assert "Platinum member waiting 5 h (ticket 1): granted" in a.explanation
    assert allocate_shortage(reqs, 10, NOW).refused == []


def test_shortage_with_no_loaner():
    """With nothing available every request is refused with 'no loaner available'."""
    a = allocate_shortage([LoanRequest(5, "Gold", NOW - DAY)], 0, NOW)
    assert a.granted == [] and a.refused == [
        (5, "Gold member waiting 1 day (ticket 5): no loaner available")
    ]


def test_shortage_exact_tie_goes_to_lower_ticket_id():
    """Same tier and same wait: the lower ticket id wins, deterministically."""
    since = NOW - 2 * DAY
    a = allocate_shortage(
        [LoanRequest(8, "Gold", since), LoanRequest(7, "Gold", since)], 1, NOW
    )
    assert a.granted == [7] and "lower ticket number first" in a.refused[0][1]


def test_shortage_input_validation():
    """Negative stock, naive now and duplicate tickets are refused."""
    with pytest.raises(ValueError, match=">= 0"):
        allocate_shortage([], -1, NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        allocate_shortage([], 1, datetime(2026, 1, 1))
    r = LoanRequest(1, "Gold", NOW)
    with pytest.raises(ValueError, match="duplicate"):
        allocate_shortage([r, r], 1, NOW)
