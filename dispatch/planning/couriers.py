"""Delivery orders of one day -> the couriers' routing problem (same engine as technicians).

Vehicles are the vans of the depot(s): start and end at their depot, shift, break,
capacity in parcels. Jobs, with the ids the plan stores as ``PlanStop.job_ref``:

``D<order id>`` -- a home delivery (or the customer's end of a repair leg)
    at the customer's, inside the promised window; demand = its parcels.
``S<site id>`` -- ONE consolidated stop per relay point and per store receiving
    goods that day; ``JobMeta.delivery_ids`` lists its orders; demand = their
    parcels; window = the site's opening hours (see the consolidation rule).
``H<order id>`` -- the site end of a repair-logistics leg (the depot, or the
    store/workshop it names when that site is served by this depot).

Consolidation rule (which orders need a van, and where):

* Home orders ``new`` and promised on the day or earlier (overdue), from their
  ``depot_id``.
* Relay-point orders ``new``, promised on the day or earlier, with a relay
  assigned (:mod:`dispatch.deliveries.relays`), grouped per relay and carried by the depot
  serving the relay (``Site.depot_id``): the relay receives one drop.
* Store pick-up orders ``to prepare`` and promised on the day: the depot serving
  the store brings the goods the same day, one drop per store, and the store
  prepares the bags. Stock already on the shelves is not modelled (the schema
  has no stock), so every store order is treated as needing the van. The drop
  must leave time to prepare the first bag: the window closes at
  ``min(closing time, earliest collection - STORE_PREP_MIN)``, but never sooner
  than ``STORE_PREP_MIN`` after opening.
* A site whose parcels exceed the largest van of its depot is split into the
  fewest stops that fit (``S<site id>``, ``S<site id>#2``...); otherwise one stop.
* Repair logistics (kinds "loaner out", "repair return": site -> customer;
  "repair pick-up", "loaner back": customer -> site) are pickup-and-delivery
  pairs (``Job.pickup_of``) on the same van, pickup first. They are served by the
  depot nearest the customer (same region first); the site end is the site the
  order names when this depot serves it, else the depot itself (the line haul
  between depots and the workshop is outside the day's van plan).

Load: every parcel the van handles that day counts once, delivered or collected
(pair deliveries have demand 0). The engine's load starts empty, while a van
leaves its depot full; counting everything handled is a safe upper bound of
what is on board at any moment, so no plan overloads a van.

Priority: each order's ``priority.score(kind="delivery")`` (loyalty tier,
promised day, waiting days) -> ``solver_weight``; a consolidated stop is worth
the sum of its orders, so scarce capacity drops low-priority home orders first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from data.enums import DeliveryMode, SiteKind
from data.gazetteer import nearest_depot
from data.models import Courier, Customer, DeliveryOrder, LoyaltyAccount, Site
from dispatch.planning.builder import (
    PARIS,
    DayProblem,
    JobMeta,
    Variant,
    VehicleMeta,
    assemble,
    solver_weight,
    to_seconds,
    weights_for,
)
from dispatch.planning.courier_jobs import (
    HOME_SERVICE_S,
    INBOUND,
    OUTBOUND,
    RELAY_SERVICE_S,
    STORE_PREP_MIN,
    STORE_SERVICE_S,
    _at,
    _from,
    _hours,
    _meta_at,
    _Order,
    _pair,
    _service,
    _window,
)
from dispatch.planning.swap_stop import swap_jobs
from dispatch.planning.transfer_legs import transfer_pairs
from dispatch.priority import score as prio
from dispatch.priority.score import planning_now
from routing import Break, Job, TimeWindow, Vehicle

__all__ = ["LeftOut", "courier_day", "unplannable_orders"]


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An order that will not ride a van that day, and why."""

    order_id: int
    ref: str
    job_ref: str
    reason: str
    detail: str


def _nearest_depot(c: Customer, depots: Iterable[Site]) -> Site:
    return nearest_depot(
        c.lat, c.lon, c.region, depots, lambda d: (d.lat, d.lon, d.region, d.id)
    )


def _vehicles(
    session: Session, day: date, depots: dict[int, Site], variant: Variant
) -> list[tuple[Vehicle, VehicleMeta, tuple[float, float]]]:
    q = (
        select(Courier)
        .where(Courier.active.is_(True), Courier.depot_id.in_(list(depots)))
        .order_by(Courier.id)
    )
    vans = [
        c
        for c in session.scalars(q)
        if day.weekday() not in (c.days_off or []) and c.id not in variant.absent
    ]
    out = []
    for c in vans:
        out.append(_van(c, f"van:{c.id}", c.name, depots[c.depot_id]))
    for k in range(
        variant.extra_technicians
    ):  # what-if: extra vans, clones of existing ones
        if not vans:
            break
        model = vans[k % len(vans)]
        out.append(
            _van(
                model,
                f"van:new{k + 1}",
                f"Extra van {k + 1}",
                depots[model.depot_id],
                extra=True,
            )
        )
    return out


