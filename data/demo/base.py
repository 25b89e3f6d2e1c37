"""The demo generator: scales, the rules handed in by the caller, ids and bulk inserts."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from data.base import PARIS as PARIS
from data.base import Base
from data.demo.names import FIRST, LAST
from data.gazetteer import Place, gazetteer
from data.models import (
    Site,
)


@dataclass(frozen=True, slots=True)
class Triage:
    path: str  # remote / onsite / workshop
    skill: str | None
    duration_min: int
    same_day: bool


@dataclass(frozen=True)
class DemoRules:
    """The product's rules, handed in by the caller (see ``dispatch.cli.data``)."""

    faults: Sequence[str]
    families: Sequence[str]
    skills: Sequence[str]
    triage: Callable[[str, str], Triage]
    sla_due: Callable[[datetime, str, str], datetime]  # opened_at, severity, tier
    tier_for: Callable[[Sequence[tuple[date, Decimal, str]], date], str]
    hash_password: Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Scale:
    regions: tuple[str, ...] | None  # None = the whole country
    depots: int
    technicians: int
    couriers: int
    stores: int
    relays: int
    customers: int
    loaners: int
    day_visits: int  # on-site repair visits wanted on the demo day
    day_orders: int
    history_weeks: int
    history_visits_per_day: int
    history_orders_per_day: int


SCALES: dict[str, Scale] = {
    "national": Scale(
        None, 12, 150, 120, 60, 200, 20_000, 400, 1_200, 2_000, 8, 700, 260
    ),
    "small": Scale(
        ("Auvergne-Rhône-Alpes",), 1, 12, 6, 5, 15, 1_000, 30, 90, 150, 2, 30, 25
    ),
}

MODELS: dict[str, tuple[str, ...]] = {
    "espresso_manual": ("Arpège Classic", "Arpège Pro Dual"),
    "bean_to_cup": ("Maestro B2C 5", "Maestro B2C 7 Lattè", "Maestro B2C 9 Touch"),
    "capsule": ("Capsa One", "Capsa Vertigo"),
    "milk_frother": ("Aeroccino Duo", "Lattè Whisk"),
}


@dataclass
class DemoCounts:
    rows: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        return ", ".join(f"{k}: {v:,}" for k, v in sorted(self.rows.items()))


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """A Paris wall-clock time on ``day``, as an aware datetime."""
    return datetime.combine(day, time(hh, mm), tzinfo=PARIS)


def is_empty(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(Site)) == 0


def wipe(session: Session) -> None:
    """Delete every row (children first), keeping the schema."""
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(table.delete())


def default_day(today: date | None = None) -> date:
    """The next working day from today (today itself on a weekday)."""
    d = today or datetime.now(PARIS).date()
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


class Gen:
    """Holds the random stream and the ids handed out so far."""

    def __init__(
        self, session: Session, scale: Scale, seed: int, day: date, rules: DemoRules
    ):
        self.s, self.scale, self.day, self.rules = session, scale, day, rules
        self.rng = random.Random(seed)
        self.counts = DemoCounts()
        self.now = local(day, 7, 0)  # the demo is seen at 07:00 on its day
        g = gazetteer()
        towns = [
            (p, w)
            for p, w in g.towns_weighted_by_population()
            if scale.regions is None or p.region_name in scale.regions
        ]
        self.towns = [p for p, _ in towns]
        self.town_w = [w for _, w in towns]
        self.regions = sorted({p.region_name for p in self.towns})
        self.region_pop: Counter[str] = Counter()
        for p, w in towns:
            self.region_pop[p.region_name] += w
        self.by_region: dict[str, list[Place]] = defaultdict(list)
        self.by_region_w: dict[str, list[int]] = defaultdict(list)
        for p, w in towns:
            self.by_region[p.region_name].append(p)
            self.by_region_w[p.region_name].append(w)

    # -- helpers -------------------------------------------------------------
    def add(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        if rows:
            for i in range(0, len(rows), 5_000):
                self.s.execute(insert(model), rows[i : i + 5_000])
            self.counts.rows[model.__tablename__] += len(rows)

    def town(self, region: str | None = None) -> Place:
        if region is None:
            return self.rng.choices(self.towns, self.town_w)[0]
        return self.rng.choices(self.by_region[region], self.by_region_w[region])[0]

    def jitter(self, p: Place, km: float = 1.5) -> tuple[float, float]:
        r = km * math.sqrt(self.rng.random())
        a = self.rng.random() * 2 * math.pi
        return (
            round(p.lat + r * math.cos(a) / 111.0, 5),
            round(p.lon + r * math.sin(a) / (111.0 * math.cos(math.radians(p.lat))), 5),
        )

    def name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST), self.rng.choice(LAST)

    def spread(
        self, total: int, weights: dict[str, float], minimum: int = 0
    ) -> dict[str, int]:
        """Split ``total`` over keys by weight (largest remainder), each at least ``minimum``."""
        keys = sorted(weights)
        base = dict.fromkeys(keys, minimum)
        rest = total - minimum * len(keys)
        wsum = sum(weights.values())
        raw = {k: rest * weights[k] / wsum for k in keys}
        for k in keys:
            base[k] += int(raw[k])
        left = total - sum(base.values())
        for k in sorted(keys, key=lambda k: raw[k] - int(raw[k]), reverse=True)[:left]:
            base[k] += 1
        return base

    @staticmethod
    def nearest(
        lat: float, lon: float, sites: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        def d2(s: dict[str, Any]) -> float:
            north = float(s["lat"]) - lat
            east = (float(s["lon"]) - lon) * math.cos(math.radians(lat))
            return north**2 + east**2

        return sorted(sites, key=d2)


def depot_place(d: dict[str, Any]) -> tuple[float, float, str, int]:
    """What ``data.gazetteer.nearest_depot`` reads of a demo depot row."""
    return (d["lat"], d["lon"], d["region"], d["id"])
