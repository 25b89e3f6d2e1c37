"""The club side of the demo: contact preferences, purchase lines, bags waiting to be collected.

Runs last, on its own random stream, so the rest of the demo is unchanged by it.
Lines split each recorded purchase into what was bought: capsule machine owners
buy capsules by variety (5.5 % VAT, food), everyone buys accessories and now and
then a descaling kit (20 % VAT); the order keeps its taxed total and gains its
pre-tax one. About 70 % of members consent to club reminders, one customer in
twelve reads English, some prefer SMS, a few have no usable channel at all.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, update

from data.base import table
from data.demo.base import Gen, local
from data.models import (
    ContactPreference,
    Customer,
    CustomerMachine,
    DeliveryOrder,
    LoyaltyAccount,
    PurchaseLine,
    PurchaseOrder,
    Site,
)

CENT = Decimal("0.01")
VARIETIES = (
    ("Ristretto", Decimal("0.46")),
    ("Arpeggio", Decimal("0.46")),
    ("Volluto", Decimal("0.46")),
    ("Lungo Forte", Decimal("0.49")),
    ("Décaféiné", Decimal("0.49")),
    ("Colombia", Decimal("0.52")),
    ("Éthiopie", Decimal("0.52")),
    ("Caramel Crème", Decimal("0.55")),
)
BEANS = (
    ("Grains Brésil 1 kg", Decimal("24.90")),
    ("Grains Moka 1 kg", Decimal("27.50")),
)
ACCESSORIES = (
    ("Tasses Lungo x2", Decimal("19.00")),
    ("Pot à lait", Decimal("29.00")),
    ("Filtre à eau", Decimal("12.90")),
    ("Pastilles de nettoyage", Decimal("9.90")),
    ("Cuillères barista", Decimal("15.00")),
)
DESCALER = ("Kit de détartrage", Decimal("14.90"))
FOOD_VAT, STD_VAT = Decimal("5.5"), Decimal("20")


def _line(order_id: int, product: str, category: str, variety: str | None,
          qty: int, unit: Decimal, vat: Decimal) -> dict[str, Any]:  # fmt: skip
    incl = (unit * qty).quantize(CENT)
    excl = (incl * 100 / (100 + vat)).quantize(CENT, ROUND_HALF_UP)
    return dict(
        order_id=order_id, product=product, category=category, variety=variety,
        quantity=qty, unit_price=unit, vat_rate=vat, amount_excl=excl, amount_incl=incl,
    )  # fmt: skip


def _split(
    rng: random.Random, oid: int, amount: Decimal, family: str, likes: list[str]
) -> list[dict[str, Any]]:
    """Lines whose taxed amounts add up to ``amount`` exactly."""
    lines: list[dict[str, Any]] = []
    left = amount
    if family in ("capsule", "espresso_manual", "bean_to_cup") and (
        left > DESCALER[1] + 5 and rng.random() < 0.12
    ):
        lines.append(
            _line(oid, DESCALER[0], "descaling", None, 1, DESCALER[1], STD_VAT)
        )
        left -= DESCALER[1]
    if family == "capsule" and rng.random() < 0.9:
        variety = rng.choice(likes)
        price = dict(VARIETIES)[variety]
        qty = int(left * Decimal("0.92") / price) // 10 * 10
        if qty >= 10:
            lines.append(
                _line(
                    oid,
                    f"Capsules {variety}",
                    "capsules",
                    variety,
                    qty,
                    price,
                    FOOD_VAT,
                )
            )
            left -= (price * qty).quantize(CENT)
    elif family in ("bean_to_cup", "espresso_manual") and rng.random() < 0.7:
        name, price = rng.choice(BEANS)
        qty = int(left * Decimal("0.9") / price)
        if qty >= 1:
            lines.append(
                _line(oid, name, "coffee", name.split(" 1 kg")[0], qty, price, FOOD_VAT)
            )
            left -= price * qty
    if left > 0:
        name = rng.choice(ACCESSORIES)[0]
        lines.append(
            _line(oid, name, "accessory", None, 1, left.quantize(CENT), STD_VAT)
        )
    return lines


def _club(g: Gen) -> None:
    rng = random.Random(f"club-{g.scale.customers}-{g.day.isoformat()}")
    s = g.s
    members = dict(
        s.execute(select(LoyaltyAccount.customer_id, LoyaltyAccount.enrolled_on)).all()
    )
    family = dict(
        s.execute(
            select(CustomerMachine.customer_id, CustomerMachine.model_family)
        ).all()
    )
    _preferences(g, rng, members)
    lines: list[dict[str, Any]] = []
    excl: list[dict[str, Any]] = []
    likes: dict[int, list[str]] = {}
    history: dict[int, list[tuple[date, Decimal, str]]] = defaultdict(list)
    orders = s.execute(
        select(PurchaseOrder.id, PurchaseOrder.customer_id, PurchaseOrder.amount,
               PurchaseOrder.ordered_on, PurchaseOrder.channel)
        .order_by(PurchaseOrder.id)
    ).all()  # fmt: skip
    for oid, cid, amount, on, channel in orders:
        if cid not in likes:
            likes[cid] = rng.sample([v for v, _ in VARIETIES], rng.randint(1, 3))
        ls = _split(rng, oid, Decimal(amount), family.get(cid, "capsule"), likes[cid])
        lines.extend(ls)
        excl.append(
            {"b_id": oid, "b_excl": sum((x["amount_excl"] for x in ls), Decimal(0))}
        )
        history[cid].append((on, Decimal(amount), channel))
    g.add(PurchaseLine, lines)
    stmt = (
        update(table(PurchaseOrder))
        .where(table(PurchaseOrder).c.id == bindparam("b_id"))
        .values(amount_excl=bindparam("b_excl"))
    )
    conn = s.connection()
    for i in range(0, len(excl), 5_000):
        conn.execute(stmt, excl[i : i + 5_000])
    _stale_tiers(g, rng, history)
    _waiting_orders(g, rng)


def _preferences(g: Gen, rng: random.Random, members: dict[int, date]) -> None:
    rows = []
    for cid, phone, email in g.s.execute(
        select(Customer.id, Customer.phone, Customer.email)
    ):
        mobile = phone if not (email is None and rng.random() < 0.25) else None
        # (no e-mail and no mobile: that customer's service notices are suppressed)
        preferred = "sms" if (email is None or rng.random() < 0.3) else "email"
        consent = cid in members and rng.random() < 0.7
        early_night = rng.random() < 0.1  # no SMS from 20:00
        rows.append(
            dict(
                customer_id=cid,
                mobile=mobile,
                preferred_channel=preferred,
                language="en" if rng.random() < 0.08 else "fr",
                club_consent=consent,
                consent_changed_at=local(members[cid], 12) if cid in members else None,
                unsubscribe_token=secrets.token_urlsafe(24),
                quiet_from=(20 if early_night else 21) * 60,
                quiet_until=7 * 60,
                updated_at=g.now - timedelta(days=30),
            )
        )
    g.add(ContactPreference, rows)


def _stale_tiers(
    g: Gen, rng: random.Random, history: dict[int, list[tuple[date, Decimal, str]]]
) -> None:
    """A few members' recorded tier dates from last month's refresh: the run tells them."""
    month_ago = g.day - timedelta(days=30)
    changes = []
    for aid, cid, tier in g.s.execute(
        select(LoyaltyAccount.id, LoyaltyAccount.customer_id, LoyaltyAccount.tier)
    ):
        if rng.random() < 0.08:
            old = g.rules.tier_for(history.get(cid, []), month_ago)
            if old != tier:
                changes.append({"b_id": aid, "b_tier": old})
    if changes:
        t = table(LoyaltyAccount)
        g.s.connection().execute(
            update(t).where(t.c.id == bindparam("b_id"))
            .values(tier=bindparam("b_tier"), tier_computed_on=month_ago),
            changes,
        )  # fmt: skip


def _waiting_orders(g: Gen, rng: random.Random) -> None:
    """Bags ready in stores and parcels at relay points from the last days, not yet collected."""
    s = g.s
    start = int(s.scalar(select(func.max(DeliveryOrder.id))) or 0)
    stores = s.execute(
        select(Site.id, Site.region, Site.holding_days).where(Site.kind == "store")
    ).all()
    relays = s.execute(
        select(Site.id, Site.region, Site.holding_days).where(Site.kind == "relay")
    ).all()
    depots = dict(
        s.execute(select(Site.region, Site.id).where(Site.kind == "depot")).all()
    )
    by_region: dict[str, list[int]] = defaultdict(list)
    for cid, region in s.execute(select(Customer.id, Customer.region)):
        by_region[region].append(cid)
    rows: list[dict[str, Any]] = []
    n = max(10, g.scale.day_orders // 12)
    for i in range(n):
        mode = "store pick-up" if i % 2 == 0 else "relay point"
        site_id, region, holding = rng.choice(
            stores if mode == "store pick-up" else relays
        )
        if not by_region.get(region):
            continue
        ready_day = g.day - timedelta(days=rng.randint(1, holding or 10))
        ready_at: datetime = local(ready_day, rng.randint(10, 17))
        rows.append(
            dict(
                id=start + len(rows) + 1,
                ref=f"O{400_000 + i + 1}",
                customer_id=rng.choice(by_region[region]),
                kind="order",
                mode=mode,
                ticket_id=None,
                items=rng.choice(
                    ("Capsules x50", "Milk jug", "Descaler kit", "Cups set")
                ),
                parcels=1,
                depot_id=depots.get(region) or next(iter(depots.values())),
                destination_site_id=site_id,
                promised_on=ready_day,
                window_start=None,
                window_end=None,
                status="ready" if mode == "store pick-up" else "dropped at relay",
                attempts=0,
                created_at=ready_at - timedelta(days=2),
                ready_at=ready_at,
                delivered_at=ready_at if mode == "relay point" else None,
                collected_at=None,
                holding_until=ready_day + timedelta(days=holding or 10),
                version=1,
            )
        )
    g.add(DeliveryOrder, rows)
