"""Loyalty: tiers from rolling spend, points with expiry, the online perk cycle."""

from datetime import date
from decimal import Decimal

import pytest

from dispatch.loyalty.rules import (
    CONFIG_PATH,
    DEFAULT_CONFIG,
    Purchase,
    Redemption,
    Tier,
    add_months,
    cycle_position,
    expiring_points,
    load_config,
    perk_for_order,
    points_balance,
    points_earned,
    points_lots,
    tier_for,
)

D = Decimal


# --- tiers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spend", "tier", "nxt", "missing"),
    [
        ("0", Tier.MEMBER, Tier.SILVER, "300.00"),
        ("299.99", Tier.MEMBER, Tier.SILVER, "0.01"),
        ("300", Tier.SILVER, Tier.GOLD, "500.00"),
        ("799.99", Tier.SILVER, Tier.GOLD, "0.01"),
        ("800", Tier.GOLD, Tier.PLATINUM, "1200.00"),
        ("2000", Tier.PLATINUM, None, None),
    ],
)
def test_tier_thresholds_are_inclusive(spend, tier, nxt, missing):
    """0 / 300 / 800 / 2000 EUR are inclusive lower bounds; missing = next threshold - spend."""
    status = tier_for([Purchase(date(2026, 6, 1), D(spend))], date(2026, 11, 24))
    assert status.tier is tier and status.next_tier == nxt
    assert status.missing_to_next == (None if missing is None else D(missing))
    assert status.spend_12m == D(spend).quantize(D("0.01"))


def test_rolling_window_edge():
    """On 2026-03-10 the window is (2025-03-10, 2026-03-10]: a purchase of 2025-03-10
    no longer counts, one of 2025-03-11 still does."""
    old = Purchase(date(2025, 3, 10), 500, "store")
    kept = Purchase(date(2025, 3, 11), 400, "online")
    assert tier_for([old, kept], date(2026, 3, 10)).spend_12m == D("400.00")  # Silver
    assert tier_for([old, kept], date(2026, 3, 9)).spend_12m == D("900.00")  # Gold
    assert tier_for([old, kept], date(2026, 3, 10)).tier is Tier.SILVER
    assert tier_for([old, kept], date(2026, 3, 9)).tier is Tier.GOLD


def test_future_purchases_and_all_channels():
    """Purchases after 'on' are ignored; store, phone and online all count."""
    ps = [
        Purchase(date(2026, 1, 5), 100, "store"),
        Purchase(date(2026, 2, 5), 150.5, "phone"),
        Purchase(date(2026, 3, 5), 49.5, "online"),
        Purchase(date(2026, 12, 1), 5000, "online"),
    ]
    # 100 + 150.50 + 49.50 = 300.00 -> Silver exactly
    status = tier_for(ps, date(2026, 11, 24))
    assert status.spend_12m == D("300.00") and status.tier is Tier.SILVER


def test_float_amounts_do_not_drift():
    """Three purchases of 0.1 EUR add up to exactly 0.30."""
    assert tier_for(
        [Purchase(date(2026, 1, 1), 0.1)] * 3, date(2026, 1, 2)
    ).spend_12m == D("0.30")


def test_purchase_validation():
    """Unknown channel and negative amounts are refused."""
    with pytest.raises(ValueError, match="'fax'"):
        Purchase(date(2026, 1, 1), 10, "fax")
    with pytest.raises(ValueError, match=">= 0"):
        Purchase(date(2026, 1, 1), -5)


def test_tier_enum_parse_and_labels():
    """Tiers parse in any case; labels read 'Gold member' and 'Member'."""
    assert Tier.parse("gold") is Tier.GOLD and Tier.parse(" PLATINUM ") is Tier.PLATINUM
    assert Tier.GOLD.label == "Gold member" and Tier.MEMBER.label == "Member"
    assert [t.rank for t in Tier] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="'Diamond'"):
        Tier.parse("Diamond")


def test_add_months_clamps_the_day():
    """2024-02-29 + 12 months = 2025-02-28; 2026-03-31 - 1 month = 2026-02-28."""
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 24), 2) == date(2027, 1, 24)


# --- points --------------------------------------------------------------------