def _van(
    c: Courier, ref: str, name: str, depot: Site, extra: bool = False
) -> tuple[Vehicle, VehicleMeta, tuple[float, float]]:
    shift = TimeWindow(
        start_s=to_seconds(date.min, c.shift_start),
        end_s=to_seconds(date.min, c.shift_end),
    )
    brk = Break(
        window=TimeWindow(
            start_s=to_seconds(date.min, c.break_earliest),
            end_s=to_seconds(date.min, c.break_latest),
        ),
        duration_s=c.break_minutes * 60,
    )
    v = Vehicle(
        id=ref,
        start=0,
        end=0,
        shift=shift,
        breaks=(brk,) if c.break_minutes else (),
        skills=_from(depot),
        capacity=c.capacity_parcels,
        cost_per_km=c.cost_per_km,
        cost_per_hour=c.cost_per_hour,
    )
    home = (depot.lat, depot.lon)
    meta = VehicleMeta(
        ref=ref,
        courier_id=None if extra else c.id,
        name=name,
        region=depot.code,
        home=home,
    )
    return v, meta, home


def _plannable(day: date) -> ColumnElement[bool]:
    return or_(
        and_(DeliveryOrder.status == "new", DeliveryOrder.promised_on <= day),
        and_(
            DeliveryOrder.status == "to prepare",
            DeliveryOrder.promised_on == day,
            DeliveryOrder.mode == DeliveryMode.STORE_PICKUP.value,
        ),
    )


def _orders(session: Session, day: date, variant: Variant) -> list[_Order]:
    weights = weights_for(variant)
    now = planning_now(day)
    q = (
        select(DeliveryOrder, Customer, LoyaltyAccount.tier)
        .join(Customer, Customer.id == DeliveryOrder.customer_id)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
        .where(_plannable(day))
        .order_by(DeliveryOrder.id)
    )
    out = []
    for o, c, tier in session.execute(q).tuples():
        tier = tier or "Member"
        inp = prio.PriorityInput(
            kind="delivery",
            tier=tier,
            promised_on=o.promised_on,
            waiting_since=min(o.created_at, now),
            now=now,
        )
        p = prio.score(inp, weights)
        out.append(_Order(o, c, tier, p, solver_weight(p, inp.slack)))
    return out


def _depot_of(x: _Order, sites: dict[int, Site], depots: dict[int, Site]) -> int | None:
    """The depot whose vans carry this order (None: not plannable, e.g. relay not assigned)."""
    o = x.o
    if o.kind in OUTBOUND or o.kind in INBOUND:
        return _nearest_depot(x.c, depots.values()).id
    if o.mode == DeliveryMode.HOME.value:
        return (
            o.depot_id
            if o.depot_id in depots
            else _nearest_depot(x.c, depots.values()).id
        )
    site = sites.get(o.destination_site_id) if o.destination_site_id else None
    if site is None:
        return None
    return site.depot_id or o.depot_id


def courier_day(
    session: Session,
    day: date,
    *,
    region: str | None = None,
    depot_id: int | None = None,
    variant: Variant | None = None,
    consolidate: bool = True,
) -> DayProblem:
    """The couriers' problem for ``day``: one depot (``depot_id``), one region, or the country.

    ``consolidate=False`` gives the benchmark's baseline: every store and relay
    order is its own stop (``D<order id>`` at the site) instead of one per site.
    Raises ``LookupError`` if ``depot_id`` is not a depot.
    """
    variant = variant or Variant()
    sites = {s.id: s for s in session.scalars(select(Site))}
    all_depots = {i: s for i, s in sites.items() if s.kind == SiteKind.DEPOT.value}
    if depot_id is not None:
        if depot_id not in all_depots:
            raise LookupError(f"site {depot_id} is not a depot")
        chosen = {depot_id: all_depots[depot_id]}
    elif region:
        chosen = {i: d for i, d in all_depots.items() if d.region == region}
    else:
        chosen = dict(all_depots)
    vehicles = _vehicles(session, day, chosen, variant)
    biggest: dict[int, int] = defaultdict(int)
    for v, m, _ in vehicles:
        d = next(i for i, s in chosen.items() if s.code == m.region)
        biggest[d] = max(biggest[d], v.capacity)

    jobs: list[tuple[Job, JobMeta]] = []
    groups: dict[int, list[_Order]] = defaultdict(list)
    legs: dict[tuple[int, date, int], list[_Order]] = defaultdict(list)
    for x in _orders(session, day, variant):
        dep = _depot_of(x, sites, all_depots)
        if dep is None or dep not in chosen:
            continue
        o = x.o
        if (o.kind in OUTBOUND or o.kind in INBOUND) and o.ticket_id is not None:
            legs[(o.ticket_id, o.promised_on, dep)].append(x)
        elif o.kind in OUTBOUND or o.kind in INBOUND:
            jobs.extend(_pair(day, x, sites, chosen[dep]))
        elif o.mode == DeliveryMode.HOME.value:
            jobs.append(_home(day, x, chosen[dep]))
        else:
            # a site order: _depot_of found no depot (skipped above) without one
            assert o.destination_site_id is not None
            groups[o.destination_site_id].append(x)
    for (_, _, dep), members in legs.items():
        jobs.extend(swap_jobs(day, members, sites, chosen[dep]))
    for site_id, members in sorted(groups.items()):
        site = sites[site_id]
        dep = _depot_of(members[0], sites, all_depots) or next(iter(chosen))
        if consolidate:
            jobs.extend(
                _consolidated(day, site, members, biggest.get(dep, 0), chosen[dep])
            )
        else:
            for x in members:
                ((job, meta),) = _consolidated(
                    day, site, [x], biggest.get(dep, 0), chosen[dep]
                )
                jobs.append(
                    (replace(job, id=f"D{x.o.id}"), replace(meta, ref=f"D{x.o.id}"))
                )
    jobs.extend(  # accepted loaner transfers: pickup at the donor, drop at the short site
        transfer_pairs(session, day, chosen, all_depots, sites)
    )
    name = region or (chosen[depot_id].code if depot_id is not None else None)
    return assemble(day, "couriers", name, vehicles, jobs)


