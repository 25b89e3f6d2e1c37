"""`tournee customer find` and `tournee loyalty ...`: output and exit codes (both backends).

Calls go through ``dispatch.cli.main.main`` in-process, with ``DATABASE_URL`` set to
a database holding the hand-built members of ``test_loyalty_service``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from data.db import engine_for
from data.models import AuditLog, LoyaltyAccount
from dispatch.cli.main import main
from tests.builders import CLUB_DAY as DAY
from tests.builders import add_customer, online_orders
from tests.builders import expiring_members as _expiring_members


@pytest.fixture
def cli(db_url: str, session, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Members committed; DATABASE_URL points at them; the CLI's engine closed after."""
    _expiring_members(session)
    add_customer(
        session,
        "P",
        phone="+33611111111",
        email="pat@example.fr",
        purchases=online_orders(10, "250.00"),
    )
    session.commit()
    monkeypatch.setenv("DATABASE_URL", db_url)
    yield db_url
    engine_for(db_url).dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_find_prints_member_tier_perks_points(cli, capsys):
    """Found by a spaced national number: name, tier, cycle and points lines."""
    code, out, _ = run(capsys, "customer", "find", "06 00 00 00 01", "--date", str(DAY))
    assert code == 0
    assert "Client A (A), 69003 Lyon" in out
    assert "contact: +33600000001 · a@example.fr" in out
    assert "tier: Member, 180.00 € over 12 months; 120.00 € to Silver" in out
    assert "perks: 1 online orders, cycle position 1/10; next: free shipping" in out
    assert "points: 180; 100 expire within 30 days (first on 2026-12-10)" in out


def test_find_by_email_shows_tenth_order_perk(cli, capsys):
    """The 10th online order of 250 € carried 15 % (capped at 75 €)."""
    code, out, _ = run(capsys, "customer", "find", "PAT@example.fr", "--date", str(DAY))
    assert code == 0
    assert "cycle position 10/10; next: welcome gift at position 1" in out
    assert "last online order (250.00 €): 15 % off (at most 75.00 €)" in out


def test_find_not_found_exits_1_with_one_line(cli, capsys):
    """A valid number nobody has: exit 1, one line on stderr, nothing on stdout."""
    code, out, err = run(capsys, "customer", "find", "07 99 99 99 99")
    assert (code, out) == (1, "")
    assert err.strip().count("\n") == 0 and "no customer with '07 99 99 99 99'" in err


def test_find_invalid_input_exits_2_naming_it(cli, capsys):
    """Neither a phone nor an e-mail: exit 2 with the reason quoting the input."""
    code, _, err = run(capsys, "customer", "find", "hello")
    assert code == 2
    assert (
        err.strip() == "tournee customer: not a phone number or e-mail address: 'hello'"
    )


def test_loyalty_expiring_table_and_csv(cli, capsys, tmp_path: Path):
    """A table soonest first with a total line; the CSV holds the same rows."""
    out_csv = tmp_path / "notify.csv"
    code, out, _ = run(
        capsys,
        "loyalty",
        "expiring",
        "--days",
        "30",
        "--date",
        str(DAY),
        "--csv",
        str(out_csv),
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "expires",
        "on",
        "points",
        "balance",
        "ref",
        "name",
        "phone",
        "email",
    ]
    assert [ln.split()[3] for ln in lines[1:4]] == ["B", "A", "C"]
    assert (
        lines[-1]
        == "3 members to notify; 220 points expire within 30 days of 2026-11-24"
    )
    with out_csv.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["ref"], r["points"], r["expires on"]) for r in rows] == [
        ("B", "50", "2026-11-30"),
        ("A", "100", "2026-12-10"),
        ("C", "70", "2026-12-24"),
    ]


def test_loyalty_expiring_none_and_bad_days(cli, capsys):
    """No expiry in a 0-day window: a sentence, exit 0; negative days: argparse exit 2."""
    code, out, _ = run(capsys, "loyalty", "expiring", "--days", "0", "--date", str(DAY))
    assert code == 0 and out.startswith("no member has points expiring")
    with pytest.raises(SystemExit) as exc:
        main(["loyalty", "expiring", "--days", "-3"])
    assert exc.value.code == 2


def test_loyalty_refresh_and_redeem(cli, capsys, session):
    """refresh prints the counts (P, 430 € online, becomes Silver); redeem writes the total and audit, and a second
    redemption above the balance exits 2 with the figures."""
    code, out, _ = run(capsys, "loyalty", "refresh", "--date", str(DAY))
    assert code == 0 and out.startswith(
        "6 accounts on 2026-11-24: 1 changed (1 up, 0 down)"
    )
    code, out, _ = run(
        capsys, "loyalty", "redeem", "0600000002", "20", "--date", str(DAY)
    )
    assert code == 0 and out.strip().endswith(
        "redeemed 20 points on 2026-11-24; balance 30"
    )
    code, _, err = run(
        capsys, "loyalty", "redeem", "0600000002", "31", "--date", str(DAY)
    )
    assert code == 2 and "cannot redeem 31 points on 2026-11-24: balance is 30" in err
    session.rollback()
    acc = session.scalars(
        select(LoyaltyAccount).where(LoyaltyAccount.customer_id == 2)
    ).one()
    assert acc.points_redeemed == 20
    assert (
        len(session.scalars(select(AuditLog).where(AuditLog.action == "redeem")).all())
        == 1
    )
