"""Pure club forecasts: when a member's capsules run out, when a machine needs descaling.

Purchases in, frozen dataclasses out; the figures come from ``notices.toml``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class CapsuleBuy:
    on: date
    quantity: int  # capsules
    variety: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CapsuleForecast:
    per_day: float  # capsules a day
    last_purchase: date
    last_quantity: int
    runout: date
    favourites: tuple[str, ...]  # most bought varieties, most first

    @property
    def per_week(self) -> int:
        return round(self.per_day * 7)


def capsule_forecast(
    buys: Sequence[CapsuleBuy], *, min_purchases: int = 3
) -> CapsuleForecast | None:
    """The consumption rate and predicted run-out from a member's capsule purchases.

    The rate is what was bought before the last purchase day divided by the days
    between the first and the last purchase (each purchase lasted until the
    next); the last purchase then lasts ``quantity / rate`` days. ``None`` with
    fewer than ``min_purchases`` purchase days, or all on one day.

    Example: 50 on 1 Jan, 50 on 21 Jan, 100 on 10 Feb -> 100 capsules over 40
    days = 2.5 a day; the 100 of 10 Feb run out on 22 Mar.
    """
    by_day: Counter[date] = Counter()
    varieties: Counter[str] = Counter()
    for b in buys:
        if b.quantity > 0:
            by_day[b.on] += b.quantity
            if b.variety:
                varieties[b.variety] += b.quantity
    days = sorted(by_day)
    if len(days) < max(2, min_purchases):
        return None
    span = (days[-1] - days[0]).days
    before = sum(by_day[d] for d in days[:-1])
    if span <= 0 or before <= 0:
        return None
    rate = before / span
    last = days[-1]
    return CapsuleForecast(
        per_day=rate,
        last_purchase=last,
        last_quantity=by_day[last],
        runout=last + timedelta(days=round(by_day[last] / rate)),
        favourites=tuple(v for v, _ in varieties.most_common(3)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Descaling:
    since: date  # last descaling kit bought, or the machine's purchase
    cups: int  # capsules bought since
    due: bool


def descaling(
    *,
    machine_bought: date,
    kits: Sequence[date],
    buys: Sequence[CapsuleBuy],
    on: date,
    cups_limit: int,
    days_limit: int,
) -> Descaling:
    """Due when ``cups_limit`` capsules were bought since the last descaling (or the
    machine's purchase), or ``days_limit`` days have passed since, whichever first."""
    since = max([machine_bought, *[k for k in kits if k <= on]])
    cups = sum(b.quantity for b in buys if since < b.on <= on)
    return Descaling(
        since=since,
        cups=cups,
        due=cups >= cups_limit or (on - since).days >= days_limit,
    )
