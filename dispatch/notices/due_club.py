"""Club notices owed at ``now``: points expiring, tier changes, the next perk, capsules, descaling.

Only members (a loyalty account) get these; consent is checked when queueing.
A handful of queries whatever the number of members.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.models import CustomerMachine, LoyaltyAccount, PurchaseLine, PurchaseOrder
from dispatch.loyalty import rules as loyalty
from dispatch.loyalty import service as loyalty_service
from dispatch.loyalty.rules import PerkStep, Tier
from dispatch.notices.config import CONFIG
from dispatch.notices.forecast import CapsuleBuy, capsule_forecast, descaling
from dispatch.notices.kinds import Due, Kind


def points_expiring(session: Session, now: datetime) -> list[Due]:
    today = now.astimezone(PARIS).date()
    within = int(CONFIG["loyalty"]["points_within_days"])
    return [
        Due(
            customer_id=m.customer_id,
            kind=Kind.POINTS_EXPIRING,
            entity_type="account",
            entity_id=str(m.customer_id),
            dedupe_key=f"points:{m.customer_id}:{m.expires_on.isoformat()}",
            due_at=now,
            context=dict(points=m.points, expires_on=m.expires_on, balance=m.balance),
        )
        for m in loyalty_service.expiring(session, today, within)
    ]


def tier_changes(session: Session, now: datetime) -> list[Due]:
    """A member whose rolling spend moved them to another tier than the one on record.

    The window's spend is one ``GROUP BY`` (the rule of ``loyalty.tier_for``:
    purchases dated in ``(on - window, on]``), so 20,000 members cost one query.
    """
    today = now.astimezone(PARIS).date()
    start = loyalty.add_months(today, -loyalty.DEFAULT_CONFIG.window_months)
    spend = dict(
        session.execute(
            select(PurchaseOrder.customer_id, func.sum(PurchaseOrder.amount))
            .where(PurchaseOrder.ordered_on > start, PurchaseOrder.ordered_on <= today)
            .group_by(PurchaseOrder.customer_id)
        )
        .tuples()
        .all()
    )
    accounts = session.execute(
        select(
            LoyaltyAccount.id,
            LoyaltyAccount.customer_id,
            LoyaltyAccount.tier,
            LoyaltyAccount.tier_computed_on,
        )
    ).all()
    thresholds = dict(loyalty.DEFAULT_CONFIG.thresholds)
    out = []
    for aid, cid, recorded, computed_on in accounts:
        try:
            old = Tier.parse(recorded)
        except ValueError:
            continue
        total = spend.get(cid) or Decimal(0)
        status = loyalty.tier_for([loyalty.Purchase(on=today, amount=total)], today)
        if status.tier == old:
            continue
        up = status.tier.rank > old.rank
        missing = (
            None
            if up
            else (thresholds[old] - status.spend_12m).quantize(Decimal("0.01"))
        )
        out.append(
            Due(
                customer_id=cid,
                kind=Kind.TIER_UP if up else Kind.TIER_DOWN,
                entity_type="account",
                entity_id=str(aid),
                dedupe_key=(
                    f"tier:{cid}:{old.value}>{status.tier.value}:"
                    f"{computed_on.isoformat() if computed_on else '-'}"
                ),
                due_at=now,
                context=dict(
                    tier=status.tier.value, previous=old.value, missing=missing
                ),
            )
        )
    return out


def perk_words(step: PerkStep, lang: str) -> str:
    """``un cadeau au choix : a, b ou c`` / ``up to 15 % off``."""
    if step.kind == "gift":
        choice = ", ".join(step.gifts[:-1])
        last = step.gifts[-1] if step.gifts else ""
        gifts = f"{choice} {'or' if lang == 'en' else 'ou'} {last}" if choice else last
        return (
            f"a gift of your choice: {gifts}"
            if lang == "en"
            else (f"un cadeau au choix : {gifts}")
        )
    if step.kind == "free_shipping":
        return "free shipping" if lang == "en" else "la livraison offerte"
    top = max((b.percent for b in step.bands), default=Decimal(0)).normalize()
    if len(step.bands) > 1:
        return (
            f"up to {top:f} % off" if lang == "en" else f"jusqu'à {top:f} % de remise"
        )
    return f"{top:f} % off" if lang == "en" else f"{top:f} % de remise"


def next_perks(session: Session, now: datetime) -> list[Due]:
    """After a recent online order: what the next one carries, when it carries a perk."""
    today = now.astimezone(PARIS).date()
    recent = today - timedelta(days=int(CONFIG["loyalty"]["perk_notice_days"]))
    cfg = loyalty.DEFAULT_CONFIG
    steps = {s.position: s for s in cfg.steps}
    rows = session.execute(
        select(
            PurchaseOrder.customer_id,
            func.count(PurchaseOrder.id),
            func.max(PurchaseOrder.ordered_on),
        )
        .join(LoyaltyAccount, LoyaltyAccount.customer_id == PurchaseOrder.customer_id)
        .where(PurchaseOrder.channel == "online", PurchaseOrder.ordered_on <= today)
        .group_by(PurchaseOrder.customer_id)
    ).all()
    out = []
    for cid, n, last in rows:
        if last < recent:
            continue
        position = n % cfg.cycle_length + 1
        step = steps.get(position)
        if step is None:
            continue
        out.append(
            Due(
                customer_id=cid,
                kind=Kind.NEXT_PERK,
                entity_type="account",
                entity_id=str(cid),
                dedupe_key=f"perk:{cid}:{n}",
                due_at=now,
                context=dict(
                    position=position,
                    perk_fr=perk_words(step, "fr"),
                    perk_en=perk_words(step, "en"),
                ),
            )
        )
    return out


def _capsule_buys(
    session: Session, since: datetime
) -> tuple[dict[int, list[CapsuleBuy]], dict[int, list[date]]]:
    start = since.astimezone(PARIS).date()
    buys: dict[int, list[CapsuleBuy]] = defaultdict(list)
    kits: dict[int, list[date]] = defaultdict(list)
    q = (
        select(
            PurchaseOrder.customer_id,
            PurchaseOrder.ordered_on,
            PurchaseLine.category,
            PurchaseLine.variety,
            PurchaseLine.quantity,
        )
        .join(PurchaseLine, PurchaseLine.order_id == PurchaseOrder.id)
        .join(LoyaltyAccount, LoyaltyAccount.customer_id == PurchaseOrder.customer_id)
        .where(
            PurchaseOrder.ordered_on >= start,
            PurchaseLine.category.in_(["capsules", "descaling"]),
        )
        .order_by(PurchaseOrder.ordered_on)
    )
    for cid, on, category, variety, qty in session.execute(q):
        if category == "capsules":
            buys[cid].append(CapsuleBuy(on, int(qty), variety))
        else:
            kits[cid].append(on)
    return buys, kits


def capsules_and_descaling(session: Session, now: datetime) -> list[Due]:
    """Capsules running out (a few days before the predicted day) and machines due a descaling."""
    today = now.astimezone(PARIS).date()
    cap = CONFIG["capsules"]
    desc = CONFIG["descaling"]
    buys, kits = _capsule_buys(session, now - timedelta(days=int(cap["history_days"])))
    out: list[Due] = []
    lead, late = int(cap["lead_days"]), int(cap["late_days"])
    for cid, history in buys.items():
        f = capsule_forecast(
            [b for b in history if b.on <= today],
            min_purchases=int(cap["min_purchases"]),
        )
        if f is None or not -late <= (f.runout - today).days <= lead:
            continue
        out.append(
            Due(
                customer_id=cid,
                kind=Kind.CAPSULES_LOW,
                entity_type="account",
                entity_id=str(cid),
                dedupe_key=f"capsules:{cid}:{f.last_purchase.isoformat()}",
                due_at=now,
                context=dict(
                    variety=f.favourites[0] if f.favourites else "capsules",
                    favourites=", ".join(f.favourites) or "-",
                    runout=f.runout,
                    last_purchase=f.last_purchase,
                    last_quantity=f.last_quantity,
                    per_week=f.per_week,
                ),
            )
        )
    machines = session.execute(
        select(
            CustomerMachine.id,
            CustomerMachine.customer_id,
            CustomerMachine.model,
            CustomerMachine.purchased_on,
        )
        .join(LoyaltyAccount, LoyaltyAccount.customer_id == CustomerMachine.customer_id)
        .where(
            CustomerMachine.model_family.in_(list(desc["families"])),
            CustomerMachine.purchased_on <= today,
        )
    ).all()
    for mid, cid, model, bought in machines:
        d = descaling(
            machine_bought=bought,
            kits=kits.get(cid, ()),
            buys=buys.get(cid, ()),
            on=today,
            cups_limit=int(desc["cups"]),
            days_limit=int(desc["days"]),
        )
        if not d.due:
            continue
        out.append(
            Due(
                customer_id=cid,
                kind=Kind.DESCALING_DUE,
                entity_type="machine",
                entity_id=str(mid),
                dedupe_key=f"descaling:{mid}:{d.since.isoformat()}",
                due_at=now,
                context=dict(machine=model, cups=d.cups, since=d.since),
            )
        )
    return out
