"""Expected lendable stock per site, family and day, with its variance, from one snapshot.

Every loaner that may move is a small random event: an open loan comes back on its
due day shifted by a lateness drawn from history, a known need takes one out on its
day and brings it back after a loan length drawn from history, and new tickets arrive
as a Poisson stream at the region's weekday rate times the site's share. Means and
variances add (independent events; a Poisson stream thinned by "not back yet" stays
Poisson), the band is mean ± Z·sd.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from loaner_pool.forecast.model import (
    HORIZON_DAYS,
    MIN_SAFETY,
    SAFETY_DAYS,
    DayForecast,
    SiteForecast,
    Snapshot,
    Z,
)

#: With no sample later than an overdue loan's delay, it comes back within this many days.
OVERDUE_SPREAD_DAYS = 7
DEFAULT_LOAN_DAYS = (14,)
DEFAULT_LATENESS = (0,)


def _cdf(samples: Sequence[int], x: float) -> float:
    """P(X <= x) for the sorted samples."""
    return bisect_right(samples, x) / len(samples) if samples else 0.0


def _cdf_after(samples: Sequence[int], x: float, t0: float) -> float | None:
    """P(X <= x | X > t0); None when no sample is above t0."""
    above = len(samples) - bisect_right(samples, t0)
    if above == 0:
        return None
    return max(0.0, (bisect_right(samples, x) - bisect_right(samples, t0)) / above)


class _Series:
    """Mean and variance of one site-family's stock per horizon day, plus in/out flows."""

    __slots__ = ("back", "mean", "out", "var")

    def __init__(self, n: int, start: float) -> None:
        self.mean = [start] * n
        self.var = [0.0] * n
        self.out = [0.0] * n
        self.back = [0.0] * n


def project(snap: Snapshot, days: int = HORIZON_DAYS) -> tuple[SiteForecast, ...]:
    """Per-site forecasts for ``today + 1`` .. ``today + days``."""
    L = snap.learned
    today = snap.today
    horizon = [today + timedelta(days=k) for k in range(1, days + 1)]
    late = L.lateness or DEFAULT_LATENESS
    length = L.loan_days or DEFAULT_LOAN_DAYS
    clean = L.cleaning_days
    series: dict[tuple[int, str], _Series] = {}
    families = set(L.family_share) | {f for _, f in snap.available}
    families |= {x.family for x in snap.loans} | {x.family for x in snap.needs}
    site_ids = {s.site_id for s in snap.sites}

    def get(site_id: int, family: str) -> _Series:
        key = (site_id, family)
        if key not in series:
            series[key] = _Series(days, float(snap.available.get(key, 0)))
        return series[key]

    def index(day: date) -> int:
        return (day - today).days - 1

    for sid, fam in snap.available:
        if sid in site_ids:
            get(sid, fam)
    for a in snap.arrivals:
        if a.site_id not in site_ids:
            continue
        s, k0 = get(a.site_id, a.family), max(0, index(a.day))
        if k0 < days:
            s.back[k0] += a.count
            for k in range(k0, days):
                s.mean[k] += a.count
    for ln in snap.loans:
        if ln.site_id not in site_ids:
            continue
        s = get(ln.site_id, ln.family)
        t0 = (today - ln.due_on).days  # lateness already elapsed, still not back
        prev = 0.0
        for k, day in enumerate(horizon):
            x = (day - ln.due_on).days - clean
            p = _cdf_after(late, x, t0)
            if (
                p is None and ln.due_on > today
            ):  # later than history saw: on its due day
                p = 1.0 if x >= 0 else 0.0
            elif p is None:  # overdue beyond anything seen: back within a week
                p = min(1.0, max(0.0, (k + 1 - clean) / OVERDUE_SPREAD_DAYS))
            s.mean[k] += p
            s.var[k] += p * (1 - p)
            s.back[k] += p - prev
            prev = p
    for nd in snap.needs:
        if nd.site_id not in site_ids:
            continue
        s, k0 = get(nd.site_id, nd.family), max(0, index(nd.day))
        if k0 >= days:
            continue
        s.out[k0] += 1
        prev = 0.0
        for k in range(k0, days):
            p = _cdf(length, (horizon[k] - horizon[k0]).days - clean)
            s.mean[k] += p - 1
            s.var[k] += p * (1 - p)
            s.back[k] += p - prev
            prev = p
    for site in snap.sites:
        share = L.site_share.get(site.site_id, 0.0)
        for j, day_j in enumerate(horizon):
            lam_site = L.rates.get((site.region, day_j.weekday()), 0.0) * share
            if lam_site <= 0:
                continue
            for fam, fshare in L.family_share.items():
                lam = lam_site * fshare
                s = get(site.site_id, fam)
                s.out[j] += lam
                prev = 0.0
                for k in range(j, days):
                    p = _cdf(length, (horizon[k] - day_j).days - clean)
                    s.mean[k] -= lam * (1 - p)
                    s.var[k] += lam * (1 - p)
                    s.back[k] += lam * (p - prev)
                    prev = p
    by_site: dict[int, dict[str, _Series]] = defaultdict(dict)
    for (sid, fam), s in series.items():
        by_site[sid][fam] = s
    out = []
    for site in snap.sites:
        fams = by_site.get(site.site_id, {})
        rate = (
            sum(L.rates.get((site.region, d.weekday()), 0.0) for d in horizon)
            * L.site_share.get(site.site_id, 0.0)
            / max(1, days)
        )
        safety = max(MIN_SAFETY, math.ceil(SAFETY_DAYS * rate - 1e-9))
        now = sum(snap.available.get((site.site_id, f), 0) for f in families)
        rows = []
        for k, day in enumerate(horizon):
            sd = math.sqrt(sum(s.var[k] for s in fams.values()))
            # Each family's shelf is a whole number, never negative (what one family cannot
            # lend does not empty the others): its most likely count, the rounded mean,
            # is the figure with the least absolute error.
            shelf = float(sum(max(0, round(s.mean[k])) for s in fams.values()))
            unmet = sum(max(0, -round(s.mean[k])) for s in fams.values())
            rows.append(
                DayForecast(
                    day=day,
                    expected=round(shelf, 2),
                    low=round(max(0.0, shelf - Z * sd), 2),
                    high=round(max(0.0, shelf + Z * sd), 2),
                    safety=safety,
                    shortage=max(0, math.ceil(safety - shelf - 1e-6)) + unmet,
                    out=round(sum(s.out[k] for s in fams.values()), 2),
                    back=round(sum(s.back[k] for s in fams.values()), 2),
                )
            )
        out.append(
            SiteForecast(
                site=site,
                now=now,
                days=tuple(rows),
                demand={f: round(sum(s.out), 3) for f, s in sorted(fams.items())},
                by_family={
                    f: tuple(zip(s.mean, s.var, strict=True))
                    for f, s in sorted(fams.items())
                },
            )
        )
    return tuple(out)
