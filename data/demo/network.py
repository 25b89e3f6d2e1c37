"""The service network: depots, stores, relays, workshops, technicians staffed by regional workload, vans."""

from __future__ import annotations

import math
from datetime import time
from typing import Any

from data.base import PARIS as PARIS
from data.demo.base import Gen
from data.demo.base import depot_place as _depot_place
from data.demo.names import LAST, STREETS
from data.gazetteer import gazetteer, nearest_depot
from data.models import (
    Courier,
    Site,
    Technician,
)

# --- network -----------------------------------------------------------------


def _sites(g: Gen) -> dict[str, list[dict[str, Any]]]:
    sc = g.scale
    depot_regions = sorted(g.regions, key=lambda r: -g.region_pop[r])[: sc.depots]
    rows: list[dict[str, Any]] = []
    depots: list[dict[str, Any]] = []
    sid = 0
    for region in depot_regions:
        sid += 1
        p = g.by_region[region][0]  # the region's largest town
        lat, lon = g.jitter(p, 4)
        depots.append(
            dict(
                id=sid,
                code=f"DEP-{p.dep_code}",
                kind="depot",
                name=f"Dépôt {p.name}",
                address="Zone d'activités",
                postcode=p.postcode,
                town=p.name,
                region=region,
                lat=lat,
                lon=lon,
                opens_at=time(6, 0),
                closes_at=time(20, 0),
                open_days=[0, 1, 2, 3, 4, 5],
                relay_daily_capacity=None,
                holding_days=0,
                depot_id=None,
            )
        )

    def depot_for(lat: float, lon: float, region: str) -> int:
        return int(nearest_depot(lat, lon, region, depots, _depot_place)["id"])

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
        stores.append(
            dict(
                id=sid,
                code=f"STO-{len(stores) + 1:03d}",
                kind="store",
                name=f"Boutique {p.name}",
                address=f"{g.rng.randint(1, 80)} {g.rng.choice(STREETS)}",
                postcode=p.postcode,
                town=p.name,
                region=p.region_name,
                lat=lat,
                lon=lon,
                opens_at=time(10, 0),
                closes_at=time(19, 0),
                open_days=[0, 1, 2, 3, 4, 5],
                relay_daily_capacity=None,
                holding_days=14,
                depot_id=depot_for(lat, lon, p.region_name),
            )
        )
    relays: list[dict[str, Any]] = []
    shops = (
        "Tabac",
        "Presse",
        "Épicerie",
        "Pressing",
        "Fleuriste",
        "Librairie",
        "Supérette",
    )
    for i in range(sc.relays):
        p = g.town()
        sid += 1
        lat, lon = g.jitter(p, 1.2)
        relays.append(
            dict(
                id=sid,
                code=f"REL-{i + 1:04d}",
                kind="relay",
                name=f"{g.rng.choice(shops)} {g.rng.choice(LAST)} ({p.name})",
                address=f"{g.rng.randint(1, 120)} {g.rng.choice(STREETS)}",
                postcode=p.postcode,
                town=p.name,
                region=p.region_name,
                lat=lat,
                lon=lon,
                opens_at=time(9, 0),
                closes_at=time(19, 30),
                open_days=[0, 1, 2, 3, 4, 5],
                relay_daily_capacity=g.rng.choice((8, 10, 12, 15, 20, 25, 30)),
                holding_days=10,
                depot_id=depot_for(lat, lon, p.region_name),
            )
        )
    sid += 1
    p = g.by_region[depot_regions[0]][0]
    workshop = dict(
        id=sid,
        code="WKS-001",
        kind="workshop",
        name=f"Atelier central {p.name}",
        address="Zone industrielle",
        postcode=p.postcode,
        town=p.name,
        region=p.region_name,
        lat=depots[0]["lat"],
        lon=depots[0]["lon"],
        opens_at=time(8, 0),
        closes_at=time(18, 0),
        open_days=[0, 1, 2, 3, 4],
        relay_daily_capacity=None,
        holding_days=0,
        depot_id=depots[0]["id"],
    )
    rows = depots + stores + relays + [workshop]
    g.add(Site, rows)
    return {"depot": depots, "store": stores, "relay": relays, "workshop": [workshop]}


