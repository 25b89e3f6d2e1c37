"""A deterministic demo network on real French towns.

``seed_demo`` writes sites, technicians, vans, customers with purchase histories,
machines, loaners, the day's repair visits and delivery orders, and weeks of
history (closed tickets with their visits, returned loans, finished deliveries)
so KPIs and trends have something real to show.

Business rules (triage, SLA, loyalty tier, password hashing) are injected through
:class:`DemoRules`, so this module stays in the data layer and the demo always
agrees with the rules the product applies.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from data.base import PARIS as PARIS
from data.base import Base
from data.gazetteer import Place, gazetteer
from data.models import (
    Courier,
    Customer,
    CustomerMachine,
    DeliveryOrder,
    Loan,
    Loaner,
    LoanerEvent,
    LoyaltyAccount,
    PurchaseOrder,
    RepairTicket,
    Site,
    Technician,
    TicketEvent,
    User,
    Visit,
)


@dataclass(frozen=True, slots=True)
class Triage:
    path: str  # remote / onsite / workshop
    skill: str | None
    duration_min: int
    same_day: bool


@dataclass(frozen=True)
class DemoRules:
    """The product's rules, handed in by the caller (see ``dispatch.cli_data``)."""

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
    "national": Scale(None, 12, 150, 120, 60, 200, 20_000, 400, 1_200, 2_000, 8, 700, 260),
    "small": Scale(("Auvergne-Rhône-Alpes",), 1, 12, 6, 5, 15, 1_000, 30, 90, 150, 2, 30, 25),
}

MODELS: dict[str, tuple[str, ...]] = {
    "espresso_manual": ("Arpège Classic", "Arpège Pro Dual"),
    "bean_to_cup": ("Maestro B2C 5", "Maestro B2C 7 Lattè", "Maestro B2C 9 Touch"),
    "capsule": ("Capsa One", "Capsa Vertigo"),
    "milk_frother": ("Aeroccino Duo", "Lattè Whisk"),
}
FAMILY_WEIGHTS = {"bean_to_cup": 0.45, "espresso_manual": 0.2, "capsule": 0.25, "milk_frother": 0.1}
FIRST = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Emma", "Alice", "Lina", "Hugo", "Lucas", "Louis", "Gabriel", "Arthur", "Jules", "Léo", "Raphaël", "Adam", "Nathan", "Paul", "Thomas", "Sarah", "Julie", "Claire", "Élodie", "Marc", "Nicolas", "Pierre", "Sophie", "Anne", "Jean", "Marie", "François", "Isabelle", "Philippe", "Nathalie", "Olivier", "Yasmine", "Mehdi", "Karim", "Aïcha", "Fatou", "Mamadou", "Kevin", "Océane", "Maël", "Noé", "Zoé"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier", "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Perez", "Marchand", "Dufour", "Blanchard", "Brun", "Giraud", "Le", "Gall", "Le", "Goff", "Kerhervé", "Castellani", "Santoni", "Benali", "Haddad"]
STREETS = ("rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "place de la Mairie",
           "rue des Écoles", "boulevard Pasteur", "rue du Moulin", "chemin des Vignes",
           "rue de l'Église", "allée des Tilleuls", "rue Gambetta", "impasse des Lilas",
           "avenue de la Gare", "rue Nationale", "route de Paris", "quai des Chartrons")
SEVERITIES = (("low", 0.2), ("normal", 0.45), ("high", 0.25), ("critical", 0.1))
# Spend profile over the last 12 months: (share of customers, low €, high €).
SPEND_PROFILES = ((0.55, 20, 280), (0.27, 320, 760), (0.13, 850, 1_900), (0.05, 2_100, 4_500))


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


