"""Pure loaner policy: who needs a loaner, which site lends it, who gets scarce ones.

No database: plain values in, frozen dataclasses out. ``loaner_pool`` sits above
``repairs`` (it lends for tickets) and below ``dispatch``: the loaner-need rule is
``repairs.states.needs_loaner``, re-exported here; loyalty tiers are taken as
strings (``dispatch.loyalty.rules.Tier`` is a ``StrEnum`` and can be passed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from data.gazetteer import distance_km as distance_km
from repairs.states import needs_loaner as needs_loaner

PATHS = ("remote", "onsite", "workshop")

#: Loyalty tiers, lowest first (same values as ``dispatch.loyalty.rules.Tier``).
TIER_ORDER = ("Member", "Silver", "Gold", "Platinum")

#: Which loaner families can stand in for a customer's machine family, best
#: first. A bean-to-cup loaner replaces a manual espresso machine (same beans,
#: same drinks); capsule and frother owners only get their own kind.
COMPATIBLE_LOANERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "espresso_manual": ("espresso_manual", "bean_to_cup"),
        "bean_to_cup": ("bean_to_cup",),
        "capsule": ("capsule",),
        "milk_frother": ("milk_frother",),
    }
)


def compatible_families(family: str) -> tuple[str, ...]:
    """Loaner families that may replace ``family``, best first."""
    try:
        return COMPATIBLE_LOANERS[family]
    except KeyError:
        raise ValueError(
            f"unknown machine model family {family!r}; known: {', '.join(COMPATIBLE_LOANERS)}"
        ) from None


@dataclass(frozen=True, slots=True)
class SiteStock:
    """Available (lendable now) loaners at a site, by model family."""

    site_id: int
    name: str
    lat: float
    lon: float
    available_by_family: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RankedSite:
    site_id: int
    distance_km: float
    available: int  # compatible loaners in stock, all compatible families
    name: str = ""
    family: str = ""  # the best compatible family in stock: lend this one


def rank_sites(
    customer_lat: float,
    customer_lon: float,
    candidates: Sequence[SiteStock],
    family: str,
    *,
    max_km: float | None = None,
) -> list[RankedSite]:
    """Sites holding a loaner compatible with ``family``, nearest first.

    Ties on distance prefer a site with the exact family, then more stock, then
    the lower site id. ``max_km`` drops farther sites. An empty list means no
    site can lend (the service raises ``NoLoanerAvailable``).
    """
    families = compatible_families(family)
    ranked: list[tuple[tuple[float, int, int, int], RankedSite]] = []
    for site in candidates:
        stock = {f: site.available_by_family.get(f, 0) for f in families}
        total = sum(max(0, n) for n in stock.values())
        if total == 0:
            continue
        best = next(f for f in families if stock[f] > 0)
        km = distance_km(customer_lat, customer_lon, site.lat, site.lon)
        if max_km is not None and km > max_km:
            continue
        r = RankedSite(
            site_id=site.site_id,
            distance_km=round(km, 3),
            available=total,
            name=site.name,
            family=best,
        )
        ranked.append(((km, families.index(best), -total, site.site_id), r))
    ranked.sort(key=lambda kr: kr[0])
    return [r for _, r in ranked]


@dataclass(frozen=True, slots=True)
class LoanRequest:
    """A ticket waiting for a loaner. ``tier`` is a loyalty tier name (any casing)."""

    ticket_id: int
    tier: str
    waiting_since: datetime


@dataclass(frozen=True, slots=True)
class Allocation:
    granted: list[int]  # ticket ids, best-ranked first
    refused: list[tuple[int, str]]  # (ticket id, reason in words)
    explanation: str


def tier_rank(tier: str) -> int:
    """0 for Member up to 3 for Platinum (case-insensitive)."""
    for i, name in enumerate(TIER_ORDER):
        if name.lower() == str(tier).strip().lower():
            return i
    raise ValueError(f"unknown loyalty tier {tier!r}; known: {', '.join(TIER_ORDER)}")


def _tier_label(tier: str) -> str:
    name = TIER_ORDER[tier_rank(tier)]
    return "Member" if name == "Member" else f"{name} member"


def _waiting_text(since: datetime, now: datetime) -> str:
    waited = max(now - since, timedelta(0))
    if waited >= timedelta(days=1):
        days = waited.days
        return "waiting 1 day" if days == 1 else f"waiting {days} days"
    hours = int(waited / timedelta(hours=1))
    return f"waiting {hours} h"


def describe(req: LoanRequest, now: datetime) -> str:
    """``Gold member waiting 4 days`` (ticket 12)."""
    return f"{_tier_label(req.tier)} {_waiting_text(req.waiting_since, now)} (ticket {req.ticket_id})"


def _rank_key(req: LoanRequest) -> tuple[int, datetime, int]:
    return (-tier_rank(req.tier), req.waiting_since, req.ticket_id)


def why_above(a: LoanRequest, b: LoanRequest, now: datetime) -> str:
    """Why ``a`` ranks above ``b``, in words."""
    da, db = describe(a, now), describe(b, now)
    if tier_rank(a.tier) != tier_rank(b.tier):
        why = "higher loyalty tier first"
    elif a.waiting_since != b.waiting_since:
        why = (
            f"same tier, longer wait first (since "
            f"{a.waiting_since:%Y-%m-%d %H:%M} vs {b.waiting_since:%Y-%m-%d %H:%M})"
        )
    else:
        why = "same tier and same wait, lower ticket number first"
    return f"{da} ranks above {db}: {why}"


def allocate_shortage(
    requests: Sequence[LoanRequest], available: int, now: datetime
) -> Allocation:
    """Share ``available`` loaners among ``requests`` when there are not enough.

    Ranking: higher loyalty tier first, then the longer wait (earlier
    ``waiting_since``), then the lower ticket id. The first ``available``
    requests are granted; each refused one gets a reason naming the lowest
    granted request that outranks it, e.g. "Gold member waiting 4 days
    (ticket 12) ranks above Silver member waiting 6 days (ticket 9): higher
    loyalty tier first".
    """
    if available < 0:
        raise ValueError(f"available must be >= 0, got {available}")
    if now.tzinfo is None:
        raise ValueError(f"now must be timezone-aware, got naive datetime {now!r}")
    ids = [r.ticket_id for r in requests]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate ticket ids in requests: {ids}")
    ranked = sorted(requests, key=_rank_key)
    granted, refused_reqs = ranked[:available], ranked[available:]
    refused: list[tuple[int, str]] = []
    for req in refused_reqs:
        if not granted:
            reason = f"{describe(req, now)}: no loaner available"
        else:
            reason = why_above(granted[-1], req, now)
        refused.append((req.ticket_id, reason))
    lines = [
        f"{len(requests)} request(s) for {available} loaner(s): "
        f"{len(granted)} granted, {len(refused)} refused; "
        "higher loyalty tier first, then longer wait."
    ]
    lines += [f"{i}. {describe(r, now)}: granted" for i, r in enumerate(granted, 1)]
    lines += [
        f"{i}. {reason}" for i, (_, reason) in enumerate(refused, len(granted) + 1)
    ]
    return Allocation(
        granted=[r.ticket_id for r in granted],
        refused=refused,
        explanation="\n".join(lines),
    )
