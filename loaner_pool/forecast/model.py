"""The forecast's values: what is known at a moment, what history says, what comes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

HORIZON_DAYS = 14
#: The band is the mean ± Z standard deviations (80 % two-sided under a normal law).
Z = 1.28
#: Safety stock: what a site lends on average over this many days, at least MIN_SAFETY.
SAFETY_DAYS = 3.0
MIN_SAFETY = 1
#: Days a returned loaner spends in cleaning and descaling when history says nothing.
DEFAULT_CLEANING_DAYS = 1
#: Weekdays the vans run (Monday to Saturday), as ``dispatch.deliveries``.
VAN_DAYS = (0, 1, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class StockSite:
    """A site that holds loaners (store or depot). ``group`` = the depot whose vans serve it."""

    site_id: int
    code: str
    name: str
    kind: str
    region: str
    lat: float
    lon: float
    group: int


@dataclass(frozen=True, slots=True)
class Arrival:
    """``count`` loaners of ``family`` become lendable at ``site_id`` on ``day`` for sure
    (cleaning done, transfer arriving)."""

    site_id: int
    family: str
    day: date
    count: int = 1


@dataclass(frozen=True, slots=True)
class OpenLoan:
    """A loaner out with a customer: comes back to ``site_id`` around ``due_on``."""

    site_id: int
    family: str
    due_on: date


@dataclass(frozen=True, slots=True)
class Need:
    """A ticket known to need a loaner of ``family`` at ``site_id`` on ``day``."""

    site_id: int
    family: str
    day: date


@dataclass(frozen=True, slots=True)
class Learned:
    """What history says: delays as samples (days), demand rates, shares.

    ``lateness``: returned day - due day of past loans; ``loan_days``: returned day -
    lent day; ``rates[(region, weekday)]``: loaner-needing tickets per day;
    ``site_share[site_id]``: the site's share of its region's demand;
    ``family_share[family]``: share of loans per loaner family.
    """

    lateness: tuple[int, ...] = ()
    loan_days: tuple[int, ...] = ()
    cleaning_days: int = DEFAULT_CLEANING_DAYS
    rates: Mapping[tuple[str, int], float] = field(default_factory=dict)
    site_share: Mapping[int, float] = field(default_factory=dict)
    family_share: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything known on ``today`` (end of day) about the pool."""

    today: date
    sites: tuple[StockSite, ...]
    available: Mapping[tuple[int, str], int]
    arrivals: tuple[Arrival, ...]
    loans: tuple[OpenLoan, ...]
    needs: tuple[Need, ...]
    learned: Learned


@dataclass(frozen=True, slots=True)
class DayForecast:
    """Lendable loaners expected at the end of ``day``, with the band and the safety level.

    ``expected`` is the most likely whole number on the shelves (each family's rounded
    mean, never negative); ``low``/``high`` the 80 % band around it (clamped at 0);
    ``shortage`` is how many loaners are missing: to bring the shelf up to ``safety``,
    plus the customers a family the site will not have would leave without one.
    """

    day: date
    expected: float
    low: float
    high: float
    safety: int
    shortage: int
    out: float = 0.0  # expected to leave that day
    back: float = 0.0  # expected to become lendable again that day


@dataclass(frozen=True, slots=True)
class SiteForecast:
    site: StockSite
    now: int  # lendable today
    days: tuple[DayForecast, ...]
    #: family -> (mean, variance) per horizon day
    by_family: Mapping[str, tuple[tuple[float, float], ...]]
    #: family -> loaners expected to leave over the horizon
    demand: Mapping[str, float] = field(default_factory=dict)

    @property
    def first_shortage(self) -> DayForecast | None:
        return next((d for d in self.days if d.shortage > 0), None)


@dataclass(frozen=True, slots=True)
class Transfer:
    """Move ``count`` loaners of ``family`` from one site to another on van day ``day``."""

    from_site: StockSite
    to_site: StockSite
    family: str
    count: int
    day: date
    km: float
    for_day: date  # the shortage day it prevents


@dataclass(frozen=True, slots=True)
class Forecast:
    today: date
    sites: tuple[SiteForecast, ...]
    transfers: tuple[Transfer, ...] = ()