class _Gen:
    """Holds the random stream and the ids handed out so far."""

    def __init__(self, session: Session, scale: Scale, seed: int, day: date, rules: DemoRules):
        self.s, self.scale, self.day, self.rules = session, scale, day, rules
        self.rng = random.Random(seed)
        self.counts = DemoCounts()
        self.now = local(day, 7, 0)  # the demo is seen at 07:00 on its day
        g = gazetteer()
        towns = [(p, w) for p, w in g.towns_weighted_by_population()
                 if scale.regions is None or p.region_name in scale.regions]
        self.towns = [p for p, _ in towns]
        self.town_w = [w for _, w in towns]
        self.regions = sorted({p.region_name for p in self.towns})
        self.region_pop = Counter()
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
        return (round(p.lat + r * math.cos(a) / 111.0, 5),
                round(p.lon + r * math.sin(a) / (111.0 * math.cos(math.radians(p.lat))), 5))

    def name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST), self.rng.choice(LAST)

    def spread(self, total: int, weights: dict[str, float], minimum: int = 0) -> dict[str, int]:
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
    def nearest(lat: float, lon: float, sites: list[dict[str, Any]]) -> list[dict[str, Any]]:
        def d2(s: dict[str, Any]) -> float:
            return (s["lat"] - lat) ** 2 + ((s["lon"] - lon) * math.cos(math.radians(lat))) ** 2

        return sorted(sites, key=d2)