def test_points_are_floored_euros():
    """49.99 EUR earns 49 points; 0.99 EUR earns 0."""
    assert points_earned(D("49.99")) == 49 and points_earned(0.99) == 0


def test_points_expire_twelve_months_later():
    """100 points earned 2025-01-10 are usable on 2026-01-09 and gone on 2026-01-10."""
    ps = [Purchase(date(2025, 1, 10), 100)]
    assert points_balance(ps, [], date(2026, 1, 9)) == 100
    assert points_balance(ps, [], date(2026, 1, 10)) == 0


def test_redemption_consumes_oldest_points_first():
    """100 pts (Jan) + 50 pts (Jun); redeem 120 in July -> Jan lot empty, 30 left of June's."""
    ps = [Purchase(date(2025, 1, 10), 100), Purchase(date(2025, 6, 1), 50.5)]
    lots = points_lots(ps, [Redemption(date(2025, 7, 1), 120)], date(2025, 12, 31))
    assert [(lot.earned_on, lot.points) for lot in lots] == [(date(2025, 6, 1), 30)]
    # When January's points expire (2026-01-10) nothing more is lost: they were used first.
    assert (
        points_balance(ps, [Redemption(date(2025, 7, 1), 120)], date(2026, 1, 10)) == 30
    )


def test_redemption_cannot_use_expired_points():
    """Redeeming 150 on 2026-01-10 fails: January's 100 expired that morning, only 50 left."""
    ps = [Purchase(date(2025, 1, 10), 100), Purchase(date(2025, 6, 1), 50)]
    with pytest.raises(
        ValueError, match="150 points on 2026-01-10 exceeds the 50 available"
    ):
        points_balance(ps, [Redemption(date(2026, 1, 10), 150)], date(2026, 2, 1))


def test_points_earned_the_same_day_can_be_redeemed():
    """A purchase and a redemption on the same day: earning comes first."""
    ps = [Purchase(date(2026, 5, 1), 80)]
    assert points_balance(ps, [Redemption(date(2026, 5, 1), 80)], date(2026, 5, 1)) == 0


def test_expiring_points_within_days():
    """On 2025-12-31 within 30 days: January's 100 points (expire 2026-01-10); June's are later."""
    ps = [Purchase(date(2025, 1, 10), 100), Purchase(date(2025, 6, 1), 50)]
    soon = expiring_points(ps, [], date(2025, 12, 31), within_days=30)
    assert [(lot.expires_on, lot.points) for lot in soon] == [(date(2026, 1, 10), 100)]
    assert expiring_points(ps, [], date(2025, 12, 31), within_days=9) == ()
    # 2025-12-31 + 10 days = 2026-01-10: the edge day is included.
    assert (
        sum(lot.points for lot in expiring_points(ps, [], date(2025, 12, 31), 10))
        == 100
    )


def test_expiring_points_after_partial_redemption():
    """After redeeming 70 of January's 100, only 30 are about to expire."""
    ps = [Purchase(date(2025, 1, 10), 100)]
    soon = expiring_points(ps, [Redemption(date(2025, 3, 1), 70)], date(2026, 1, 1), 30)
    assert sum(lot.points for lot in soon) == 30


# --- perk cycle --------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "kind"),
    [
        (0, "gift"),
        (1, "free_shipping"),
        (2, None),
        (3, "discount"),
        (4, None),
        (5, None),
        (6, "gift"),
        (7, None),
        (8, None),
        (9, "discount"),
    ],
)
def test_perk_cycle_positions(before, kind):
    """1st gift, 2nd free shipping, 4th 5 % off, 7th gift, 10th discount; others none."""
    perk = perk_for_order(before, 50)
    assert (perk.kind if perk else None) == kind


def test_fourth_order_is_five_percent():
    """4th order of 80 EUR: 5 % = 4.00 EUR."""
    perk = perk_for_order(3, 80)
    assert perk.percent == D("5") and perk.discount_on(80) == D("4.00")


