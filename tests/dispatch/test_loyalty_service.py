"""refresh_tiers, expiring and redeem on hand-built members (both backends).

Points: 1 per whole euro, usable until the day before earned_on + 12 months.
With DAY = 2026-11-24 and a 30-day window, lots expiring in
(2026-11-24, 2026-12-24] are listed.
"""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import func, select

from data.models import AuditLog, LoyaltyAccount
from dispatch.loyalty.service import (
    NotAMember,
    NotEnoughPoints,
    expiring,
    redeem,
    refresh_tiers,
)
from tests.builders import CLUB_DAY as DAY
from tests.builders import add_customer
from tests.builders import expiring_members as _expiring_members


def test_expiring_lists_members_soonest_first(session):
    """B (2026-11-30), A (2026-12-10), C (2026-12-24, the window's last day);
    D expires a day too late, E already expired, N is not a member."""
    _expiring_members(session)
    rows = expiring(session, DAY, 30)
    assert [(m.ref, m.points, m.expires_on, m.balance) for m in rows] == [
        ("B", 50, date(2026, 11, 30), 50),
        ("A", 100, date(2026, 12, 10), 180),
        ("C", 70, date(2026, 12, 24), 70),
    ]
    assert (rows[1].phone, rows[1].email, rows[1].name) == (
        "+33600000001",
        "a@example.fr",
        "Client A",
    )


def test_expiring_window_and_redeemed_points(session):
    """A 7-day window keeps only B; 30 legacy redeemed points come off B's lot."""
    _expiring_members(session)
    assert [m.ref for m in expiring(session, DAY, 7)] == ["B"]
    b = session.scalars(
        select(LoyaltyAccount).where(LoyaltyAccount.customer_id == 2)
    ).one()
    b.points_redeemed, b.tier_computed_on = 30, DAY
    session.flush()
    [row] = expiring(session, DAY, 7)
    assert (row.ref, row.points) == ("B", 20)


def test_expiring_refuses_negative_window(session):
    """A negative number of days is a ValueError naming it."""
    with pytest.raises(ValueError, match="-1"):
        expiring(session, DAY, -1)


def test_redeem_spends_oldest_points_and_audits(session):
    """A: 100 pts (2025-12-10) + 80 pts (2026-06-01). Redeeming 30 on DAY leaves
    70 in the old lot (still expiring soon) and a balance of 150; the
    redemption is dated in the audit log and the total grows."""
    _expiring_members(session)
    assert redeem(session, 1, 30, DAY, actor="t") == 150
    acc = session.scalars(
        select(LoyaltyAccount).where(LoyaltyAccount.customer_id == 1)
    ).one()
    assert acc.points_redeemed == 30
    audit = session.scalars(select(AuditLog).where(AuditLog.action == "redeem")).one()
    assert (audit.actor, audit.entity_id, audit.change) == (
        "t",
        str(acc.id),
        {"points": 30, "on": "2026-11-24"},
    )
    row = next(m for m in expiring(session, DAY, 30) if m.ref == "A")
    assert (row.points, row.balance) == (70, 150)


def test_redeem_refusals(session):
    """More than the balance -> NotEnoughPoints naming the member and figures;
    no account -> NotAMember; zero -> ValueError. Nothing is written."""
    _expiring_members(session)
    with pytest.raises(
        NotEnoughPoints, match=r"customer B cannot redeem 51 points .* balance is 50"
    ):
        redeem(session, 2, 51, DAY)
    with pytest.raises(NotAMember, match="customer 6"):
        redeem(session, 6, 1, DAY)
    with pytest.raises(ValueError, match="> 0"):
        redeem(session, 2, 0, DAY)
    assert session.scalars(select(AuditLog)).all() == []


def test_refresh_tiers_changes_and_audits(session):
    """Cached tiers are recomputed: Member -> Gold (850 €), Platinum -> Silver
    (300 €), Silver stays Silver; two audit rows; every account dated DAY."""
    up = add_customer(
        session,
        "UP",
        phone="+33600000001",
        tier="Member",
        purchases=((date(2026, 2, 1), "850.00", "store"),),
    )
    down = add_customer(
        session,
        "DOWN",
        phone="+33600000002",
        tier="Platinum",
        purchases=(
            (date(2025, 6, 1), "3000.00", "store"),
            (date(2026, 3, 1), "300.00", "online"),
        ),
    )
    add_customer(
        session,
        "SAME",
        phone="+33600000003",
        tier="Silver",
        purchases=((date(2026, 3, 1), "310.00", "store"),),
    )
    counts = refresh_tiers(session, DAY, actor="t")
    assert (counts.accounts, counts.changed, counts.upgraded, counts.downgraded) == (
        3,
        2,
        1,
        1,
    )
    assert counts.by_tier == {"Member": 0, "Silver": 2, "Gold": 1, "Platinum": 0}
    accounts = {a.customer_id: a for a in session.scalars(select(LoyaltyAccount))}
    assert (accounts[up.id].tier, accounts[down.id].tier) == ("Gold", "Silver")
    assert {a.tier_computed_on for a in accounts.values()} == {DAY}
    audits = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [
        (a.entity_id, a.action, a.change["from"], a.change["to"]) for a in audits
    ] == [
        (str(accounts[up.id].id), "tier", "Member", "Gold"),
        (str(accounts[down.id].id), "tier", "Platinum", "Silver"),
    ]
    assert audits[0].change["spend_12m"] == "850.00"
    again = refresh_tiers(session, DAY)
    assert again.changed == 0


def test_refresh_and_expiring_on_the_demo(demo_session):
    """On the small demo (tiers seeded as of its day) nothing changes; the
    expiring list is sorted and every row has points within its balance."""
    # The demo leaves a few tiers as last month's refresh dated them (so the club's
    # tier-change notices have members to tell): exactly those change, once.
    stale = demo_session.scalar(
        select(func.count())
        .select_from(LoyaltyAccount)
        .where(LoyaltyAccount.tier_computed_on < DAY)
    )
    t0 = time.perf_counter()
    counts = refresh_tiers(demo_session, DAY)
    rows = expiring(demo_session, DAY, 30)
    assert time.perf_counter() - t0 < 10
    assert counts.changed == stale and counts.accounts > 800
    assert refresh_tiers(demo_session, DAY).changed == 0
    assert rows
    assert rows == sorted(rows, key=lambda m: (m.expires_on, m.ref))
    assert all(0 < m.points <= m.balance for m in rows)
    assert all(DAY < m.expires_on <= date(2026, 12, 24) for m in rows)