def seed_demo(
    session: Session, *, scale: str = "national", seed: int = 7, day: date | None = None,
    rules: DemoRules,
) -> DemoCounts:
    """Fill an empty database with the demo network. The caller owns the transaction."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    g = _Gen(session, SCALES[scale], seed, day or default_day(), rules)
    sites = _sites(g)
    techs = _technicians(g, sites)
    _couriers(g, sites)
    customers = _customers(g)
    machines = _machines(g, customers)
    tiers = _purchases(g, customers)
    _users(g, sites)
    _day_tickets(g, customers, machines, tiers, techs)
    _loaners(g, sites, customers, machines, tiers)
    _day_orders(g, customers, sites)
    _history(g, customers, machines, techs, tiers, sites)
    if session.get_bind().dialect.name == "postgresql":
        _sync_sequences(session)
    return g.counts


# --- network -----------------------------------------------------------------


def _sites(g: _Gen) -> dict[str, list[dict[str, Any]]]:
    sc = g.scale
    depot_regions = sorted(g.regions, key=lambda r: -g.region_pop[r])[: sc.depots]
    rows: list[dict[str, Any]] = []
    depots: list[dict[str, Any]] = []
    sid = 0
    for region in depot_regions:
        sid += 1
        p = g.by_region[region][0]  # the region's largest town
        lat, lon = g.jitter(p, 4)
        depots.append(dict(id=sid, code=f"DEP-{p.dep_code}", kind="depot", name=f"Dépôt {p.name}",
                           address="Zone d'activités", postcode=p.postcode, town=p.name,
                           region=region, lat=lat, lon=lon, opens_at=time(6, 0),
                           closes_at=time(20, 0), open_days=[0, 1, 2, 3, 4, 5],
                           relay_daily_capacity=None, holding_days=0, depot_id=None))

    def depot_for(lat: float, lon: float, region: str) -> int:
        same = [d for d in depots if d["region"] == region]
        return int(g.nearest(lat, lon, same or depots)[0]["id"])

    stores: list[dict[str, Any]] = []
    seen: set[str] = set()
    for p in g.towns:  # largest towns first, one store per town
        if len(stores) == sc.stores:
            break
        if p.name in seen:
            continue
        seen.add(p.name)
        sid += 1
        lat, lon = g.jitter(p, 0.8)
        stores.append(dict(id=sid, code=f"STO-{len(stores) + 1:03d}", kind="store",
                           name=f"Boutique {p.name}", address=f"{g.rng.randint(1, 80)} {g.rng.choice(STREETS)}",
                           postcode=p.postcode, town=p.name, region=p.region_name, lat=lat, lon=lon,
                           opens_at=time(10, 0), closes_at=time(19, 0), open_days=[0, 1, 2, 3, 4, 5],
                           relay_daily_capacity=None, holding_days=14,
                           depot_id=depot_for(lat, lon, p.region_name)))
    relays: list[dict[str, Any]] = []
    shops = ("Tabac", "Presse", "Épicerie", "Pressing", "Fleuriste", "Librairie", "Supérette")
    for i in range(sc.relays):
        p = g.town()
        sid += 1
        lat, lon = g.jitter(p, 1.2)
        relays.append(dict(id=sid, code=f"REL-{i + 1:04d}", kind="relay",
                           name=f"{g.rng.choice(shops)} {g.rng.choice(LAST)} ({p.name})",
                           address=f"{g.rng.randint(1, 120)} {g.rng.choice(STREETS)}",
                           postcode=p.postcode, town=p.name, region=p.region_name, lat=lat, lon=lon,
                           opens_at=time(9, 0), closes_at=time(19, 30), open_days=[0, 1, 2, 3, 4, 5],
                           relay_daily_capacity=g.rng.choice((8, 10, 12, 15, 20, 25, 30)),
                           holding_days=10, depot_id=depot_for(lat, lon, p.region_name)))
    sid += 1
    p = g.by_region[depot_regions[0]][0]
    workshop = dict(id=sid, code="WKS-001", kind="workshop", name=f"Atelier central {p.name}",
                    address="Zone industrielle", postcode=p.postcode, town=p.name,
                    region=p.region_name, lat=depots[0]["lat"], lon=depots[0]["lon"],
                    opens_at=time(8, 0), closes_at=time(18, 0), open_days=[0, 1, 2, 3, 4],
                    relay_daily_capacity=None, holding_days=0, depot_id=depots[0]["id"])
    rows = depots + stores + relays + [workshop]
    g.add(Site, rows)
    return {"depot": depots, "store": stores, "relay": relays, "workshop": [workshop]}


def _territory_centres(g: _Gen, region: str, n: int) -> list[tuple[float, float]]:
    """Where a region's ``n`` technicians live: centres of equal-demand territories.

    A real network places technicians where the customers are, one territory each;
    weighted k-means over the region's population does the same.
    """
    import numpy as np

    towns = g.by_region[region]
    pts = np.array([(p.lat, p.lon * math.cos(math.radians(p.lat))) for p in towns])
    w = np.array(g.by_region_w[region], dtype=float)
    order = np.argsort(-w)
    centres = pts[order[:n]].copy()  # start from the largest towns
    for _ in range(30):
        d = ((pts[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
        lab = d.argmin(1)
        for k in range(n):
            m = lab == k
            if m.any():
                centres[k] = (pts[m] * w[m, None]).sum(0) / w[m].sum()
    out = []
    for c in centres:
        i = int(((pts - c) ** 2).sum(1).argmin())  # live in a real town near the centre
        out.append((towns[i].lat, towns[i].lon))
    return out


def _region_area_km2() -> dict[str, float]:
    """Area of each région from the shipped boundaries (shoelace on a local projection)."""
    from data.gazetteer import boundaries

    areas: dict[str, float] = {}
    for f in boundaries("regions")["features"]:
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        total = 0.0
        for poly in polys:
            ring = poly[0]  # outer ring; holes are negligible here
            lat0 = math.radians(sum(p[1] for p in ring) / len(ring))
            xy = [(p[0] * 111.32 * math.cos(lat0), p[1] * 110.57) for p in ring]
            total += abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(xy, xy[1:] + xy[:1], strict=True))) / 2
        areas[f["properties"]["name"]] = total
    return areas


def _workload(g: _Gen, region: str, areas: dict[str, float]) -> float:
    """A region's technician-minutes per day: visits x (time on site + driving to them).

    Visits follow the population; the drive to each grows as the population thins
    out, about 411 / sqrt(people per km²) minutes (measured on planned demo days:
    13 min in Île-de-France, 55 min in Bourgogne-Franche-Comté), so a rural region
    needs more technicians per visit than Paris does.
    """
    pop = float(g.region_pop[region])
    density = pop / max(1.0, areas.get(region, 10_000.0))
    return pop * (34.0 + 15.0 + 411.0 / math.sqrt(density))  # on site + parking and access + driving


def _technicians(g: _Gen, sites: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    sc = g.scale
    areas = _region_area_km2()
    per_region = g.spread(sc.technicians, {r: _workload(g, r, areas) for r in g.regions})
    skills = list(g.rules.skills)
    rows: list[dict[str, Any]] = []
    tid = 0
    for region in sorted(per_region):
        n = per_region[region]
        for k, (clat, clon) in enumerate(_territory_centres(g, region, n)):
            tid += 1
            p = gazetteer().nearest(clat, clon)
            lat, lon = g.jitter(p, 1)
            # Everyone descales and knows the espresso unit; most are generalists, the
            # others miss one speciality (rotating, so each region covers every skill).
            own = set(skills)
            if k % 3:
                own.discard([s for s in skills if s not in ("descaling", "espresso_unit")][k % 3])
            first, last = g.name()
            early = g.rng.random() < 0.3
            rows.append(dict(id=tid, code=f"TEC-{tid:03d}", name=f"{first} {last}", region=region,
                             home_site_id=None, home_town=p.name, home_lat=lat, home_lon=lon,
                             skills=sorted(own),
                             shift_start=time(7, 30) if early else time(8, 0),
                             shift_end=time(17, 30) if early else time(18, 0),
                             break_earliest=time(11, 45), break_latest=time(13, 45), break_minutes=45,
                             days_off=[5, 6], max_visits=None, cost_per_km=0.35, cost_per_hour=32.0,
                             active=True))
    g.add(Technician, rows)
    return rows


def _couriers(g: _Gen, sites: dict[str, list[dict[str, Any]]]) -> None:
    depots = sites["depot"]
    per = g.spread(g.scale.couriers, {str(d["id"]): float(g.region_pop[d["region"]]) for d in depots}, 1)
    rows = []
    cid = 0
    for d in depots:
        for _ in range(per[str(d["id"])]):
            cid += 1
            first, last = g.name()
            rows.append(dict(id=cid, code=f"VAN-{cid:03d}", name=f"{first} {last}", depot_id=d["id"],
                             capacity_parcels=g.rng.choice((60, 80, 100)), shift_start=time(7, 30),
                             shift_end=time(18, 30), break_earliest=time(11, 30), break_latest=time(14, 0),
                             break_minutes=30, days_off=[6], cost_per_km=0.45, cost_per_hour=28.0,
                             active=True))
    g.add(Courier, rows)


# --- customers ---------------------------------------------------------------


def _customers(g: _Gen) -> list[dict[str, Any]]:
    rows = []
    phones: set[str] = set()
    for cid in range(1, g.scale.customers + 1):
        p = g.town()
        lat, lon = g.jitter(p, 2.0 if (p.population or 0) < 50_000 else 3.0)
        first, last = g.name()
        while True:
            phone = f"+336{g.rng.randint(10_000_000, 99_999_999)}"
            if phone not in phones:
                phones.add(phone)
                break
        email = (f"{_ascii(first)}.{_ascii(last)}{cid}@example.fr" if g.rng.random() < 0.9 else None)
        rows.append(dict(id=cid, ref=f"C{cid:06d}", name=f"{first} {last}", phone=phone, email=email,
                         address=f"{g.rng.randint(1, 150)} {g.rng.choice(STREETS)}", postcode=p.postcode,
                         town=p.name, region=p.region_name, lat=lat, lon=lon, geo_precision="postcode",
                         created_at=datetime(2022, 1, 1, tzinfo=UTC)))
    g.add(Customer, rows)
    return rows


def _ascii(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", s.lower()) if c.isalnum() and c.isascii())


def _machines(g: _Gen, customers: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    rows = []
    by_customer: dict[int, dict[str, Any]] = {}
    fams = list(FAMILY_WEIGHTS)
    for c in customers:
        fam = g.rng.choices(fams, [FAMILY_WEIGHTS[f] for f in fams])[0]
        bought = g.day - timedelta(days=g.rng.randint(30, 6 * 365))
        row = dict(id=c["id"], customer_id=c["id"], model=g.rng.choice(MODELS[fam]), model_family=fam,
                   serial=f"SN{c['id']:07d}{g.rng.randint(100, 999)}", purchased_on=bought,
                   warranty_end=bought + timedelta(days=2 * 365))
        rows.append(row)
        by_customer[c["id"]] = row
    g.add(CustomerMachine, rows)
    return by_customer


def _purchases(g: _Gen, customers: list[dict[str, Any]]) -> dict[int, str]:
    rows: list[dict[str, Any]] = []
    accounts: list[dict[str, Any]] = []
    tiers: dict[int, str] = {}
    oid = 0
    shares = [p[0] for p in SPEND_PROFILES]
    for c in customers:
        _, lo, hi = g.rng.choices(SPEND_PROFILES, shares)[0]
        target = g.rng.uniform(lo, hi)
        history: list[tuple[date, Decimal, str]] = []
        spent = 0.0
        while spent < target:  # last 12 months
            amount = round(min(target - spent + 5, g.rng.lognormvariate(4.2, 0.8)) + 5, 2)
            on = g.day - timedelta(days=g.rng.randint(1, 360))
            history.append((on, Decimal(str(amount)), _channel(g)))
            spent += amount
        for _ in range(g.rng.randint(0, 6)):  # older purchases: no effect on the tier
            on = g.day - timedelta(days=g.rng.randint(370, 1_100))
            history.append((on, Decimal(str(round(g.rng.lognormvariate(4.0, 0.9) + 5, 2))), _channel(g)))
        history.sort()
        for on, amount, channel in history:
            oid += 1
            rows.append(dict(id=oid, customer_id=c["id"], ordered_on=on, amount=amount, channel=channel))
        tier = g.rules.tier_for(history, g.day)
        tiers[c["id"]] = tier
        if g.rng.random() < 0.85 or tier != "Member":
            accounts.append(dict(id=len(accounts) + 1, customer_id=c["id"], enrolled_on=history[0][0],
                                 tier=tier, points_redeemed=g.rng.choice((0, 0, 0, 50, 100)),
                                 tier_computed_on=g.day))
        else:
            tiers[c["id"]] = "Member"
    g.add(PurchaseOrder, rows)
    g.add(LoyaltyAccount, accounts)
    return tiers


def _channel(g: _Gen) -> str:
    return g.rng.choices(("online", "store", "phone"), (0.6, 0.32, 0.08))[0]


def _users(g: _Gen, sites: dict[str, list[dict[str, Any]]]) -> None:
    h = g.rules.hash_password
    stores = sites["store"]
    rows = [
        dict(username="admin", display_name="Admin", role="admin", password_hash=h("admin-demo")),
        dict(username="dispatch", display_name="Dana Dispatcher", role="dispatcher",
             password_hash=h("dispatch-demo"), region=stores[0]["region"]),
        dict(username="manager", display_name="Morgan Manager", role="manager", password_hash=h("manager-demo")),
        dict(username="store1", display_name=f"Staff {stores[0]['town']}", role="store staff",
             store_id=stores[0]["id"], password_hash=h("store-demo")),
    ]
    if len(stores) > 1:
        rows.append(dict(username="store2", display_name=f"Staff {stores[1]['town']}", role="store staff",
                         store_id=stores[1]["id"], password_hash=h("store-demo")))
    for i, r in enumerate(rows, 1):
        r.setdefault("store_id", None)
        r.setdefault("region", None)
        r.update(id=i, active=True, failed_logins=0, created_at=datetime(2026, 1, 5, tzinfo=UTC))
    g.add(User, rows)


# --- the demo day ---------------------------------------------------------------


def _severity(g: _Gen) -> str:
    return g.rng.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES])[0]


def _day_tickets(
    g: _Gen, customers: list[dict[str, Any]], machines: dict[int, dict[str, Any]],
    tiers: dict[int, str], techs: list[dict[str, Any]],
) -> None:
    """Open tickets: the day's on-site visits, plus remote fixes and workshop repairs.

    Each region gets visits in proportion to its population (exactly, not by chance),
    and technicians were staffed by workload (see ``_workload``), so the day fits.
    """
    tickets: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    quota = g.spread(g.scale.day_visits, {r: float(g.region_pop[r]) for r in g.regions})
    in_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in customers:
        in_region[c["region"]].append(c)
    onsite: Counter[str] = Counter()
    used: set[int] = set()
    while sum(onsite.values()) < g.scale.day_visits:
        c = g.rng.choice(customers)
        if c["id"] in used or onsite[c["region"]] >= quota.get(c["region"], 0):
            continue
        used.add(c["id"])
        m = machines[c["id"]]
        fault = g.rng.choice(list(g.rules.faults))
        tri = g.rules.triage(fault, m["model_family"])
        if tri.path == "onsite":
            onsite[c["region"]] += 1
        elif g.rng.random() < 0.7:  # keep the day's mix mostly on-site
            continue
        severity = _severity(g)
        # Tickets wait about as long as their tier's SLA allows: a Platinum call came in
        # yesterday, a Member's may be four days old.
        oldest_h = {"Platinum": 20, "Gold": 40, "Silver": 60}.get(tiers[c["id"]], 96)
        opened = g.now - timedelta(hours=g.rng.randint(3, oldest_h))
        tid = 100_000 + len(tickets) + 1
        status = {"onsite": "triaged", "remote": "remote fix", "workshop": "awaiting pickup"}[tri.path]
        ws = we = None
        visit_on = None
        if tri.path == "onsite":
            visit_on = g.day
            slot = g.rng.random()  # half the customers ask for a morning or an afternoon
            if slot < 0.22:
                ws, we = local(g.day, 8), local(g.day, 12)
            elif slot < 0.44:
                ws, we = local(g.day, 13), local(g.day, 17, 30)
            elif slot < 0.5:
                h = g.rng.choice((8, 10, 14))
                ws, we = local(g.day, h), local(g.day, h + 3)
        tickets.append(dict(
            id=tid, ref=f"R{tid}", customer_id=c["id"], machine_id=m["id"], fault=fault,
            severity=severity, description=_description(g, fault), resolution_path=tri.path,
            required_skill=tri.skill, duration_min=tri.duration_min, same_day_fix=tri.same_day,
            window_start=ws, window_end=we, visit_on=visit_on, opened_at=opened,
            sla_due_at=g.rules.sla_due(opened, severity, tiers[c["id"]]), status=status,
            loaner_needed=tri.path == "workshop" or not tri.same_day, technician_id=None,
            closed_at=None, first_time_fix=None, version=1))
        events.append(dict(ticket_id=tid, at=opened, actor="demo", from_state=None, to_state="new",
                           why="opened by phone"))
        events.append(dict(ticket_id=tid, at=opened + timedelta(minutes=20), actor="demo",
                           from_state="new", to_state="triaged", why=f"triage: {fault}"))
        if status != "triaged":
            events.append(dict(ticket_id=tid, at=opened + timedelta(minutes=25), actor="demo",
                               from_state="triaged", to_state=status, why="resolution path " + tri.path))
    g.add(RepairTicket, tickets)
    g.add(TicketEvent, events)


def _description(g: _Gen, fault: str) -> str:
    notes = {
        "leak": "Water under the machine after each coffee",
        "descaling": "Descaling light stays on; coffee lukewarm",
        "grinder_jam": "Grinder makes noise, no coffee comes out",
        "milk_system": "Milk froth too thin, steam wand sputters",
        "no_power": "Machine does not switch on",
        "pump": "Pump loud, little water",
        "display_error": "Display shows error E07",
        "brewing_unit": "Brewing unit stuck",
        "noise": "Rattling noise when brewing",
    }
    return notes.get(fault, "Customer reports a fault") + g.rng.choice(("", ". Call before coming.",
                                                                        ". Digicode 4B12.", ""))


def _loaners(
    g: _Gen, sites: dict[str, list[dict[str, Any]]], customers: list[dict[str, Any]],
    machines: dict[int, dict[str, Any]], tiers: dict[int, str],
) -> None:
    """The pool: most available, some out with workshop customers, a few overdue."""
    holders = sites["depot"] + sites["store"]
    fams = list(FAMILY_WEIGHTS)
    rows = []
    for i in range(1, g.scale.loaners + 1):
        fam = g.rng.choices(fams, [FAMILY_WEIGHTS[f] for f in fams])[0]
        site = holders[i % len(holders)] if i % 3 else g.rng.choice(sites["depot"])
        state = g.rng.choices(("available", "cleaning", "in transit", "retired"), (0.9, 0.05, 0.03, 0.02))[0]
        rows.append(dict(id=i, code=f"LN-{i:04d}", model=g.rng.choice(MODELS[fam]), model_family=fam,
                         condition=g.rng.choice(("good", "good", "fair")), state=state, site_id=site["id"],
                         version=1))
    # Machines at the workshop, each with a loaner at the customer's home.
    n_out = max(3, g.scale.loaners // 5)
    loans, tickets, events = [], [], []
    avail = [r for r in rows if r["state"] == "available"]
    for k in range(n_out):
        loaner = avail[k]
        c = customers[(k * 7919) % len(customers)]
        lent = g.now - timedelta(days=g.rng.randint(2, 20))
        due = (lent + timedelta(days=14)).date()
        tid = 200_000 + k + 1
        tri_fault = g.rng.choice(("pump", "brewing_unit", "leak"))
        tickets.append(dict(
            id=tid, ref=f"R{tid}", customer_id=c["id"], machine_id=machines[c["id"]]["id"], fault=tri_fault,
            severity="high", description="Machine sent to the workshop", resolution_path="workshop",
            required_skill="espresso_unit", duration_min=60, same_day_fix=False, window_start=None,
            window_end=None, visit_on=None, opened_at=lent - timedelta(days=1),
            sla_due_at=g.rules.sla_due(lent - timedelta(days=1), "high", tiers[c["id"]]),
            status="at workshop", loaner_needed=True, technician_id=None, closed_at=None,
            first_time_fix=None, version=1))
        loaner["state"] = "lent"
        loans.append(dict(id=k + 1, loaner_id=loaner["id"], ticket_id=tid, customer_id=c["id"],
                          from_site_id=loaner["site_id"], lent_at=lent, due_on=due, returned_at=None,
                          returned_to_site_id=None, reminders_sent=0))
        events.append(dict(loaner_id=loaner["id"], at=lent, actor="demo", from_state="available",
                           to_state="lent", site_id=loaner["site_id"], detail=f"lent for ticket R{tid}"))
    g.add(Loaner, rows)
    g.add(RepairTicket, tickets)
    g.add(Loan, loans)
    g.add(LoanerEvent, events)


def _day_orders(g: _Gen, customers: list[dict[str, Any]], sites: dict[str, list[dict[str, Any]]]) -> None:
    """The day's orders: home deliveries, store pick-up bags and relay-point drops."""
    rows = []
    relay_load: Counter[int] = Counter()
    items = ("Beans 1 kg", "Descaler kit", "Milk jug", "Capsules x50", "Water filter", "Cups set",
             "Grinder burr set", "Tamper", "Cleaning tablets")
    for i in range(1, g.scale.day_orders + 1):
        c = g.rng.choice(customers)
        mode = g.rng.choices(("home", "store pick-up", "relay point"), (0.5, 0.25, 0.25))[0]
        depot = g.nearest(c["lat"], c["lon"], [d for d in sites["depot"] if d["region"] == c["region"]]
                          or sites["depot"])[0]
        dest = None
        ws = we = None
        status = "new"
        if mode == "home":
            h = g.rng.choice((8, 10, 12, 14, 16, 8, 13))
            span = 2 if h not in (8, 13) else 4
            ws, we = local(g.day, h), local(g.day, min(h + span, 18))
        elif mode == "store pick-up":
            dest = g.nearest(c["lat"], c["lon"], sites["store"])[0]
            h = g.rng.randint(11, 18)
            ws, we = local(g.day, h), local(g.day, 19)
            status = "to prepare"
        else:
            for relay in g.nearest(c["lat"], c["lon"], sites["relay"])[:10]:
                if relay_load[relay["id"]] < relay["relay_daily_capacity"]:
                    dest = relay
                    relay_load[relay["id"]] += 1
                    break
            if dest is None:  # all nearby relays full: deliver home instead
                mode = "home"
                ws, we = local(g.day, 8), local(g.day, 18)
        n = g.rng.choice((1, 1, 1, 2, 2, 3))
        rows.append(dict(id=i, ref=f"O{300_000 + i}", customer_id=c["id"], kind="order", mode=mode,
                         ticket_id=None, items=", ".join(g.rng.sample(items, min(n, len(items)))), parcels=n,
                         depot_id=depot["id"], destination_site_id=dest["id"] if dest else None,
                         promised_on=g.day, window_start=ws, window_end=we, status=status, attempts=0,
                         created_at=g.now - timedelta(days=g.rng.randint(1, 4)), ready_at=None,
                         delivered_at=None, collected_at=None, holding_until=None, version=1))
    g.add(DeliveryOrder, rows)


