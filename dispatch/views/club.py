"""The club card at the counter: what the member drinks, when it runs out, their machines.

Store staff (and agents, managers, admins) look a member up by phone (any
written form) or e-mail and see the profile the shop's coffee expert needs:
coffees bought regularly with quantities, the last purchase, the predicted
run-out, each machine's descaling status, tier, points and their expiry, and
the notices the member was sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.enums import Role
from data.models import (
    ContactPreference,
    CustomerMachine,
    Notice,
    PurchaseLine,
    PurchaseOrder,
)
from dispatch.access.roles import Principal, check_role
from dispatch.loyalty.customers import CustomerCard, find_customer
from dispatch.notices.config import CONFIG
from dispatch.notices.forecast import (
    CapsuleBuy,
    CapsuleForecast,
    Descaling,
    capsule_forecast,
    descaling,
)

ROLES = (Role.STORE_STAFF, Role.AGENT, Role.MANAGER, Role.DISPATCHER)


@dataclass(frozen=True, slots=True, kw_only=True)
class Coffee:
    variety: str
    quantity: int  # bought over the last 12 months
    times: int  # purchases it appeared in
    last_on: date


@dataclass(frozen=True, slots=True, kw_only=True)
class Machine:
    model: str
    family: str
    serial: str
    purchased_on: date
    descaling: Descaling | None  # None: a family that needs no descaling


@dataclass(frozen=True, slots=True, kw_only=True)
class SentNotice:
    kind: str
    channel: str
    status: str
    due_at: datetime
    subject: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClubCard:
    card: CustomerCard
    coffees: tuple[Coffee, ...]  # most bought first
    last_purchase_on: date | None
    last_purchase: tuple[str, ...]  # "100 × Capsules Ristretto"
    forecast: CapsuleForecast | None
    machines: tuple[Machine, ...]
    club_consent: bool
    language: str
    preferred_channel: str
    notices: tuple[SentNotice, ...]


def club_cards(
    session: Session, actor: Principal, phone_or_email: str, on: date
) -> list[ClubCard]:
    """Cards of the customers with that phone or e-mail (``ValueError`` when it is neither)."""
    check_role(actor, *ROLES)
    out = []
    for card in find_customer(session, phone_or_email, on=on):
        out.append(_club_card(session, card, on))
    return out


def _club_card(session: Session, card: CustomerCard, on: date) -> ClubCard:
    since = on - timedelta(days=365)
    lines = session.execute(
        select(PurchaseOrder.id, PurchaseOrder.ordered_on, PurchaseLine)
        .join(PurchaseLine, PurchaseLine.order_id == PurchaseOrder.id)
        .where(
            PurchaseOrder.customer_id == card.customer_id,
            PurchaseOrder.ordered_on <= on,
            PurchaseOrder.ordered_on
            >= on - timedelta(days=int(CONFIG["capsules"]["history_days"])),
        )
        .order_by(PurchaseOrder.ordered_on, PurchaseOrder.id)
    ).all()
    qty: Counter[str] = Counter()
    times: Counter[str] = Counter()
    last_seen: dict[str, date] = {}
    buys, kits = [], []
    for _oid, day, line in lines:
        if line.category == "capsules":
            buys.append(CapsuleBuy(day, line.quantity, line.variety))
        if line.category == "descaling":
            kits.append(day)
        if line.category in ("capsules", "coffee") and line.variety and day > since:
            qty[line.variety] += line.quantity
            times[line.variety] += 1
            last_seen[line.variety] = day
    last_day = lines[-1][1] if lines else None
    last_id = lines[-1][0] if lines else None
    last = tuple(
        f"{ln.quantity} × {ln.product}" for oid, _d, ln in lines if oid == last_id
    )
    desc = CONFIG["descaling"]
    machines = tuple(
        Machine(
            model=m.model,
            family=m.model_family,
            serial=m.serial,
            purchased_on=m.purchased_on,
            descaling=(
                descaling(
                    machine_bought=m.purchased_on,
                    kits=kits,
                    buys=buys,
                    on=on,
                    cups_limit=int(desc["cups"]),
                    days_limit=int(desc["days"]),
                )
                if m.model_family in desc["families"]
                else None
            ),
        )
        for m in session.scalars(
            select(CustomerMachine).where(
                CustomerMachine.customer_id == card.customer_id
            )
        )
    )
    pref = session.get(ContactPreference, card.customer_id)
    notices = tuple(
        SentNotice(
            kind=n.kind,
            channel=n.channel,
            status=n.status,
            due_at=n.due_at,
            subject=n.subject,
        )
        for n in session.scalars(
            select(Notice)
            .where(Notice.customer_id == card.customer_id)
            .order_by(Notice.due_at.desc(), Notice.id.desc())
            .limit(10)
        )
    )
    return ClubCard(
        card=card,
        coffees=tuple(
            Coffee(variety=v, quantity=n, times=times[v], last_on=last_seen[v])
            for v, n in qty.most_common()
        ),
        last_purchase_on=last_day,
        last_purchase=last,
        forecast=capsule_forecast(
            buys, min_purchases=int(CONFIG["capsules"]["min_purchases"])
        ),
        machines=machines,
        club_consent=bool(pref and pref.club_consent),
        language=pref.language if pref else "fr",
        preferred_channel=pref.preferred_channel if pref else "email",
        notices=notices,
    )


def edit_preferences(
    session: Session,
    actor: Principal,
    customer_id: int,
    *,
    at: datetime,
    language: str,
    preferred_channel: str,
    club_consent: bool,
    mobile: str | None = None,
) -> None:
    """Change a member's contact preferences from the counter (audited by ``prefs``)."""
    from dispatch.notices.prefs import set_preferences

    check_role(actor, *ROLES)
    set_preferences(
        session,
        actor.username,
        customer_id,
        at=at,
        mobile=mobile,
        preferred_channel=preferred_channel,
        language=language,
        club_consent=club_consent,
    )
