"""The parts of the couriers' problem that more than one builder uses: service times,
the repair-leg kinds, an order with its priority, site hours and windows as seconds,
and a repair leg as a pickup-and-delivery pair. ``couriers`` (the day) and
``swap_stop`` (one stop per swap) both build on this module."""

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


def _pair(
    day: date, x: _Order, sites: dict[int, Site], depot: Site
) -> list[tuple[Job, JobMeta]]:
    """A repair-logistics leg as a pickup-and-delivery pair: same van, pickup first."""
    o, c = x.o, x.c
    hub = _hub(o, sites, depot)
    hub_windows: tuple[TimeWindow, ...] = ()
    hub_win = None
    if hub.id != depot.id:
        w, _ = _hours(day, hub, HUB_SERVICE_S)
        hub_windows, hub_win = (w,), (_at(day, w.start_s), _at(day, w.end_s))
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
    hub_job = Job(
        id=hub_ref,
        location=0,
        service_s=HUB_SERVICE_S,
        windows=hub_windows,
        demand=o.parcels if outbound else 0,
        priority=x.weight,
        priority_class=x.p.priority_class,
        skills=_from(depot),
        pickup_of=None if outbound else cust_ref,
    )
    verb = "deliver" if outbound else "collect"
    cust_meta = JobMeta(
        ref=cust_ref,
        delivery_ids=(o.id,),
        label=f"{o.kind}: {verb} · {o.ref} · {o.items}"[:200],
        customer=c.name,
        address=c.address,
        town=c.town,
        region=c.region,
        lat=c.lat,
        lon=c.lon,
        duration_min=round(cust_job.service_s / 60),
        window=win,
        tier=x.tier,
        score=x.p.score,
        priority_class=x.p.priority_class,
        explanation=x.p.explanation,
    )
    hub_meta = JobMeta(
        ref=hub_ref,
        delivery_ids=(o.id,),
        site_id=hub.id,
        label=f"{o.kind}: {'load at' if outbound else 'unload at'} {hub.code} · {o.ref}",
        customer=hub.name,
        address=hub.address,
        town=hub.town,
        region=hub.region,
        lat=hub.lat,
        lon=hub.lon,
        duration_min=round(HUB_SERVICE_S / 60),
        window=hub_win,
        tier=x.tier,
        score=x.p.score,
        priority_class=x.p.priority_class,
        explanation=x.p.explanation,
    )
    return (
        [(hub_job, hub_meta), (cust_job, cust_meta)]
        if outbound
        else [(cust_job, cust_meta), (hub_job, hub_meta)]
    )
