"""Accepted loaner transfers as courier jobs: a pickup-and-delivery pair per transfer.

``X<id>`` loads the loaners at the donor site, ``Y<id>`` drops them at the site short
of stock; same van, pickup first (``Job.pickup_of``), like the repair legs. The van
comes from the depot serving the receiving site. A transfer is worth more than any
single order (a customer would leave without a loaner otherwise).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from data.enums import SiteKind
from data.gazetteer import distance_km
from data.models import Site
from dispatch.planning.builder import JobMeta
from dispatch.planning.courier_jobs import _from, _site_window
from dispatch.stock.legs import DROP, PICKUP
from dispatch.stock.proposals import accepted_for
from routing import Job

LEG_SERVICE_S = 10 * 60
TRANSFER_PRIORITY = 50_000


def carrier_of(site: Site, depots: dict[int, Site]) -> Site | None:
    """The depot whose vans serve ``site`` (itself for a depot)."""
    if site.id in depots:
        return depots[site.id]
    if site.depot_id in depots:
        return depots[site.depot_id]
    if site.kind == SiteKind.DEPOT.value or not depots:
        return None
    return min(
        depots.values(),
        key=lambda d: (distance_km(site.lat, site.lon, d.lat, d.lon), d.id),
    )


def transfer_pairs(
    session: Session,
    day: date,
    chosen: dict[int, Site],
    all_depots: dict[int, Site],
    sites: dict[int, Site],
) -> list[tuple[Job, JobMeta]]:
    """Jobs for the accepted transfers of ``day`` carried by the ``chosen`` depots."""
    out: list[tuple[Job, JobMeta]] = []
    for p in accepted_for(session, day):
        src, dst = sites[p.from_site_id], sites[p.to_site_id]
        depot = carrier_of(dst, all_depots)
        if depot is None or depot.id not in chosen:
            continue
        legs = []
        for site, ref, demand, partner, verb in (
            (src, f"{PICKUP}{p.id}", p.count, None, "load"),
            (dst, f"{DROP}{p.id}", 0, f"{PICKUP}{p.id}", "drop"),
        ):
            windows, win = _site_window(day, site, depot, LEG_SERVICE_S)
            job = Job(
                id=ref,
                location=0,
                service_s=LEG_SERVICE_S,
                windows=windows,
                demand=demand,
                priority=TRANSFER_PRIORITY,
                skills=_from(depot),
                pickup_of=partner,
            )
            meta = JobMeta(
                ref=ref,
                site_id=site.id,
                label=(
                    f"Loaner transfer: {verb} {p.count} {p.family} · "
                    f"{p.from_code} -> {p.to_code}"
                ),
                customer=site.name,
                address=site.address,
                town=site.town,
                region=site.region,
                lat=site.lat,
                lon=site.lon,
                duration_min=LEG_SERVICE_S // 60,
                window=win,
                explanation=f"stock forecast: {p.to_code} short on {p.for_day:%d/%m}",
            )
            legs.append((job, meta))
        out.extend(legs)
    return out
