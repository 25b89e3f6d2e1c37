"""find_customer on hand-built customers (empty database, both backends).

The day of every look-up is ``DAY`` (2026-11-24); the 12-month window is
(2025-11-24, 2026-11-24].
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from data.models import Customer, LoyaltyAccount, RepairTicket
from dispatch.loyalty.customers import find_customer
from dispatch.loyalty.rules import Tier
from tests.builders import CLUB_DAY as DAY
from tests.builders import add_customer, online_orders


def test_tier_and_spend_over_twelve_months(session):
    """300 + 550 in the window = 850 € -> Gold, 1150 € to Platinum; the purchase
    exactly 12 months old (2025-11-24) and the future one are not counted."""
    add_customer(
        session,
        "C1",
        purchases=(
            (date(2025, 11, 24), "1000.00", "store"),  # exactly 12 months old: out
            (date(2025, 11, 25), "300.00", "store"),  # first day of the window: in
            (date(2026, 6, 1), "550.00", "online"),
            (date(2026, 11, 25), "5000.00", "store"),  # after the day: out
        ),
    )
    [card] = find_customer(session, "0612345678", on=DAY)
    assert card.tier is Tier.GOLD
    assert card.spend_12m == Decimal("850.00")
    assert card.next_tier is Tier.PLATINUM
    assert card.missing_to_next == Decimal("1150.00")
    assert (card.ref, card.name, card.town) == ("C1", "Client C1", "Lyon")


@pytest.mark.parametrize(
    ("amount", "percent"), [("199.99", Decimal(10)), ("200.00", Decimal(15))]
)
def test_tenth_online_order_perk_200_euro_boundary(session, amount, percent):
    """The 10th online order carries 10 % below 200 € and 15 % from 200.00 €."""
    add_customer(session, "C1", purchases=online_orders(10, amount))
    [card] = find_customer(session, "+33612345678", on=DAY)
    assert card.online_orders == 10
    assert card.cycle.position == 10
    assert card.last_online_perk is not None
    assert card.last_online_perk.position == 10
    assert card.last_online_perk.percent == percent
    assert card.last_online_amount == Decimal(amount)


def test_next_order_perk_after_nine_orders(session):
    """After 9 online orders the next is the 10th: 10 % of 199.99, 15 % of 200."""
    add_customer(session, "C1", purchases=online_orders(9, "20.00"))
    [card] = find_customer(session, "+33612345678", on=DAY)
    assert card.cycle.next_perk_position == 10
    assert card.cycle.orders_to_next == 1
    assert card.perk_for_next_order("199.99").discount_on("199.99") == Decimal("20.00")
    assert card.perk_for_next_order("200.00").discount_on("200.00") == Decimal("30.00")


def test_cycle_restarts_at_the_eleventh_online_order(session):
    """11 online orders (store orders don't count): position 1 again, the 11th
    got the welcome gift, the next perk is free shipping at position 2."""
    purchases = (*online_orders(11, "35.00"), (date(2026, 11, 1), "80.00", "store"))
    add_customer(session, "C1", purchases=purchases)
    [card] = find_customer(session, "+33612345678", on=DAY)
    assert card.online_orders == 11
    assert card.cycle.position == 1
    assert card.last_online_perk is not None
    assert (card.last_online_perk.position, card.last_online_perk.kind) == (1, "gift")
    assert card.cycle.next_perk_position == 2
    assert card.cycle.next_perk.kind == "free_shipping"
    assert card.cycle.orders_to_next == 1


@pytest.mark.parametrize(
    "written",
    [
        "06 12 34 56 78",
        "0612345678",
        "+33612345678",
        "0033 6 12 34 56 78",
        "06.12.34.56.78",
        "+33 (0)6 12 34 56 78",
        "  06-12-34-56-78 ",
    ],
)
def test_phone_lookup_matches_every_written_form(session, written):
    """Every way of writing the number finds the same customer."""
    add_customer(session, "C1", phone="+33612345678")
    add_customer(session, "C2", phone="+33698765432")
    assert [c.ref for c in find_customer(session, written, on=DAY)] == ["C1"]


def test_email_lookup_is_case_insensitive(session):
    """Stored lower-cased; any case and surrounding spaces find it."""
    add_customer(session, "C1", phone=None, email="jane.doe@example.fr")
    [card] = find_customer(session, "  Jane.DOE@Example.FR ", on=DAY)
    assert card.ref == "C1"
    assert card.contact == "jane.doe@example.fr"


def test_unknown_contact_returns_empty_list(session):
    """Nobody with that number or address: an empty list, not an error."""
    add_customer(session, "C1")
    assert find_customer(session, "07 00 00 00 01", on=DAY) == []
    assert find_customer(session, "nobody@example.fr", on=DAY) == []


@pytest.mark.parametrize("bad", ["hello", "06 12", "jane@", "12345678901234567"])
def test_invalid_input_raises_naming_it(session, bad):
    """Neither a phone number nor an e-mail: ValueError quoting the input."""
    with pytest.raises(ValueError, match=repr(bad).replace("(", r"\(")):
        find_customer(session, bad, on=DAY)


def test_shared_phone_returns_every_customer_by_ref(session):
    """A household sharing a number: both cards, ordered by ref."""
    add_customer(session, "C2")
    add_customer(session, "C1")
    assert [c.ref for c in find_customer(session, "0612345678", on=DAY)] == ["C1", "C2"]


def test_points_balance_and_expiring_soon(session):
    """1 point per euro, 12-month life, 60 redeemed (oldest lot first):
    100 pts of 2025-12-10 -> 40 left, expiring 2026-12-10 (within 30 days);
    80 pts of 2026-06-01 untouched; the 2025-11-01 lot has already expired."""
    add_customer(
        session,
        "C1",
        points_redeemed=60,
        tier_computed_on=DAY,
        purchases=(
            (date(2025, 11, 1), "500.00", "store"),
            (date(2025, 12, 10), "100.40", "store"),
            (date(2026, 6, 1), "80.99", "online"),
        ),
    )
    [card] = find_customer(session, "0612345678", on=DAY, expiring_within_days=30)
    assert card.is_member
    assert card.points_balance == 120
    assert card.expiring_points == 40
    assert card.next_expiry == date(2026, 12, 10)
    [card] = find_customer(session, "0612345678", on=DAY, expiring_within_days=10)
    assert card.expiring == ()


def test_non_member_has_tier_but_no_points(session):
    """No loyalty account: tier and perks from purchases, no points."""
    add_customer(
        session,
        "C1",
        enrolled_on=None,
        purchases=((date(2026, 5, 1), "400.00", "online"),),
    )
    [card] = find_customer(session, "0612345678", on=DAY)
    assert not card.is_member
    assert card.tier is Tier.SILVER
    assert (card.points_balance, card.expiring) == (0, ())


def test_open_tickets_counted(session):
    """Open tickets count; resolved, closed and cancelled ones don't."""
    c = add_customer(session, "C1")
    for i, status in enumerate(
        ("new", "scheduled", "at workshop", "resolved", "closed", "cancelled")
    ):
        session.add(
            RepairTicket(
                ref=f"T{i}",
                customer_id=c.id,
                fault="pump",
                severity="normal",
                status=status,
            )
        )
    session.flush()
    [card] = find_customer(session, "0612345678", on=DAY)
    assert card.open_tickets == 3


def test_demo_customer_found_by_each_form(demo_session):
    """On the small demo, a member's stored phone in national form finds them."""
    from sqlalchemy import select

    phone, ref = demo_session.execute(
        select(Customer.phone, Customer.ref)
        .join(LoyaltyAccount)
        .order_by(Customer.id)
        .limit(1)
    ).one()
    national = "0" + phone[3:]
    spaced = " ".join(national[i : i + 2] for i in range(0, 10, 2))
    [card] = find_customer(demo_session, spaced, on=DAY)
    assert card.ref == ref
    assert card.is_member
    assert card.points_balance >= 0
