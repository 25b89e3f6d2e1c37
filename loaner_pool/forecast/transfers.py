"""Shortage -> transfers: loaners moved from sites with room to spare, cheapest first.

A site short on some day asks for its peak shortage, shared among the families it
lends most and misses most. Donors are the sites whose low band stays above their own
safety level from the van day to the end of the horizon; the nearest give first (a
site served by the same depot costs nothing extra: one van does both ends). The van
day is the last van day before the shortage, but never before the next van day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from data.gazetteer import distance_km
from loaner_pool.forecast.model import (
    VAN_DAYS,
    DayForecast,
    SiteForecast,
    StockSite,
    Transfer,
    Z,
)

#: Farthest a transfer goes between sites served by different depots.
MAX_KM = 150.0
#: Extra cost (in km) of a leg whose ends are served by two different depots.
OTHER_DEPOT_KM = 60.0


def next_van_day(after: date) -> date:
    d = after + timedelta(days=1)
    while d.weekday() not in VAN_DAYS:
        d += timedelta(days=1)
    return d


def van_day_for(today: date, shortage_day: date) -> date:
    """The last van day before ``shortage_day``, never before the next van day after today."""
    first = next_van_day(today)
    d = shortage_day - timedelta(days=1)
    while d.weekday() not in VAN_DAYS:
        d -= timedelta(days=1)
    return max(first, d)


def _low(mean: float, var: float) -> float:
    return mean - Z * math.sqrt(max(0.0, var))


def _spare(f: SiteForecast, family: str, from_k: int) -> int:
    """Loaners of ``family`` the site can give from horizon day ``from_k`` on and stay safe."""
    series = f.by_family.get(family)
    if not series:
        return 0
    fam = min(math.floor(_low(m, v) + 1e-9) for m, v in series[from_k:])
    total = min(math.floor(d.low + 1e-9) - d.safety for d in f.days[from_k:])
    return max(0, min(fam, total))


def _family_split(f: SiteForecast, peak_k: int, count: int) -> list[tuple[str, int]]:
    """Share ``count`` among families: the most missing first (safety split by demand)."""
    safety = f.days[peak_k].safety
    fams = list(f.by_family)
    if not fams:
        return []
    total = sum(f.demand.values())
    share = {
        fam: (f.demand.get(fam, 0.0) / total if total else 1 / len(fams))
        for fam in fams
    }
    missing = {fam: safety * share[fam] - f.by_family[fam][peak_k][0] for fam in fams}
    got: dict[str, int] = {}
    for _ in range(count):
        best = max(fams, key=lambda x: (missing[x], x))
        missing[best] -= 1
        got[best] = got.get(best, 0) + 1
    return sorted(got.items(), key=lambda kv: -kv[1])


def propose(
    forecasts: Sequence[SiteForecast], today: date, *, max_km: float = MAX_KM
) -> tuple[Transfer, ...]:
    """Transfers that bring every short site back to its safety level where donors allow."""
    if not forecasts:
        return ()
    given: dict[tuple[int, str], int] = {}
    out: list[Transfer] = []
    firsts = {f.site.site_id: f.first_shortage for f in forecasts}
    short = [f for f in forecasts if firsts[f.site.site_id] is not None]
    short.sort(key=lambda f: _urgency(firsts[f.site.site_id], f.site.code))
    horizon = [d.day for d in forecasts[0].days]
    for f in short:
        first = f.first_shortage
        assert first is not None
        day = van_day_for(today, first.day)
        k0 = max(0, min(len(horizon) - 1, (day - today).days - 1))
        peak_k = max(range(len(f.days)), key=lambda k: (f.days[k].shortage, -k))
        need = f.days[peak_k].shortage
        for family, count in _family_split(f, peak_k, need):
            donors = _donors(f.site, forecasts, max_km)
            for km, g in donors:
                if count <= 0:
                    break
                room = _spare(g, family, k0) - given.get((g.site.site_id, family), 0)
                if g.first_shortage is not None or room <= 0:
                    continue
                n = min(room, count)
                given[(g.site.site_id, family)] = (
                    given.get((g.site.site_id, family), 0) + n
                )
                count -= n
                out.append(
                    Transfer(g.site, f.site, family, n, day, round(km, 1), first.day)
                )
    return tuple(out)


def _urgency(first: DayForecast | None, code: str) -> tuple[date, int, str]:
    assert first is not None
    return first.day, -first.shortage, code


def _donors(
    to: StockSite, forecasts: Sequence[SiteForecast], max_km: float
) -> list[tuple[float, SiteForecast]]:
    ranked = []
    for g in forecasts:
        if g.site.site_id == to.site_id:
            continue
        km = distance_km(to.lat, to.lon, g.site.lat, g.site.lon)
        if g.site.group != to.group:
            if km > max_km:
                continue
            cost = km + OTHER_DEPOT_KM
        else:
            cost = km
        ranked.append((cost, km, g))
    ranked.sort(key=lambda x: (x[0], x[2].site.code))
    return [(km, g) for _, km, g in ranked]
