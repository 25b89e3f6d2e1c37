"""Customers with their machines and purchase histories, and the demo users."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from data.base import PARIS as PARIS
from data.demo.base import MODELS, Gen
from data.demo.names import FAMILY_WEIGHTS, SPEND_PROFILES, STREETS
from data.models import (
    Customer,
    CustomerMachine,
    LoyaltyAccount,
    PurchaseOrder,
    User,
)

# --- customers ---------------------------------------------------------------


def _customers(g: Gen) -> list[dict[str, Any]]:
    rows = []
    phones: set[str] = set()
    for cid in range(1, g.scale.customers + 1):
        p = g.town()
        lat, lon = g.jitter(p, 2.0 if (p.population or 0) < 50_000 else 3.0)
        first, last = g.name()
        while True:
            phone = f"+336{g.rng.randint(10_000_000, 99_999_999)}"
            if phone not in phones:
                phones.add(phone)
                break
        email = (
            f"{_ascii(first)}.{_ascii(last)}{cid}@example.fr"
            if g.rng.random() < 0.9
            else None
        )
        rows.append(
            dict(
                id=cid,
                ref=f"C{cid:06d}",
                name=f"{first} {last}",
                phone=phone,
                email=email,
                address=f"{g.rng.randint(1, 150)} {g.rng.choice(STREETS)}",
                postcode=p.postcode,
                town=p.name,
                region=p.region_name,
                lat=lat,
                lon=lon,
                geo_precision="postcode",
                created_at=datetime(2022, 1, 1, tzinfo=UTC),
            )
        )
    g.add(Customer, rows)
    return rows


def _ascii(s: str) -> str:
    import unicodedata

    return "".join(
        c
        for c in unicodedata.normalize("NFKD", s.lower())
        if c.isalnum() and c.isascii()
    )


def _machines(g: Gen, customers: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    rows = []
    by_customer: dict[int, dict[str, Any]] = {}
    fams = list(FAMILY_WEIGHTS)
    for c in customers:
        fam = g.rng.choices(fams, [FAMILY_WEIGHTS[f] for f in fams])[0]
        bought = g.day - timedelta(days=g.rng.randint(30, 6 * 365))
        row = dict(
            id=c["id"],
            customer_id=c["id"],
            model=g.rng.choice(MODELS[fam]),
            model_family=fam,
            serial=f"SN{c['id']:07d}{g.rng.randint(100, 999)}",
            purchased_on=bought,
            warranty_end=bought + timedelta(days=2 * 365),
        )
        rows.append(row)
        by_customer[c["id"]] = row
    g.add(CustomerMachine, rows)
    return by_customer


def _purchases(g: Gen, customers: list[dict[str, Any]]) -> dict[int, str]:
    rows: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    tiers: dict[int, str] = {}
    oid = 0
    shares = [p[0] for p in SPEND_PROFILES]
    for c in customers:
        _, lo, hi = g.rng.choices(SPEND_PROFILES, shares)[0]
        target = g.rng.uniform(lo, hi)
        history: list[tuple[date, Decimal, str]] = []
        spent = 0.0
        while spent < target:  # last 12 months
            amount = round(
                min(target - spent + 5, g.rng.lognormvariate(4.2, 0.8)) + 5, 2
            )
            on = g.day - timedelta(days=g.rng.randint(1, 360))
            history.append((on, Decimal(str(amount)), _channel(g)))
            spent += amount
        for _ in range(g.rng.randint(0, 6)):  # older purchases: no effect on the tier
            on = g.day - timedelta(days=g.rng.randint(370, 1_100))
            history.append(
                (
                    on,
                    Decimal(str(round(g.rng.lognormvariate(4.0, 0.9) + 5, 2))),
                    _channel(g),
                )
            )
        history.sort()
        for on, paid, channel in history:
            oid += 1
            rows.append(
                dict(
                    id=oid,
                    customer_id=c["id"],
                    ordered_on=on,
                    amount=paid,
                    channel=channel,
                )
            )
        tier = g.rules.tier_for(history, g.day)
        tiers[c["id"]] = tier
        if g.rng.random() < 0.85 or tier != "Member":
            accounts.append(
                dict(
                    id=len(accounts) + 1,
                    customer_id=c["id"],
                    enrolled_on=history[0][0],
                    tier=tier,
                    points_redeemed=g.rng.choice((0, 0, 0, 50, 100)),
                    tier_computed_on=g.day,
                )
            )
        else:
            tiers[c["id"]] = "Member"
    g.add(PurchaseOrder, rows)
    g.add(LoyaltyAccount, accounts)
    return tiers


def _channel(g: Gen) -> str:
    return g.rng.choices(("online", "store", "phone"), (0.6, 0.32, 0.08))[0]


def _users(g: Gen, sites: dict[str, list[dict[str, Any]]]) -> None:
    h = g.rules.hash_password
    stores = sites["store"]
    rows = [
        dict(
            username="admin",
            display_name="Admin",
            role="admin",
            password_hash=h("admin-demo"),
        ),
        dict(
            username="dispatch",
            display_name="Dana Dispatcher",
            role="dispatcher",
            password_hash=h("dispatch-demo"),
            region=stores[0]["region"],
        ),
        dict(
            username="manager",
            display_name="Morgan Manager",
            role="manager",
            password_hash=h("manager-demo"),
        ),
        dict(
            username="store1",
            display_name=f"Staff {stores[0]['town']}",
            role="store staff",
            store_id=stores[0]["id"],
            password_hash=h("store-demo"),
        ),
    ]
    if len(stores) > 1:
        rows.append(
            dict(
                username="store2",
                display_name=f"Staff {stores[1]['town']}",
                role="store staff",
                store_id=stores[1]["id"],
                password_hash=h("store-demo"),
            )
        )
    rows.append(
        dict(
            username="agent",
            display_name="Alex Agent",
            role="agent",
            password_hash=h("agent-demo"),
        )
    )
    for i, r in enumerate(rows, 1):
        r.setdefault("store_id", None)
        r.setdefault("region", None)
        r.update(
            id=i,
            active=True,
            failed_logins=0,
            session_version=0,
            demo=True,
            created_at=datetime(2026, 1, 5, tzinfo=UTC),
        )
    g.add(User, rows)