def _home(day: date, x: _Order, depot: Site) -> tuple[Job, JobMeta]:
    o, c = x.o, x.c
    windows, win = _window(day, o)
    service = _service(HOME_SERVICE_S, o.parcels)
    job = Job(
        id=f"D{o.id}",
        location=0,
        service_s=service,
        windows=windows,
        demand=o.parcels,
        priority=x.weight,
        priority_class=x.p.priority_class,
        skills=_from(depot),
    )
    meta = _meta_at(
        c,
        job.id,
        x,
        label=f"{o.ref} · {o.parcels} parcel(s) · {o.items}"[:200],
        service_s=service,
        window=win,
        priority_class=x.p.priority_class,
    )
    return job, meta


def _consolidated(
    day: date, site: Site, members: list[_Order], cap: int, depot: Site
) -> list[tuple[Job, JobMeta]]:
    """One stop per site, or the fewest stops that each fit the depot's largest van."""
    chunks: list[list[_Order]] = [[]]
    for x in sorted(members, key=lambda m: (-m.weight, m.o.id)):
        if (
            cap
            and chunks[-1]
            and sum(m.o.parcels for m in chunks[-1]) + x.o.parcels > cap
        ):
            chunks.append([])
        chunks[-1].append(x)
    store = site.kind == SiteKind.STORE.value
    out = []
    for k, chunk in enumerate(chunks, 1):
        parcels = sum(m.o.parcels for m in chunk)
        service = _service(STORE_SERVICE_S if store else RELAY_SERVICE_S, parcels)
        window, closed = _hours(day, site, service)
        if store and not closed:
            collections = [
                to_seconds(day, m.o.window_start)
                for m in chunk
                if m.o.window_start is not None
                and m.o.window_start.astimezone(PARIS).date() == day
            ]
            if collections:
                latest = min(collections) - STORE_PREP_MIN * 60
                hi = min(
                    window.end_s, max(window.start_s + STORE_PREP_MIN * 60, latest)
                )
                window = TimeWindow(
                    start_s=window.start_s, end_s=max(window.start_s, hi)
                )
        best = max(chunk, key=lambda m: (m.p.score, -m.o.id))
        ref = f"S{site.id}" if k == 1 else f"S{site.id}#{k}"
        job = Job(
            id=ref,
            location=0,
            service_s=service,
            windows=(window,),
            demand=parcels,
            priority=sum(m.weight for m in chunk),
            priority_class=max(m.p.priority_class for m in chunk),
            skills=_from(depot),
        )
        kind = "Store bags" if store else "Relay drop"
        explanation = f"{len(chunk)} orders, {parcels} parcels · most urgent: {best.p.explanation}"
        meta = _meta_at(
            site,
            ref,
            best,
            label=f"{kind} · {site.code} · {len(chunk)} orders, {parcels} parcels",
            service_s=service,
            window=(_at(day, window.start_s), _at(day, window.end_s)),
            delivery_ids=tuple(sorted(m.o.id for m in chunk)),
            site_id=site.id,
            priority_class=max(m.p.priority_class for m in chunk),
            explanation=closed or explanation,
        )
        out.append((job, meta))
    return out


# --- what is left out ------------------------------------------------------------------


def unplannable_orders(
    session: Session, day: date, depot_id: int | None = None
) -> list[LeftOut]:
    """Orders due that cannot enter the problem at all: relay-point orders with no relay yet."""
    q = (
        select(DeliveryOrder)
        .where(
            DeliveryOrder.mode == DeliveryMode.RELAY.value,
            DeliveryOrder.destination_site_id.is_(None),
            DeliveryOrder.status == "new",
            DeliveryOrder.promised_on <= day,
        )
        .order_by(DeliveryOrder.id)
    )
    if depot_id is not None:
        q = q.where(DeliveryOrder.depot_id == depot_id)
    return [
        LeftOut(
            o.id,
            o.ref,
            "",
            "no relay assigned",
            "every nearby relay is full: assign one (tournee orders relays) or deliver home",
        )
        for o in session.scalars(q)
    ]
