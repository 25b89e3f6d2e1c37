"""Customer look-up by phone or e-mail, with the member's loyalty status.

Members carry no card: the counter or the phone line finds them by the number
or address they give, written any way (``06 12 34 56 78``, ``+33612345678``,
``0033 6 12 34 56 78``, ``Jane.Doe@Example.fr``). The database stores phones in
E.164 and e-mails lower-cased, so the look-up is an indexed equality.

The card is computed from purchases (the cached ``LoyaltyAccount.tier`` may be
stale until ``loyalty_service.refresh_tiers`` runs). Non-members get their
tier and perk position from purchases too, but no points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Customer, LoyaltyAccount, RepairTicket
from dispatch.loyalty import rules as loyalty
from dispatch.loyalty import service as loyalty_service
from dispatch.loyalty.contact import normalize_email, normalize_phone
from dispatch.loyalty.rules import CyclePosition, Perk, PointsLot, Tier
from repairs.sla import PARIS
from repairs.states import OPEN_STATES


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerCard:
    """What the counter needs to know about one customer, as of ``as_of``."""

    customer_id: int
    ref: str
    name: str
    phone: str | None
    email: str | None
    town: str
    postcode: str
    as_of: date
    enrolled_on: date | None  # None: not a loyalty member
    tier: Tier
    spend_12m: Decimal
    next_tier: Tier | None
    missing_to_next: Decimal | None
    online_orders: int
    cycle: CyclePosition
    last_online_perk: Perk | None  # the perk the latest online order carried
    last_online_amount: (
        Decimal | None
    )  # pre-tax where the lines are known (the perk base)
    points_balance: int
    expiring: tuple[PointsLot, ...]  # lots expiring within the look-up's window
    open_tickets: int

    @property
    def is_member(self) -> bool:
        return self.enrolled_on is not None

    @property
    def contact(self) -> str:
        """``+33612345678 · jane@example.fr`` (whichever are known)."""
        return " · ".join(c for c in (self.phone, self.email) if c)

    @property
    def expiring_points(self) -> int:
        return sum(lot.points for lot in self.expiring)

    @property
    def next_expiry(self) -> date | None:
        return min((lot.expires_on for lot in self.expiring), default=None)

    def perk_for_next_order(self, amount: Decimal | float) -> Perk | None:
        """The perk the next online order of ``amount`` euros would carry."""
        return loyalty.perk_for_order(self.online_orders, amount)


def parse_contact(phone_or_email: str) -> tuple[str, str]:
    """``("email", normalised)`` or ``("phone", E.164)``.

    Raises
    ------
    ValueError
        Naming the input when it is neither an e-mail address nor a phone number.
    """
    text = str(phone_or_email).strip()
    if "@" in text:
        return "email", normalize_email(text)
    try:
        return "phone", normalize_phone(text)
    except ValueError:
        raise ValueError(
            f"not a phone number or e-mail address: {phone_or_email!r}"
        ) from None


def find_customer(
    session: Session,
    phone_or_email: str,
    *,
    on: date | None = None,
    expiring_within_days: int = 30,
) -> list[CustomerCard]:
    """Customers with this phone number or e-mail address, by ref.

    Parameters
    ----------
    phone_or_email
        Any written form of a phone number, or an e-mail address (any case).
    on
        The day of the status (default: today in Paris).
    expiring_within_days
        Window for ``CustomerCard.expiring``.

    Returns
    -------
    list[CustomerCard]
        Empty when nobody has that number or address (it may be shared, e.g. a
        household, hence a list).

    Raises
    ------
    ValueError
        Naming the input when it is neither an e-mail address nor a phone number.
    """
    kind, value = parse_contact(phone_or_email)
    day = on or datetime.now(PARIS).date()
    column = Customer.email if kind == "email" else Customer.phone
    rows = session.execute(
        select(Customer, LoyaltyAccount)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
        .where(column == value)
        .order_by(Customer.ref)
    ).all()
    if not rows:
        return []
    ids = [c.id for c, _ in rows]
    purchases = loyalty_service.purchases_by_customer(session, day, ids)
    dated = loyalty_service.redemptions_by_account(
        session, [a.id for _, a in rows if a is not None]
    )
    open_counts = dict(
        session.execute(
            select(RepairTicket.customer_id, func.count())
            .where(
                RepairTicket.customer_id.in_(ids),
                RepairTicket.status.in_([s.value for s in OPEN_STATES]),
            )
            .group_by(RepairTicket.customer_id)
        )
        .tuples()
        .all()
    )
    return [
        _card(
            c,
            a,
            purchases.get(c.id, []),
            dated,
            open_counts.get(c.id, 0),
            day,
            expiring_within_days,
        )
        for c, a in rows
    ]


def _card(
    c: Customer,
    account: LoyaltyAccount | None,
    purchases: list[loyalty.Purchase],
    dated: dict[int, list[loyalty.Redemption]],
    open_tickets: int,
    on: date,
    within_days: int,
) -> CustomerCard:
    status = loyalty.tier_for(purchases, on)
    online = [p for p in purchases if p.channel == "online"]
    last = online[-1] if online else None
    last_perk = (
        loyalty.perk_for_order(len(online) - 1, last.perk_base)
        if last is not None
        else None
    )
    lots: tuple[PointsLot, ...] = ()
    if account is not None:
        lots = loyalty_service.points_lots(
            loyalty_service.Account.of(account),
            purchases,
            dated.get(account.id, []),
            on,
        )
    limit = on + timedelta(days=within_days)
    return CustomerCard(
        customer_id=c.id,
        ref=c.ref,
        name=c.name,
        phone=c.phone,
        email=c.email,
        town=c.town,
        postcode=c.postcode,
        as_of=on,
        enrolled_on=account.enrolled_on if account is not None else None,
        tier=status.tier,
        spend_12m=status.spend_12m,
        next_tier=status.next_tier,
        missing_to_next=status.missing_to_next,
        online_orders=len(online),
        cycle=loyalty.cycle_position(len(online)),
        last_online_perk=last_perk,
        last_online_amount=last.perk_base if last is not None else None,
        points_balance=sum(lot.points for lot in lots),
        expiring=tuple(lot for lot in lots if lot.expires_on <= limit),
        open_tickets=open_tickets,
    )
