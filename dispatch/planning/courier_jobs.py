"""The parts of the couriers' problem that more than one builder uses: service times,
the repair-leg kinds, an order with its priority, site hours and windows as seconds,
a stop as the dispatcher sees it, a repair leg's site end, and a repair leg as a
pickup-and-delivery pair. ``couriers`` (the day), ``swap_stop`` (one stop per swap)
and ``transfer_legs`` (loaner transfers) all build on this module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from data.enums import DeliveryKind
from data.models import Customer, DeliveryOrder, Site
from dispatch.planning.builder import PARIS, JobMeta, seconds_to_local, to_seconds
from dispatch.priority import score as prio
from routing import Job, TimeWindow

HOME_SERVICE_S = 5 * 60


RELAY_SERVICE_S = 10 * 60


STORE_SERVICE_S = 15 * 60


HUB_SERVICE_S = 5 * 60


PER_PARCEL_S = 60
"""Handling time per parcel after the first (scan, sign, shelve)."""


STORE_PREP_MIN = 30
"""Minutes a store needs between receiving goods and the first collection."""


OUTBOUND = (
    DeliveryKind.LOANER_OUT.value,
    DeliveryKind.REPAIR_RETURN.value,
)  # site -> customer


INBOUND = (
    DeliveryKind.REPAIR_PICKUP.value,
    DeliveryKind.LOANER_BACK.value,
)  # customer -> site


@dataclass(frozen=True, slots=True)
class _Order:
    o: DeliveryOrder
    c: Customer
    tier: str
    p: prio.Priority
    weight: int


def _hours(day: date, site: Site, service_s: int) -> tuple[TimeWindow, str]:
    """Start window at a site on ``day``: open hours, last start leaving time to serve."""
    if day.weekday() not in (site.open_days or []):
        return TimeWindow(start_s=0, end_s=0), f"{site.name} is closed on {day:%A}"
    lo = to_seconds(day, site.opens_at or time(9))
    hi = max(lo, to_seconds(day, site.closes_at or time(19)) - service_s)
    return TimeWindow(start_s=lo, end_s=hi), ""


def _window(
    day: date, o: DeliveryOrder
) -> tuple[tuple[TimeWindow, ...], tuple[datetime, datetime] | None]:
    if (
        o.window_start is None
        or o.window_end is None
        or o.window_start.astimezone(PARIS).date() != day
    ):
        return (), None
    lo, hi = (
        max(0, to_seconds(day, o.window_start)),
        max(0, to_seconds(day, o.window_end)),
    )
    if hi < lo:
        return (), None
    return (TimeWindow(start_s=lo, end_s=hi),), (o.window_start, o.window_end)


def _from(depot: Site) -> frozenset[str]:
    """The goods are at this depot: only its vans can carry them (a "skill" to the engine)."""
    return frozenset({f"depot {depot.code}"})


def _service(base_s: int, parcels: int) -> int:
    return base_s + PER_PARCEL_S * max(0, parcels - 1)


def _at(day: date, seconds: int) -> datetime:
    return seconds_to_local(day, seconds)


def _hub(o: DeliveryOrder, sites: dict[int, Site], depot: Site) -> Site:
    """The site end of a repair leg: the named site if this depot serves it, else the depot."""
    named_id = o.depot_id if o.kind in OUTBOUND else o.destination_site_id
    named = sites.get(named_id) if named_id else None
    if named is not None and (named.id == depot.id or named.depot_id == depot.id):
        return named
    return depot


def _site_window(
    day: date, site: Site, depot: Site, service_s: int
) -> tuple[tuple[TimeWindow, ...], tuple[datetime, datetime] | None]:
    """A stop at ``site`` keeps to its open hours; the van's own depot needs none (goods
    are loaded at the start of the day, unloaded at its end)."""
    if site.id == depot.id:
        return (), None
    w, _ = _hours(day, site, service_s)
    return (w,), (_at(day, w.start_s), _at(day, w.end_s))


def _meta_at(
    place: Customer | Site,
    ref: str,
    x: _Order,
    *,
    label: str,
    service_s: int,
    window: tuple[datetime, datetime] | None,
    delivery_ids: tuple[int, ...] = (),
    site_id: int | None = None,
    score: int | None = None,
    priority_class: int = 0,
    explanation: str | None = None,
) -> JobMeta:
    """What the dispatcher sees of a courier stop at ``place``: its address, and the tier,
    score and explanation of order ``x`` unless given (``delivery_ids``: ``x``'s order)."""
    return JobMeta(
        ref=ref,
        delivery_ids=delivery_ids or (x.o.id,),
        site_id=site_id,
        label=label,
        customer=place.name,
        address=place.address,
        town=place.town,
        region=place.region,
        lat=place.lat,
        lon=place.lon,
        duration_min=round(service_s / 60),
        window=window,
        tier=x.tier,
        score=x.p.score if score is None else score,
        priority_class=priority_class,
        explanation=x.p.explanation if explanation is None else explanation,
    )


def _site_stop(
    ref: str,
    day: date,
    hub: Site,
    depot: Site,
    x: _Order,
    verb: str,
    *,
    demand: int = 0,
    pickup_of: str | None = None,
    priority_class: int = 0,
) -> tuple[Job, JobMeta]:
    """The site end of a repair leg (``verb``: "load at", "unload at")."""
    windows, win = _site_window(day, hub, depot, HUB_SERVICE_S)
    job = Job(
        id=ref,
        location=0,
        service_s=HUB_SERVICE_S,
        windows=windows,
        demand=demand,
        priority=x.weight,
        priority_class=priority_class,
        skills=_from(depot),
        pickup_of=pickup_of,
    )
    meta = _meta_at(
        hub,
        ref,
        x,
        label=f"{x.o.kind}: {verb} {hub.code} · {x.o.ref}",
        service_s=HUB_SERVICE_S,
        window=win,
        site_id=hub.id,
        priority_class=priority_class,
    )
    return job, meta


def _pair(
    day: date, x: _Order, sites: dict[int, Site], depot: Site
) -> list[tuple[Job, JobMeta]]:
    """A repair-logistics leg as a pickup-and-delivery pair: same van, pickup first."""
    o, c = x.o, x.c
    windows, win = _window(day, o)
    outbound = o.kind in OUTBOUND
    cust_ref, hub_ref = f"D{o.id}", f"H{o.id}"
    cust_job = Job(
        id=cust_ref,
        location=0,
        service_s=_service(HOME_SERVICE_S, o.parcels),
        windows=windows,
        demand=0 if outbound else o.parcels,
        priority=x.weight,
        priority_class=x.p.priority_class,
        skills=_from(depot),
        pickup_of=hub_ref if outbound else None,
    )
    hub = _site_stop(
        hub_ref,
        day,
        _hub(o, sites, depot),
        depot,
        x,
        "load at" if outbound else "unload at",
        demand=o.parcels if outbound else 0,
        pickup_of=None if outbound else cust_ref,
        priority_class=x.p.priority_class,
    )
    verb = "deliver" if outbound else "collect"
    cust = (
        cust_job,
        _meta_at(
            c,
            cust_ref,
            x,
            label=f"{o.kind}: {verb} · {o.ref} · {o.items}"[:200],
            service_s=cust_job.service_s,
            window=win,
            priority_class=x.p.priority_class,
        ),
    )
    return [hub, cust] if outbound else [cust, hub]
