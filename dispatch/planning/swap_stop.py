"""A workshop repair's swap at the customer's: ONE stop with both actions.

``loaner_pool.swap`` creates two legs per visit, for one ticket and day: going out,
*loaner out* (site -> customer) and *repair pick-up* (customer -> workshop); coming
back, *repair return* (workshop -> customer) and *loaner back* (customer -> site).
Routed as two jobs they would land together only by chance, so the courier builder
merges them into one job ``W<out leg id>`` at the customer (``delivery_ids`` lists
both orders), serving both in one visit.

The site ends: a leg whose site is the van's own depot needs no stop (goods are
loaded at the start, collected goods unloaded at the end of the day). A site served
by the depot (a store holding the loaner, a workshop) is a stop paired with the
swap (``Job.pickup_of``): loading there comes before the swap, unloading after. The
engine pairs a job once, so when both ends are such sites, the loading is paired and
the collected machine rides back to the depot (the line haul to the workshop is
outside the day's van plan, as for sites the depot does not serve).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from data.models import Site
from dispatch.planning.builder import JobMeta
from dispatch.planning.courier_jobs import (
    HOME_SERVICE_S,
    HUB_SERVICE_S,
    INBOUND,
    OUTBOUND,
    PER_PARCEL_S,
    _at,
    _from,
    _hours,
    _hub,
    _Order,
    _pair,
    _window,
)
from routing import Job, TimeWindow

#: Extra minutes at a swap: both machines change hands, one signature.
SWAP_EXTRA_S = 3 * 60


def swap_jobs(
    day: date, legs: list[_Order], sites: dict[int, Site], depot: Site
) -> list[tuple[Job, JobMeta]]:
    """One ticket's legs of one day: a swap stop when one goes out and one comes in,
    else each leg as its own pickup-and-delivery pair."""
    outs = [x for x in legs if x.o.kind in OUTBOUND]
    ins = [x for x in legs if x.o.kind in INBOUND]
    if len(outs) != 1 or len(ins) != 1:
        return [j for x in legs for j in _pair(day, x, sites, depot)]
    return _swap(day, outs[0], ins[0], sites, depot)


def _site_job(
    ref: str, day: date, hub: Site, depot: Site, x: _Order, verb: str
) -> tuple[Job, JobMeta]:
    windows: tuple[TimeWindow, ...] = ()
    win = None
    if hub.id != depot.id:
        w, _ = _hours(day, hub, HUB_SERVICE_S)
        windows, win = (w,), (_at(day, w.start_s), _at(day, w.end_s))
    job = Job(
        id=ref,
        location=0,
        service_s=HUB_SERVICE_S,
        windows=windows,
        priority=x.weight,
        skills=_from(depot),
    )
    meta = JobMeta(
        ref=ref,
        delivery_ids=(x.o.id,),
        site_id=hub.id,
        label=f"{x.o.kind}: {verb} {hub.code} · {x.o.ref}",
        customer=hub.name,
        address=hub.address,
        town=hub.town,
        region=hub.region,
        lat=hub.lat,
        lon=hub.lon,
        duration_min=round(HUB_SERVICE_S / 60),
        window=win,
        tier=x.tier,
        score=x.p.score,
        explanation=x.p.explanation,
    )
    return job, meta


def _swap(
    day: date, out: _Order, back: _Order, sites: dict[int, Site], depot: Site
) -> list[tuple[Job, JobMeta]]:
    c = out.c
    out_hub, in_hub = _hub(out.o, sites, depot), _hub(back.o, sites, depot)
    windows, win = _window(day, out.o)
    if not windows:
        windows, win = _window(day, back.o)
    parcels = out.o.parcels + back.o.parcels
    ref = f"W{out.o.id}"
    load: tuple[Job, JobMeta] | None = None
    unload: tuple[Job, JobMeta] | None = None
    if out_hub.id != depot.id:
        j, m = _site_job(f"H{out.o.id}", day, out_hub, depot, out, "load at")
        load = (replace(j, demand=out.o.parcels), m)
    if in_hub.id != depot.id and load is None:
        unload = _site_job(f"H{back.o.id}", day, in_hub, depot, back, "unload at")
    demand = back.o.parcels + (0 if load else out.o.parcels)
    swap = Job(
        id=ref,
        location=0,
        service_s=HOME_SERVICE_S + PER_PARCEL_S * max(0, parcels - 1) + SWAP_EXTRA_S,
        windows=windows,
        demand=demand,
        priority=out.weight + back.weight,
        skills=_from(depot),
        pickup_of=load[0].id if load else None,
    )
    meta = JobMeta(
        ref=ref,
        ticket_id=None,
        delivery_ids=(out.o.id, back.o.id),
        label=(f"swap · {out.o.kind}: {out.o.items} + {back.o.kind}: {back.o.items}")[
            :200
        ],
        customer=c.name,
        address=c.address,
        town=c.town,
        region=c.region,
        lat=c.lat,
        lon=c.lon,
        duration_min=round(swap.service_s / 60),
        window=win,
        tier=out.tier,
        score=max(out.p.score, back.p.score),
        explanation=out.p.explanation,
    )
    jobs: list[tuple[Job, JobMeta]] = []
    if load:
        jobs.append(load)
    jobs.append((swap, meta))
    if unload:
        j, m = unload
        jobs.append((replace(j, pickup_of=ref), m))
    return jobs
