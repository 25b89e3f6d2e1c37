"""Loyalty rules: tier from rolling spend, points with expiry, online perk cycle.

Pure: purchases in, frozen dataclasses out. All figures come from
``loyalty.toml`` beside this module (schema documented there). Money is
``Decimal``; floats are converted through ``str`` so ``199.99`` stays 199.99.

Decisions
---------
- Rolling window: the 12 months ending on ``on``, i.e. purchases dated in
  ``(on - 12 months, on]``. A purchase exactly 12 months old no longer counts.
  Month arithmetic clamps the day (2025-02-28 minus 12 months -> 2024-02-28;
  2024-02-29 plus 12 months -> 2025-02-28).
- Points: ``floor(amount x per_euro)`` per purchase, all channels, earned on
  the purchase date, usable up to the day before ``earned_on + expiry_months``.
  Redemptions consume the oldest unexpired points first. On one day, expiry
  happens first, then the day's earnings, then its redemptions.
- 10th-order perk: 10 % below 200 EUR; 15 % from 200 EUR (200.00 included) up
  to 500 EUR; above 500 EUR 15 % of 500 EUR = 75 EUR (capped, see the TOML).
"""

from __future__ import annotations

import calendar
import dataclasses
import itertools
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

CONFIG_PATH = Path(__file__).with_name("loyalty.toml")
CENT = Decimal("0.01")
CHANNELS = ("online", "store", "phone")


class Tier(StrEnum):
    MEMBER = "Member"
    SILVER = "Silver"
    GOLD = "Gold"
    PLATINUM = "Platinum"

    @property
    def rank(self) -> int:
        """0 for Member up to 3 for Platinum."""
        return list(Tier).index(self)

    @property
    def label(self) -> str:
        """``Gold member``; plain ``Member`` for the base tier."""
        return "Member" if self is Tier.MEMBER else f"{self.value} member"

    @classmethod
    def parse(cls, value: str) -> Tier:
        """A tier from any casing (``"gold"``, ``"GOLD"``, ``Tier.GOLD``)."""
        for t in cls:
            if t.value.lower() == str(value).strip().lower():
                return t
        raise ValueError(
            f"unknown loyalty tier {value!r}; known: {', '.join(t.value for t in cls)}"
        )


def to_money(amount: Decimal | float | int | str) -> Decimal:
    """A Decimal euro amount (floats go through ``str`` to avoid 199.98999...)."""
    if isinstance(amount, float):
        if not math.isfinite(amount):
            raise ValueError(f"amount must be finite, got {amount!r}")
        return Decimal(str(amount))
    return Decimal(amount)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (may be negative), clamping the day of month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True, slots=True)
class Purchase:
    """One purchase (order) by a customer; ``amount`` in euros, >= 0."""

    on: date
    amount: Decimal | float
    channel: str = "store"
    amount_excl: Decimal | float | None = None  # pre-tax total, when lines are known

    @property
    def perk_base(self) -> Decimal:
        """What the perk cycle's discounts apply to: the pre-tax amount (the
        programme's rule), the taxed one for orders recorded without lines."""
        return to_money(self.amount if self.amount_excl is None else self.amount_excl)

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(
                f"unknown channel {self.channel!r}; known: {', '.join(CHANNELS)}"
            )
        if to_money(self.amount) < 0:
            raise ValueError(f"purchase amount must be >= 0, got {self.amount!r}")