@pytest.mark.parametrize(
    ("amount", "percent", "discount"),
    [
        ("199.99", "10", "20.00"),  # 10 % of 199.99 = 19.999 -> 20.00
        ("200", "15", "30.00"),  # "from 200 EUR": 200.00 included -> 15 %
        ("200.00", "15", "30.00"),
        ("500", "15", "75.00"),  # 15 % of 500
        (
            "500.01",
            "15",
            "75.00",
        ),  # capped: 15 % of at most 500 EUR (documented choice)
        ("1200", "15", "75.00"),
        ("0", "10", "0.00"),
    ],
)
def test_tenth_order_band_boundaries(amount, percent, discount):
    """10th order: 10 % below 200, 15 % from 200 (included) to 500, 75 EUR cap above."""
    perk = perk_for_order(9, D(amount))
    assert perk.percent == D(percent)
    assert perk.discount_on(D(amount)) == D(discount)


def test_tenth_order_float_amount_below_200():
    """The float 199.99 is read as 199.99, not 199.989999..., and stays in the 10 % band."""
    assert perk_for_order(9, 199.99).percent == D("10")
    assert perk_for_order(9, 200.0).percent == D("15")


def test_discount_never_decreases_with_amount():
    """Spending more never lowers the 10th-order discount (no cliff at 200 or 500)."""
    amounts = [D(a) / 100 for a in range(0, 80000, 97)]
    discounts = [perk_for_order(9, a).discount_on(a) for a in amounts]
    assert discounts == sorted(discounts)


@pytest.mark.parametrize("before", [10, 20])
def test_cycle_restarts_at_eleventh_and_twenty_first_orders(before):
    """Order 11 (10 before) and order 21 (20 before) are a new 1st: a gift."""
    assert perk_for_order(before, 30).kind == "gift"
    assert perk_for_order(before, 30).position == 1
    assert perk_for_order(before + 1, 30).kind == "free_shipping"


def test_perk_rejects_negative_inputs():
    """Negative order counts and amounts are errors."""
    with pytest.raises(ValueError):
        perk_for_order(-1, 10)
    with pytest.raises(ValueError):
        perk_for_order(0, -10)


@pytest.mark.parametrize(
    ("n", "position", "next_position", "to_next"),
    [
        (0, 0, 1, 1),  # nothing yet: next order is the 1st, a gift
        (1, 1, 2, 1),
        (2, 2, 4, 2),  # 3rd (no perk) then 4th (5 %)
        (4, 4, 7, 3),
        (7, 7, 10, 3),
        (9, 9, 10, 1),
        (10, 10, 1, 1),  # cycle done: the 11th is a new 1st
        (11, 1, 2, 1),
        (20, 10, 1, 1),
        (22, 2, 4, 2),
    ],
)
def test_cycle_position(n, position, next_position, to_next):
    """Position of the last order, the next perk's position and orders to reach it."""
    cp = cycle_position(n)
    assert (cp.position, cp.next_perk_position, cp.orders_to_next) == (
        position,
        next_position,
        to_next,
    )
    assert cp.next_perk.position == next_position


def test_cycle_position_describes_banded_perk():
    """The 10th step's label explains both bands and the cap."""
    assert cycle_position(9).next_perk.label == (
        "10 % off below 200 €, 15 % off from 200 € (on at most 500 €)"
    )


def test_config_is_read_from_toml():
    """Thresholds, window, expiry and cycle length come from loyalty.toml."""
    assert [str(v) for _, v in DEFAULT_CONFIG.thresholds] == ["0", "300", "800", "2000"]
    assert (DEFAULT_CONFIG.window_months, DEFAULT_CONFIG.points_expiry_months) == (
        12,
        12,
    )
    assert DEFAULT_CONFIG.cycle_length == 10


def test_config_rejects_bad_perk_positions(tmp_path):
    """A perk at position 11 in a 10-order cycle is refused."""
    bad = tmp_path / "loyalty.toml"
    bad.write_text(CONFIG_PATH.read_text().replace("position = 7", "position = 11"))
    with pytest.raises(ValueError, match=r"1\.\.10"):
        load_config(bad)


def test_config_rejects_missing_tier(tmp_path):
    """Thresholds must name all four tiers."""
    bad = tmp_path / "loyalty.toml"
    bad.write_text(CONFIG_PATH.read_text().replace(', Platinum = "2000"', ""))
    with pytest.raises(ValueError, match="Member"):
        load_config(bad)