def _territory_centres(g: Gen, region: str, n: int) -> list[tuple[float, float]]:
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
        polys = (
            geom["coordinates"]
            if geom["type"] == "MultiPolygon"
            else [geom["coordinates"]]
        )
        total = 0.0
        for poly in polys:
            ring = poly[0]  # outer ring; holes are negligible here
            lat0 = math.radians(sum(p[1] for p in ring) / len(ring))
            xy = [(p[0] * 111.32 * math.cos(lat0), p[1] * 110.57) for p in ring]
            total += (
                abs(
                    sum(
                        x0 * y1 - x1 * y0
                        for (x0, y0), (x1, y1) in zip(xy, xy[1:] + xy[:1], strict=True)
                    )
                )
                / 2
            )
        areas[f["properties"]["name"]] = total
    return areas


def _workload(g: Gen, region: str, areas: dict[str, float]) -> float:
    """A region's technician-minutes per day: visits x (time on site + driving to them).

    Visits follow the population; the drive to each grows as the population thins
    out, about 411 / sqrt(people per km²) minutes (measured on planned demo days:
    13 min in Île-de-France, 55 min in Bourgogne-Franche-Comté), so a rural region
    needs more technicians per visit than Paris does.
    """
    pop = float(g.region_pop[region])
    density = pop / max(1.0, areas.get(region, 10_000.0))
    return pop * (
        34.0 + 15.0 + 411.0 / math.sqrt(density)
    )  # on site + parking and access + driving


def _technicians(
    g: Gen, sites: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    sc = g.scale
    areas = _region_area_km2()
    per_region = g.spread(
        sc.technicians, {r: _workload(g, r, areas) for r in g.regions}
    )
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
                own.discard(
                    [s for s in skills if s not in ("descaling", "espresso_unit")][
                        k % 3
                    ]
                )
            first, last = g.name()
            early = g.rng.random() < 0.3
            rows.append(
                dict(
                    id=tid,
                    code=f"TEC-{tid:03d}",
                    name=f"{first} {last}",
                    region=region,
                    home_site_id=None,
                    home_town=p.name,
                    home_lat=lat,
                    home_lon=lon,
                    skills=sorted(own),
                    shift_start=time(7, 30) if early else time(8, 0),
                    shift_end=time(17, 30) if early else time(18, 0),
                    break_earliest=time(11, 45),
                    break_latest=time(13, 45),
                    break_minutes=45,
                    days_off=[5, 6],
                    max_visits=None,
                    cost_per_km=0.35,
                    cost_per_hour=32.0,
                    active=True,
                )
            )
    g.add(Technician, rows)
    return rows


def _couriers(g: Gen, sites: dict[str, list[dict[str, Any]]]) -> None:
    depots = sites["depot"]
    per = g.spread(
        g.scale.couriers,
        {str(d["id"]): float(g.region_pop[d["region"]]) for d in depots},
        1,
    )
    rows = []
    cid = 0
    for d in depots:
        for _ in range(per[str(d["id"])]):
            cid += 1
            first, last = g.name()
            rows.append(
                dict(
                    id=cid,
                    code=f"VAN-{cid:03d}",
                    name=f"{first} {last}",
                    depot_id=d["id"],
                    capacity_parcels=g.rng.choice((60, 80, 100)),
                    shift_start=time(7, 30),
                    shift_end=time(18, 30),
                    break_earliest=time(11, 30),
                    break_latest=time(14, 0),
                    break_minutes=30,
                    days_off=[6],
                    cost_per_km=0.45,
                    cost_per_hour=28.0,
                    active=True,
                )
            )
    g.add(Courier, rows)
