"""`tournee import purchases` (all or nothing, pre-tax totals for the perk cycle) and enrolment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.db import make_engine
from data.models import AuditLog, LoyaltyAccount, PurchaseLine, PurchaseOrder
from dispatch.cli.main import main
from dispatch.loyalty.customers import find_customer
from tests.builders import add_customer

GOOD = """order_ref;customer_ref;ordered_on;channel;product;category;variety;quantity;unit_price
W-1;P1;20/11/2026;online;Capsules Ristretto;capsules;Ristretto;100;0,46
W-1;P1;20/11/2026;online;Kit de détartrage;détartrage;;1;14,90
W-2;P2;21/11/2026;magasin;Capsules Volluto;capsules;Volluto;50;0,46
"""


def _setup(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    eng = make_engine(db_url)
    with Session(eng) as s, s.begin():
        add_customer(s, "P1", phone="+33611000001", email="p1@example.fr")
        add_customer(s, "P2", phone="+33611000002", enrolled_on=None)
    eng.dispose()


def _count(db_url: str, model: type) -> int:
    eng = make_engine(db_url)
    with Session(eng) as s:
        n = int(s.scalar(select(func.count()).select_from(model)) or 0)
    eng.dispose()
    return n


def test_import_purchases_with_lines_and_pre_tax_totals(
    db_url, tmp_path: Path, monkeypatch
):
    _setup(db_url, monkeypatch)
    f = tmp_path / "purchases.csv"
    f.write_text(GOOD, encoding="utf-8")
    assert main(["import", "purchases", str(f)]) == 0
    eng = make_engine(db_url)
    with Session(eng) as s:
        w1 = s.scalar(select(PurchaseOrder).where(PurchaseOrder.ref == "W-1"))
        assert w1 is not None and w1.channel == "online"
        assert w1.amount == Decimal("60.90")  # 46.00 + 14.90 with tax
        assert w1.amount_excl == Decimal("56.02")  # 43.60 at 5.5 % + 12.42 at 20 %
        lines = list(
            s.scalars(select(PurchaseLine).where(PurchaseLine.order_id == w1.id))
        )
        assert sorted(ln.category for ln in lines) == ["capsules", "descaling"]
        caps = next(ln for ln in lines if ln.category == "capsules")
        assert (caps.quantity, caps.variety, caps.vat_rate) == (
            100,
            "Ristretto",
            Decimal("5.5"),
        )
        w2 = s.scalar(select(PurchaseOrder).where(PurchaseOrder.ref == "W-2"))
        assert w2 is not None and w2.channel == "store"
        card = find_customer(s, "06 11 00 00 01", on=date(2026, 11, 24))[0]
        assert card.last_online_amount == Decimal("56.02")  # the perk's base is pre-tax
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity == "purchase_order")
            )
            == 2
        )
    eng.dispose()
    # the same file again: refused whole, nothing doubled
    assert main(["import", "purchases", str(f)]) == 1
    assert _count(db_url, PurchaseOrder) == 2


def test_a_bad_line_rejects_the_whole_file(db_url, tmp_path: Path, monkeypatch, capsys):
    _setup(db_url, monkeypatch)
    bad = (
        GOOD
        + "W-3;NOBODY;22/11/2026;online;Tasses;accessory;;1;19\nW-1;P2;20/11/2026;online;Tasses;accessory;;1;abc\n"
    )
    f = tmp_path / "bad.csv"
    f.write_text(bad, encoding="utf-8")
    assert main(["import", "purchases", str(f)]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert "line 5" in text and "unknown customer 'NOBODY'" in text
    assert "line 6" in text and "unit_price" in text
    assert "Traceback" not in text
    assert _count(db_url, PurchaseOrder) == 0 and _count(db_url, PurchaseLine) == 0


def test_enrol_by_phone_once(db_url, monkeypatch, capsys):
    _setup(db_url, monkeypatch)
    assert main(["club", "enrol", "06 11 00 00 02", "--club", "yes"]) == 0
    assert "P2" in capsys.readouterr().out
    assert _count(db_url, LoyaltyAccount) == 2
    assert main(["club", "enrol", "+33 6 11 00 00 02"]) == 2
    assert "already a member" in capsys.readouterr().err


def test_migrating_past_0005a_keeps_purchase_lines(tmp_path: Path) -> None:
    """0005a must not recreate purchase_order on SQLite (the cascade would empty the lines)."""
    from alembic import command
    from sqlalchemy import text

    from data.db import alembic_config, migrate

    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "0005")
    eng = make_engine(url)
    with eng.begin() as c:
        c.execute(text(
            "INSERT INTO customer (id, ref, name, address, postcode, town, region, lat, lon, "
            "geo_precision, created_at) VALUES (1, 'C1', 'A', '', '69003', 'Lyon', 'R', 45.7, 4.8, "
            "'postcode', '2026-01-01 00:00:00')"
        ))  # fmt: skip
        c.execute(text(
            "INSERT INTO purchase_order (id, customer_id, ordered_on, amount, channel) "
            "VALUES (1, 1, '2026-11-20', 10, 'store')"
        ))  # fmt: skip
        c.execute(text(
            "INSERT INTO purchase_line (order_id, product, category, quantity, unit_price, "
            "vat_rate, amount_excl, amount_incl) VALUES (1, 'Capsules', 'capsules', 20, 0.5, "
            "5.5, 9.48, 10)"
        ))  # fmt: skip
    eng.dispose()
    migrate(url)
    assert _count(url, PurchaseLine) == 1