# --- history -------------------------------------------------------------------------


def _history(
    g: _Gen, customers: list[dict[str, Any]], machines: dict[int, dict[str, Any]],
    techs: list[dict[str, Any]], tiers: dict[int, str], sites: dict[str, list[dict[str, Any]]],
) -> None:
    """Weeks of finished work: closed tickets with visits, finished deliveries, returned loans."""
    tickets, visits, orders, loans = [], [], [], []
    techs_by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in techs:
        techs_by_region[t["region"]].append(t)
    days = [g.day - timedelta(days=k) for k in range(1, 7 * g.scale.history_weeks + 1)]
    days = [d for d in reversed(days) if d.weekday() < 5]
    tid, oid = 400_000, 500_000
    for n_day, d in enumerate(days):
        progress = n_day / max(1, len(days) - 1)  # service improves slowly over the weeks
        for _ in range(int(g.scale.history_visits_per_day * g.rng.uniform(0.85, 1.1))):
            tid += 1
            c = g.rng.choice(customers)
            tech = g.rng.choice(techs_by_region.get(c["region"]) or techs)
            severity = _severity(g)
            opened = local(d, 9) - timedelta(hours=g.rng.randint(4, 80))
            due = g.rules.sla_due(opened, severity, tiers[c["id"]])
            start = local(d, g.rng.randint(8, 16), g.rng.choice((0, 15, 30, 45)))
            late = g.rng.random() < (0.16 - 0.06 * progress)
            arrived = start + timedelta(minutes=g.rng.randint(20, 75) if late else g.rng.randint(-10, 10))
            done = arrived + timedelta(minutes=g.rng.randint(25, 80))
            fixed = g.rng.random() < (0.78 + 0.08 * progress)
            fault = g.rng.choice(list(g.rules.faults))
            tickets.append(dict(
                id=tid, ref=f"R{tid}", customer_id=c["id"], machine_id=machines[c["id"]]["id"], fault=fault,
                severity=severity, description="", resolution_path="onsite", required_skill=None,
                duration_min=45, same_day_fix=True, window_start=None, window_end=None, visit_on=d,
                opened_at=opened, sla_due_at=due, status="closed", loaner_needed=False,
                technician_id=tech["id"], closed_at=done + timedelta(hours=2), first_time_fix=fixed,
                version=1))
            visits.append(dict(ticket_id=tid, technician_id=tech["id"], visit_on=d, planned_start=start,
                               arrived_at=arrived, completed_at=done, on_time=not late, fixed=fixed,
                               km=round(g.rng.uniform(6, 55), 1)))
        for _ in range(int(g.scale.history_orders_per_day * g.rng.uniform(0.85, 1.1))):
            oid += 1
            c = g.rng.choice(customers)
            mode = g.rng.choices(("home", "store pick-up", "relay point"), (0.5, 0.25, 0.25))[0]
            depot = g.nearest(c["lat"], c["lon"], sites["depot"])[0]
            dest = None
            status, delivered, collected = "delivered", local(d, g.rng.randint(9, 17)), None
            if mode == "store pick-up":
                dest = g.nearest(c["lat"], c["lon"], sites["store"])[0]
                status = "collected" if g.rng.random() < 0.94 else "returned to stock"
                delivered = None
                collected = local(d + timedelta(days=g.rng.randint(0, 5)), 17) if status == "collected" else None
            elif mode == "relay point":
                dest = g.nearest(c["lat"], c["lon"], sites["relay"])[0]
                status = "collected" if g.rng.random() < 0.93 else "returned"
                collected = local(d + timedelta(days=g.rng.randint(1, 6)), 18) if status == "collected" else None
            elif g.rng.random() < 0.04:
                status, delivered = "failed attempt", None
            orders.append(dict(id=oid, ref=f"O{oid}", customer_id=c["id"], kind="order", mode=mode,
                               ticket_id=None, items="", parcels=1, depot_id=depot["id"],
                               destination_site_id=dest["id"] if dest else None, promised_on=d,
                               window_start=None, window_end=None, status=status, attempts=1,
                               created_at=local(d, 8) - timedelta(days=2), ready_at=None,
                               delivered_at=delivered, collected_at=collected, holding_until=None, version=1))
    # Returned loans: the loaner pool's own history.
    loaner_ids = list(range(1, g.scale.loaners + 1))
    lid = 10_000
    for k in range(g.scale.history_visits_per_day):
        lid += 1
        d = g.rng.choice(days)
        tref = tickets[k % len(tickets)]
        lent = local(d, 10)
        loans.append(dict(id=lid, loaner_id=g.rng.choice(loaner_ids), ticket_id=tref["id"],
                          customer_id=tref["customer_id"], from_site_id=sites["depot"][0]["id"], lent_at=lent,
                          due_on=(lent + timedelta(days=14)).date(),
                          returned_at=lent + timedelta(days=g.rng.randint(5, 18)),
                          returned_to_site_id=sites["depot"][0]["id"], reminders_sent=0))
    g.add(RepairTicket, tickets)
    g.add(Visit, visits)
    g.add(DeliveryOrder, orders)
    g.add(Loan, loans)


def _sync_sequences(session: Session) -> None:
    """Explicit ids do not advance PostgreSQL sequences: move each past its table's max."""
    for table in Base.metadata.sorted_tables:
        if "id" in table.c:
            session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))
