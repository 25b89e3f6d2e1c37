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

from datetime import date

from data.models import Site
from dispatch.planning.builder import JobMeta
from dispatch.planning.courier_jobs import (
    HOME_SERVICE_S,
    INBOUND,
    OUTBOUND,
    PER_PARCEL_S,
    _from,
    _hub,
    _meta_at,
    _Order,
    _pair,
    _site_stop,
    _window,
)
from routing import Job

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
    cls = max(out.p.priority_class, back.p.priority_class)  # the swap rides as one
    load: tuple[Job, JobMeta] | None = None
    unload: tuple[Job, JobMeta] | None = None
    if out_hub.id != depot.id:
        load = _site_stop(
            f"H{out.o.id}",
            day,
            out_hub,
            depot,
            out,
            "load at",
            demand=out.o.parcels,
            priority_class=cls,
        )
    if in_hub.id != depot.id and load is None:
        unload = _site_stop(
            f"H{back.o.id}",
            day,
            in_hub,
            depot,
            back,
            "unload at",
            pickup_of=ref,
            priority_class=cls,
        )
    demand = back.o.parcels + (0 if load else out.o.parcels)
    swap = Job(
        id=ref,
        location=0,
        service_s=HOME_SERVICE_S + PER_PARCEL_S * max(0, parcels - 1) + SWAP_EXTRA_S,
        windows=windows,
        demand=demand,
        priority=out.weight + back.weight,
        priority_class=cls,
        skills=_from(depot),
        pickup_of=load[0].id if load else None,
    )
    meta = _meta_at(
        c,
        ref,
        out,
        label=f"swap · {out.o.kind}: {out.o.items} + {back.o.kind}: {back.o.items}"[
            :200
        ],
        service_s=swap.service_s,
        window=win,
        delivery_ids=(out.o.id, back.o.id),
        score=max(out.p.score, back.p.score),
        priority_class=cls,
    )
    jobs: list[tuple[Job, JobMeta]] = []
    if load:
        jobs.append(load)
    jobs.append((swap, meta))
    if unload:
        jobs.append(unload)
    return jobs