@dataclass(frozen=True, slots=True)
class Redemption:
    """Points spent on ``on``."""

    on: date
    points: int

    def __post_init__(self) -> None:
        if self.points <= 0:
            raise ValueError(f"redeemed points must be > 0, got {self.points}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PerkBand:
    min_eur: Decimal  # inclusive; the band ends where the next one starts
    percent: Decimal
    max_base_eur: Decimal | None = None  # discount computed on at most this amount


@dataclass(frozen=True, slots=True, kw_only=True)
class PerkStep:
    """The rule at one cycle position (a discount step has amount bands)."""

    position: int
    kind: str  # gift | free_shipping | discount
    label: str
    bands: tuple[PerkBand, ...] = ()
    gifts: tuple[str, ...] = ()  # a gift step: the member picks one of these


@dataclass(frozen=True, slots=True, kw_only=True)
class Perk:
    """The perk granted to one order."""

    position: int
    kind: str
    label: str
    percent: Decimal | None = None
    max_discount_eur: Decimal | None = None

    def discount_on(self, amount: Decimal | float) -> Decimal:
        """The euro discount on an order of ``amount`` (0 for non-discount perks)."""
        if self.percent is None:
            return Decimal("0.00")
        value = (to_money(amount) * self.percent / 100).quantize(CENT, ROUND_HALF_UP)
        if self.max_discount_eur is not None:
            value = min(value, self.max_discount_eur)
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class LoyaltyConfig:
    window_months: int
    thresholds: tuple[tuple[Tier, Decimal], ...]  # ascending
    points_per_euro: Decimal
    points_expiry_months: int
    cycle_length: int
    steps: tuple[PerkStep, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TierStatus:
    tier: Tier
    spend_12m: Decimal
    next_tier: Tier | None  # None at the top tier
    missing_to_next: Decimal | None  # euros still to spend in the window


@dataclass(frozen=True, slots=True, kw_only=True)
class CyclePosition:
    position: int  # cycle position of the last order (1..cycle_length); 0 before any
    next_perk: PerkStep
    next_perk_position: int
    orders_to_next: int  # orders to place, the perk-carrying one included


@dataclass(frozen=True, slots=True, kw_only=True)
class PointsLot:
    earned_on: date
    expires_on: date  # first day the points can no longer be used
    points: int  # still unused


def _band_label(b: PerkBand, upper: Decimal | None) -> str:
    text = f"{b.percent.normalize():f} % off"
    if b.min_eur != 0:
        text += f" from {b.min_eur.normalize():f} €"
    if upper is not None:
        text += f" below {upper.normalize():f} €"
    if b.max_base_eur is not None:
        text += f" (on at most {b.max_base_eur.normalize():f} €)"
    return text


def _step_from(row: dict[str, Any]) -> PerkStep:
    bands = tuple(
        PerkBand(
            min_eur=Decimal(str(b["min_eur"])),
            percent=Decimal(str(b["percent"])),
            max_base_eur=(
                Decimal(str(b["max_base_eur"])) if "max_base_eur" in b else None
            ),
        )
        for b in row.get("bands", [])
    )
    if bands and (
        bands[0].min_eur != 0
        or any(a.min_eur >= b.min_eur for a, b in itertools.pairwise(bands))
    ):
        raise ValueError(f"perk bands must start at 0 and ascend: {row!r}")
    label = row.get("label") or ", ".join(
        _band_label(b, nxt.min_eur if nxt else None)
        for b, nxt in zip(bands, (*bands[1:], None), strict=True)
    )
    gifts = tuple(str(g) for g in row.get("gifts", ()))
    if row["kind"] == "gift" and not gifts:
        raise ValueError(f"a gift step needs its list of gifts: {row!r}")
    return PerkStep(
        position=int(row["position"]),
        kind=str(row["kind"]),
        label=label,
        bands=bands,
        gifts=gifts,
    )


def load_config(path: str | Path | None = None) -> LoyaltyConfig:
    """Read ``loyalty.toml`` (or ``path``), checking tiers and perk positions."""
    with Path(path or CONFIG_PATH).open("rb") as f:
        raw = tomllib.load(f)
    thresholds = tuple(
        sorted(
            (
                (Tier.parse(k), Decimal(str(v)))
                for k, v in raw["tiers"]["thresholds"].items()
            ),
            key=lambda kv: kv[1],
        )
    )
    if [t for t, _ in thresholds] != list(Tier) or thresholds[0][1] != 0:
        raise ValueError(
            "tier thresholds must list Member (0), Silver, Gold, Platinum ascending"
        )
    cycle = int(raw["perks"]["cycle_length"])
    steps = tuple(
        sorted((_step_from(r) for r in raw["perks"]["step"]), key=lambda s: s.position)
    )
    positions = [s.position for s in steps]
    if (
        not steps
        or len(set(positions)) != len(positions)
        or not all(1 <= p <= cycle for p in positions)
    ):
        raise ValueError(f"perk positions must be distinct, within 1..{cycle}")
    return LoyaltyConfig(
        window_months=int(raw["tiers"]["window_months"]),
        thresholds=thresholds,
        points_per_euro=Decimal(str(raw["points"]["per_euro"])),
        points_expiry_months=int(raw["points"]["expiry_months"]),
        cycle_length=cycle,
        steps=steps,
    )


DEFAULT_CONFIG = load_config()


# --- tiers ------------------------------------------------------------------


def spend_in_window(
    purchases: Sequence[Purchase], on: date, config: LoyaltyConfig | None = None
) -> Decimal:
    """Total spend (all channels) dated in ``(on - window_months, on]``."""
    cfg = config or DEFAULT_CONFIG
    start = add_months(on, -cfg.window_months)
    total = sum(
        (to_money(p.amount) for p in purchases if start < p.on <= on), Decimal(0)
    )
    return total.quantize(CENT)


def tier_for(
    purchases: Sequence[Purchase], on: date, config: LoyaltyConfig | None = None
) -> TierStatus:
    """The tier held on ``on`` from rolling spend, and what is missing to the next.

    Example: 850 EUR in the window -> Gold, next Platinum, 1150.00 missing.
    """
    cfg = config or DEFAULT_CONFIG
    spend = spend_in_window(purchases, on, cfg)
    tier, nxt = cfg.thresholds[0][0], None
    missing: Decimal | None = None
    for i, (t, threshold) in enumerate(cfg.thresholds):
        if spend >= threshold:
            tier = t
            nxt, missing = None, None
            if i + 1 < len(cfg.thresholds):
                nxt = cfg.thresholds[i + 1][0]
                missing = (cfg.thresholds[i + 1][1] - spend).quantize(CENT)
    return TierStatus(
        tier=tier, spend_12m=spend, next_tier=nxt, missing_to_next=missing
    )


# --- points -----------------------------------------------------------------


def points_earned(amount: Decimal | float, config: LoyaltyConfig | None = None) -> int:
    """Points for one purchase: ``floor(amount x per_euro)`` (49.99 EUR -> 49)."""
    cfg = config or DEFAULT_CONFIG
    return int(
        (to_money(amount) * cfg.points_per_euro).to_integral_value("ROUND_FLOOR")
    )


def points_lots(
    purchases: Sequence[Purchase],
    redemptions: Sequence[Redemption],
    on: date,
    config: LoyaltyConfig | None = None,
) -> tuple[PointsLot, ...]:
    """Unused, unexpired points on ``on``, oldest first (events after ``on`` ignored).

    Raises
    ------
    ValueError
        A redemption spends more points than were available that day.
    """
    cfg = config or DEFAULT_CONFIG
    # (day, order, points): order 0 = earning, 1 = redemption, so a day's
    # earnings are usable by that day's redemptions.
    events = sorted(
        [(p.on, 0, points_earned(p.amount, cfg)) for p in purchases if p.on <= on]
        + [(r.on, 1, r.points) for r in redemptions if r.on <= on],
        key=lambda e: (e[0], e[1]),
    )
    lots: list[PointsLot] = []  # oldest first: events are in date order
    for day, kind, pts in events:
        lots = [lot for lot in lots if lot.expires_on > day and lot.points > 0]
        if kind == 0:
            if pts > 0:
                expires = add_months(day, cfg.points_expiry_months)
                lots.append(PointsLot(earned_on=day, expires_on=expires, points=pts))
            continue
        available = sum(lot.points for lot in lots)
        if pts > available:
            raise ValueError(
                f"redemption of {pts} points on {day} exceeds the {available} available"
            )
        for i, lot in enumerate(lots):
            used = min(lot.points, pts)
            lots[i] = dataclasses.replace(lot, points=lot.points - used)
            pts -= used
            if pts == 0:
                break
    return tuple(lot for lot in lots if lot.expires_on > on and lot.points > 0)


def points_balance(
    purchases: Sequence[Purchase],
    redemptions: Sequence[Redemption],
    on: date,
    config: LoyaltyConfig | None = None,
) -> int:
    """Points usable on ``on``."""
    return sum(lot.points for lot in points_lots(purchases, redemptions, on, config))


def expiring_points(
    purchases: Sequence[Purchase],
    redemptions: Sequence[Redemption],
    on: date,
    within_days: int,
    config: LoyaltyConfig | None = None,
) -> tuple[PointsLot, ...]:
    """Lots that expire in ``(on, on + within_days]`` if nothing is redeemed.

    Sum ``.points`` for the total; ``.expires_on`` is the first unusable day.
    """
    limit = on + timedelta(days=within_days)
    return tuple(
        lot
        for lot in points_lots(purchases, redemptions, on, config)
        if lot.expires_on <= limit
    )


# --- perk cycle ---------------------------------------------------------------


def _step_at(position: int, cfg: LoyaltyConfig) -> PerkStep | None:
    return next((s for s in cfg.steps if s.position == position), None)


def perk_for_order(
    n_online_orders_before: int,
    order_amount: Decimal | float,
    config: LoyaltyConfig | None = None,
) -> Perk | None:
    """The perk of the next online order, or ``None`` if its position has none.

    ``n_online_orders_before`` counts the customer's earlier online orders, so
    0 means this is the 1st (a gift) and 10 means the 11th (a new 1st).
    """
    cfg = config or DEFAULT_CONFIG
    if n_online_orders_before < 0:
        raise ValueError(f"order count must be >= 0, got {n_online_orders_before}")
    amount = to_money(order_amount)
    if amount < 0:
        raise ValueError(f"order amount must be >= 0, got {order_amount!r}")
    position = n_online_orders_before % cfg.cycle_length + 1
    step = _step_at(position, cfg)
    if step is None:
        return None
    if not step.bands:
        return Perk(position=position, kind=step.kind, label=step.label)
    band = [b for b in step.bands if amount >= b.min_eur][-1]
    cap = (
        (band.max_base_eur * band.percent / 100).quantize(CENT)
        if band.max_base_eur is not None
        else None
    )
    label = f"{band.percent.normalize():f} % off"
    if cap is not None:
        label += f" (at most {cap:f} €)"
    return Perk(
        position=position,
        kind=step.kind,
        label=label,
        percent=band.percent,
        max_discount_eur=cap,
    )


def cycle_position(
    n_online_orders: int, config: LoyaltyConfig | None = None
) -> CyclePosition:
    """Where a customer with ``n_online_orders`` online orders stands in the cycle.

    Example: 2 orders -> position 2, next perk at position 4 (5 % off), 2 orders
    to go (the 3rd, then the 4th that carries it).
    """
    cfg = config or DEFAULT_CONFIG
    if n_online_orders < 0:
        raise ValueError(f"order count must be >= 0, got {n_online_orders}")
    position = (
        0 if n_online_orders == 0 else (n_online_orders - 1) % cfg.cycle_length + 1
    )
    for ahead in range(1, cfg.cycle_length + 1):
        nxt = (position + ahead - 1) % cfg.cycle_length + 1
        step = _step_at(nxt, cfg)
        if step is not None:
            return CyclePosition(
                position=position,
                next_perk=step,
                next_perk_position=nxt,
                orders_to_next=ahead,
            )
    raise AssertionError("load_config guarantees at least one step")
