"""History -> what the forecast needs: return delays, loan lengths, cleaning time, demand rates.

Only what happened before ``as_of`` is used, so the backtest can ask "what did we know
on day D" with the same code the live forecast runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from loaner_pool.forecast.model import DEFAULT_CLEANING_DAYS, Learned, StockSite

#: Weeks of history the demand rates are averaged over.
RATE_WEEKS = 8
#: Pseudo-count spreading a region's demand over its sites when a site has little history.
SHARE_PRIOR = 0.5


@dataclass(frozen=True, slots=True)
class LoanRecord:
    """A past or open loan: lent from ``site_id``; ``returned_on``/``ready_on`` None if not yet."""

    site_id: int
    family: str
    lent_on: date
    due_on: date
    returned_on: date | None = None
    ready_on: date | None = None


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """A ticket that needed a loaner, opened on ``opened_on``, at the site that serves it."""

    site_id: int
    opened_on: date


def learn(
    loans: Iterable[LoanRecord],
    tickets: Iterable[TicketRecord],
    sites: Sequence[StockSite],
    as_of: date,
    *,
    weeks: int = RATE_WEEKS,
) -> Learned:
    """Delays and rates as known at the end of ``as_of``."""
    lateness: list[int] = []
    loan_days: list[int] = []
    cleaning: list[int] = []
    families: Counter[str] = Counter()
    for ln in loans:
        if ln.lent_on > as_of:
            continue
        families[ln.family] += 1
        # Returns of the last day are left out: a loan cut short by the end of a record
        # (or keyed in late) would read as a short repair.
        if ln.returned_on is not None and ln.returned_on < as_of - timedelta(days=1):
            lateness.append((ln.returned_on - ln.due_on).days)
            loan_days.append((ln.returned_on - ln.lent_on).days)
            if ln.ready_on is not None and ln.ready_on <= as_of:
                cleaning.append((ln.ready_on - ln.returned_on).days)
    region_of = {s.site_id: s.region for s in sites}
    start = as_of - timedelta(days=7 * weeks - 1)
    seen = [
        t for t in tickets if start <= t.opened_on <= as_of and t.site_id in region_of
    ]
    if seen:
        start = max(start, min(t.opened_on for t in seen))
    weekdays = Counter(
        (start + timedelta(days=k)).weekday() for k in range((as_of - start).days + 1)
    )
    per: Counter[tuple[str, int]] = Counter()
    per_site: Counter[int] = Counter()
    for t in seen:
        per[(region_of[t.site_id], t.opened_on.weekday())] += 1
        per_site[t.site_id] += 1
    rates = {key: n / max(1, weekdays[key[1]]) for key, n in per.items()}
    by_region: dict[str, list[StockSite]] = defaultdict(list)
    for s in sites:
        by_region[s.region].append(s)
    share: dict[int, float] = {}
    for members in by_region.values():
        total = sum(per_site[s.site_id] for s in members) + SHARE_PRIOR * len(members)
        for s in members:
            share[s.site_id] = (per_site[s.site_id] + SHARE_PRIOR) / total
    n_fam = sum(families.values())
    return Learned(
        lateness=tuple(sorted(lateness)),
        loan_days=tuple(sorted(loan_days)),
        cleaning_days=round(median(cleaning)) if cleaning else DEFAULT_CLEANING_DAYS,
        rates=rates,
        site_share=share,
        family_share={f: n / n_fam for f, n in families.items()} if n_fam else {},
    )
