"""Loyalty on the database: cached tiers, members whose points expire, redemptions.

The rules live in the pure ``dispatch.loyalty.rules``; this module loads the rows
they need and writes back what changes. Services take the session first and
never commit (the caller owns the transaction).

Loading
-------
Histories are read in ONE query per table and grouped in Python
(``purchases_by_customer``, ``redemptions_by_account``), never one query per
customer: the national demo's 20,000 customers are handled in a few seconds.

Redemptions
-----------
The schema keeps only ``LoyaltyAccount.points_redeemed`` (the total so far).
Redemptions made through ``redeem`` are dated: each writes an audit row
(entity ``loyalty_account``, action ``redeem``, change ``{points, on}``) and
those rows are read back as ``loyalty.Redemption``. Whatever part of the
total has no dated audit row (imported or seeded totals) is modelled as ONE
redemption on ``tier_computed_on`` (else ``enrolled_on``), capped at the
points available that day, so legacy totals never make a balance negative.
A dedicated, dated redemption table would remove that approximation; it needs
a model in ``data.models`` and a migration.

Points are earned from the enrolment day on; the tier counts every purchase.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from data.audit import record
from data.models import AuditLog, Customer, LoyaltyAccount, PurchaseOrder
from dispatch.loyalty import rules as loyalty
from dispatch.loyalty.rules import Purchase, Redemption, Tier

ACCOUNT_ENTITY = "loyalty_account"
REDEEM_ACTION = "redeem"
TIER_ACTION = "tier"


class LoyaltyError(Exception):
    """A loyalty request refused; the message names the member and the figures."""


class NotAMember(LoyaltyError, LookupError):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"customer {customer_id} has no loyalty account")
        self.customer_id = customer_id


class NotEnoughPoints(LoyaltyError, ValueError):
    def __init__(self, customer_ref: str, wanted: int, balance: int, on: date) -> None:
        super().__init__(
            f"customer {customer_ref} cannot redeem {wanted} points on {on}: "
            f"balance is {balance}"
        )
        self.wanted, self.balance = wanted, balance


# --- loading -----------------------------------------------------------------


def purchases_by_customer(
    session: Session,
    on: date,
    customer_ids: Iterable[int] | Select[Any] | None = None,
    *,
    from_on: date | None = None,
) -> dict[int, list[Purchase]]:
    """Purchases dated up to ``on`` (and from ``from_on``), by customer, in date order.

    One query; ``customer_ids`` (ids or a sub-select of ids) restricts it
    (``None``: every customer).
    """
    q = (
        select(
            PurchaseOrder.customer_id,
            PurchaseOrder.ordered_on,
            PurchaseOrder.amount,
            PurchaseOrder.channel,
            PurchaseOrder.amount_excl,
        )
        .where(PurchaseOrder.ordered_on <= on)
        .order_by(PurchaseOrder.customer_id, PurchaseOrder.ordered_on, PurchaseOrder.id)
    )
    if isinstance(customer_ids, Select):
        q = q.where(PurchaseOrder.customer_id.in_(customer_ids))
    elif customer_ids is not None:
        q = q.where(PurchaseOrder.customer_id.in_(list(customer_ids)))
    if from_on is not None:
        q = q.where(PurchaseOrder.ordered_on >= from_on)
    out: dict[int, list[Purchase]] = defaultdict(list)
    for cid, ordered_on, amount, channel, excl in session.execute(q):
        out[cid].append(
            Purchase(on=ordered_on, amount=amount, channel=channel, amount_excl=excl)
        )
    return out


def redemptions_by_account(
    session: Session, account_ids: Iterable[int] | None = None
) -> dict[int, list[Redemption]]:
    """Dated redemptions recorded by ``redeem`` (audit rows), grouped by account."""
    q = select(AuditLog.entity_id, AuditLog.change).where(
        AuditLog.entity == ACCOUNT_ENTITY, AuditLog.action == REDEEM_ACTION
    )
    if account_ids is not None:
        q = q.where(AuditLog.entity_id.in_([str(i) for i in account_ids]))
    out: dict[int, list[Redemption]] = defaultdict(list)
    for entity_id, change in session.execute(q.order_by(AuditLog.id)).tuples():
        out[int(entity_id)].append(
            Redemption(
                on=date.fromisoformat(change["on"]), points=int(change["points"])
            )
        )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """The loyalty account fields the points rules need (read as plain columns)."""

    id: int
    customer_id: int
    enrolled_on: date
    points_redeemed: int
    tier_computed_on: date | None

    @classmethod
    def of(cls, row: LoyaltyAccount) -> Account:
        return cls(
            id=row.id,
            customer_id=row.customer_id,
            enrolled_on=row.enrolled_on,
            points_redeemed=row.points_redeemed,
            tier_computed_on=row.tier_computed_on,
        )

    @property
    def legacy_on(self) -> date:
        """The day the undated part of ``points_redeemed`` is put on."""
        return self.tier_computed_on or self.enrolled_on


_ACCOUNT_COLUMNS = (
    LoyaltyAccount.id,
    LoyaltyAccount.customer_id,
    LoyaltyAccount.enrolled_on,
    LoyaltyAccount.points_redeemed,
    LoyaltyAccount.tier_computed_on,
)


def _account(row: Sequence[Any]) -> Account:
    id_, cid, enrolled, redeemed, computed = row
    return Account(
        id=id_,
        customer_id=cid,
        enrolled_on=enrolled,
        points_redeemed=redeemed,
        tier_computed_on=computed,
    )


def account_redemptions(
    account: Account, purchases: Sequence[Purchase], dated: Sequence[Redemption]
) -> list[Redemption]:
    """The account's redemptions: the dated ones, plus the undated rest of the total.

    The rest (``points_redeemed`` minus the dated points) is put on
    ``account.legacy_on``, capped at the points available that day.
    """
    out = sorted(dated, key=lambda r: r.on)
    rest = account.points_redeemed - sum(r.points for r in out)
    if rest <= 0:
        return out
    anchor = account.legacy_on
    earning = _earning(account, purchases)
    try:  # the usual case: the balance covered it (one replay, not two)
        loyalty.points_lots(earning, [*out, Redemption(on=anchor, points=rest)], anchor)
    except ValueError:
        earlier = [r for r in out if r.on <= anchor]
        rest = min(rest, loyalty.points_balance(earning, earlier, anchor))
    if rest > 0:
        out.append(Redemption(on=anchor, points=rest))
    return sorted(out, key=lambda r: r.on)


def _earning(account: Account, purchases: Sequence[Purchase]) -> list[Purchase]:
    """Purchases that earn points: from the enrolment day on."""
    return [p for p in purchases if p.on >= account.enrolled_on]


def points_lots(
    account: Account,
    purchases: Sequence[Purchase],
    dated: Sequence[Redemption],
    on: date,
) -> tuple[loyalty.PointsLot, ...]:
    """The account's unused, unexpired points lots on ``on``, oldest first.

    ``purchases`` must hold every purchase that could still carry points on the
    first redemption day or on ``on`` (see ``points_history_start``).
    """
    redemptions = account_redemptions(account, purchases, dated)
    return loyalty.points_lots(_earning(account, purchases), redemptions, on)


def points_history_start(
    session: Session, on: date, dated: dict[int, list[Redemption]]
) -> date:
    """The earliest purchase day that can still matter to any balance on ``on``.

    Points earned before ``first - expiry_months`` (``first``: the earliest of
    ``on`` and every redemption day, ``dated`` from ``redemptions_by_account``) expired before any event we replay, so
    such purchases change nothing. Trimming them keeps the load small.
    """
    first = on
    legacy = session.scalar(
        select(
            func.min(
                func.coalesce(
                    LoyaltyAccount.tier_computed_on, LoyaltyAccount.enrolled_on
                )
            )
        ).where(LoyaltyAccount.points_redeemed > 0)
    )
    if legacy is not None:
        first = min(first, legacy)
    first = min([first, *(r.on for rs in dated.values() for r in rs)])
    # a few days' margin for month-end clamping in add_months
    return loyalty.add_months(
        first, -loyalty.DEFAULT_CONFIG.points_expiry_months
    ) - timedelta(days=4)


# --- tiers -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshCounts:
    """What ``refresh_tiers`` did: accounts seen, tiers changed, members per tier."""

    accounts: int
    changed: int
    upgraded: int
    downgraded: int
    by_tier: dict[Tier, int] = field(default_factory=dict)


def refresh_tiers(
    session: Session, on: date, *, actor: str = "system"
) -> RefreshCounts:
    """Recompute every cached ``LoyaltyAccount.tier`` from purchases as of ``on``.

    Sets ``tier_computed_on = on`` on every account; each tier change writes an
    audit row (``loyalty_account`` / ``tier``, change ``{from, to, spend_12m, on}``).
    Two reads and two bulk updates whatever the number of accounts. Flushes,
    does not commit.
    """
    window_start = loyalty.add_months(on, -loyalty.DEFAULT_CONFIG.window_months)
    purchases = purchases_by_customer(session, on, from_on=window_start)
    session.flush()
    accounts = session.execute(
        select(
            LoyaltyAccount.id, LoyaltyAccount.customer_id, LoyaltyAccount.tier
        ).order_by(LoyaltyAccount.id)
    ).all()
    up = down = 0
    by_tier: Counter[Tier] = Counter()
    changes: list[dict[str, object]] = []
    for acc_id, cid, cached in accounts:
        status = loyalty.tier_for(purchases.get(cid, ()), on)
        by_tier[status.tier] += 1
        old = _parse_tier(cached)
        if old is status.tier:
            continue
        if old is None or status.tier.rank > old.rank:
            up += 1
        else:
            down += 1
        changes.append({"id": acc_id, "tier": status.tier.value})
        record(
            session,
            actor,
            ACCOUNT_ENTITY,
            acc_id,
            TIER_ACTION,
            **{
                "from": cached,
                "to": status.tier.value,
                "spend_12m": status.spend_12m,
                "on": on,
            },
        )
    session.execute(
        update(LoyaltyAccount)
        .where(
            or_(
                LoyaltyAccount.tier_computed_on.is_(None),
                LoyaltyAccount.tier_computed_on != on,
            )
        )
        .values(tier_computed_on=on),
        execution_options={"synchronize_session": "evaluate"},
    )
    if changes:
        session.execute(update(LoyaltyAccount), changes)  # bulk UPDATE by primary key
        for obj in session.identity_map.values():
            if isinstance(obj, LoyaltyAccount):
                session.expire(obj, ["tier"])
    session.flush()
    return RefreshCounts(
        accounts=len(accounts),
        changed=up + down,
        upgraded=up,
        downgraded=down,
        by_tier={t: by_tier[t] for t in Tier},
    )


def _parse_tier(value: str | None) -> Tier | None:
    try:
        return Tier.parse(value) if value else None
    except ValueError:
        return None


# --- expiring points ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiringMember:
    """A member to notify: ``points`` expire within the window, the first lot on
    ``expires_on`` (the first day they can no longer be used)."""

    customer_id: int
    name: str
    ref: str
    phone: str | None
    email: str | None
    points: int
    expires_on: date
    balance: int


def expiring(session: Session, on: date, within_days: int) -> list[ExpiringMember]:
    """Members whose points expire in ``(on, on + within_days]``, soonest first.

    One row per member (ties by customer ref); ``points`` is what expires within
    the window if nothing is redeemed. A handful of queries whatever the size.
    """
    if within_days < 0:
        raise ValueError(f"within_days must be >= 0, got {within_days}")
    session.flush()
    limit = on + timedelta(days=within_days)
    months = loyalty.DEFAULT_CONFIG.points_expiry_months
    # Only customers with a purchase whose points could expire in the window
    # (earned around (on - expiry, limit - expiry]; a few days' margin for
    # month-end clamping) can be listed: replay only those.
    candidates = select(PurchaseOrder.customer_id).where(
        PurchaseOrder.ordered_on.between(
            loyalty.add_months(on, -months) - timedelta(days=4),
            loyalty.add_months(limit, -months) + timedelta(days=4),
        )
    )
    dated = redemptions_by_account(session)
    start = points_history_start(session, on, dated)
    purchases = purchases_by_customer(session, on, candidates, from_on=start)
    rows = session.execute(
        select(
            *_ACCOUNT_COLUMNS,
            Customer.name,
            Customer.ref,
            Customer.phone,
            Customer.email,
        )
        .join(Customer, Customer.id == LoyaltyAccount.customer_id)
        .where(LoyaltyAccount.customer_id.in_(candidates))
    ).all()
    out = []
    for row in rows:
        acc = _account(row[:5])
        name, ref, phone, email = row[5:]
        lots = points_lots(
            acc, purchases.get(acc.customer_id, ()), dated.get(acc.id, ()), on
        )
        soon = [lot for lot in lots if lot.expires_on <= limit]
        if soon:
            out.append(
                ExpiringMember(
                    customer_id=acc.customer_id,
                    name=name,
                    ref=ref,
                    phone=phone,
                    email=email,
                    points=sum(lot.points for lot in soon),
                    expires_on=min(lot.expires_on for lot in soon),
                    balance=sum(lot.points for lot in lots),
                )
            )
    out.sort(key=lambda m: (m.expires_on, m.ref))
    return out


# --- redemptions -------------------------------------------------------------


def redeem(
    session: Session, customer_id: int, points: int, on: date, *, actor: str = "system"
) -> int:
    """Spend ``points`` of a member's balance on ``on``; returns the new balance.

    Raises
    ------
    NotAMember
        The customer has no loyalty account.
    NotEnoughPoints
        The balance on ``on`` is smaller than ``points``.
    ValueError
        ``points`` is not positive.
    """
    if points <= 0:
        raise ValueError(f"redeemed points must be > 0, got {points}")
    acc = session.scalars(
        select(LoyaltyAccount)
        .where(LoyaltyAccount.customer_id == customer_id)
        .with_for_update()
    ).one_or_none()
    if acc is None:
        raise NotAMember(customer_id)
    purchases = purchases_by_customer(session, on, [customer_id]).get(customer_id, [])
    dated = redemptions_by_account(session, [acc.id]).get(acc.id, [])
    balance = sum(
        lot.points for lot in points_lots(Account.of(acc), purchases, dated, on)
    )
    if points > balance:
        ref = session.scalars(
            select(Customer.ref).where(Customer.id == customer_id)
        ).one()
        raise NotEnoughPoints(ref, points, balance, on)
    acc.points_redeemed += points
    record(session, actor, ACCOUNT_ENTITY, acc.id, REDEEM_ACTION, points=points, on=on)
    session.flush()
    return balance - points
