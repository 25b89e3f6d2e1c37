"""The couriers' day problem: consolidated site stops, repair pairs, depots, priorities (both backends)."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Courier, DeliveryOrder, Site
from dispatch.planning.builder import to_seconds
from dispatch.planning.couriers import courier_day, unplannable_orders
from routing import SolveParams, solve
from routing.validate import validate
from tests.builders import DEMO_DATE as DAY
from tests.builders import add_swap


def _site_orders(session: Session) -> dict[int, set[int]]:
    q = select(DeliveryOrder).where(
        DeliveryOrder.promised_on == DAY,
        DeliveryOrder.mode != "home",
        DeliveryOrder.status.in_(("new", "to prepare")),
    )
    out: dict[int, set[int]] = defaultdict(set)
    for o in session.scalars(q):
        assert o.destination_site_id is not None
        out[o.destination_site_id].add(o.id)
    return out


def test_one_consolidated_stop_per_site(demo_session: Session) -> None:
    """Every store and relay receiving goods has exactly one stop listing all its orders."""
    dp = courier_day(demo_session, DAY)
    stops = [m for m in dp.jobs.values() if m.ref.startswith("S")]
    per_site = Counter(m.site_id for m in stops)
    assert per_site and set(per_site.values()) == {1}
    expected = _site_orders(demo_session)
    assert {m.site_id: set(m.delivery_ids) for m in stops} == expected
    jobs = {j.id: j for j in dp.problem.jobs}
    for m in stops:
        site = demo_session.get_one(Site, m.site_id)
        parcels = sum(
            demo_session.get_one(DeliveryOrder, d).parcels for d in m.delivery_ids
        )
        j = jobs[m.ref]
        assert j.demand == parcels
        (w,) = j.windows
        assert (
            to_seconds(DAY, site.opens_at)
            <= w.start_s
            <= w.end_s
            <= to_seconds(DAY, site.closes_at)
        )


def test_home_orders_carry_window_parcels_and_depot(demo_session: Session) -> None:
    """A home delivery: its promised window, its parcels as demand, only its depot's vans."""
    dp = courier_day(demo_session, DAY)
    jobs = {j.id: j for j in dp.problem.jobs}
    home = demo_session.scalars(
        select(DeliveryOrder).where(
            DeliveryOrder.mode == "home",
            DeliveryOrder.promised_on == DAY,
            DeliveryOrder.status == "new",
        )
    ).all()
    assert len(home) == sum(1 for k in jobs if k.startswith("D"))
    vans = {v.id: v for v in dp.problem.vehicles}
    for o in home:
        j = jobs[f"D{o.id}"]
        assert j.demand == o.parcels and dp.jobs[j.id].delivery_ids == (o.id,)
        assert o.window_start is not None and o.window_end is not None
        assert j.windows[0].start_s == to_seconds(DAY, o.window_start)
        assert j.windows[0].end_s == to_seconds(DAY, o.window_end)
        assert any(j.skills <= v.skills for v in vans.values())


def test_repair_legs_are_pickup_and_delivery_pairs(demo_session: Session) -> None:
    """Loaner out: pickup at the store holding it, delivery at the customer; repair pick-up:
    pickup at the customer, delivery at the workshop/depot; legs weigh the same."""
    out_leg, pick_leg = add_swap(demo_session)
    dp = courier_day(demo_session, DAY)
    jobs = {j.id: j for j in dp.problem.jobs}
    a, b = jobs[f"H{out_leg.id}"], jobs[f"D{out_leg.id}"]
    assert (
        b.pickup_of == a.id and a.pickup_of is None and a.demand == 1 and b.demand == 0
    )
    assert (
        dp.jobs[a.id].site_id == out_leg.depot_id
    )  # the store is served by the small demo's depot
    c, d = jobs[f"D{pick_leg.id}"], jobs[f"H{pick_leg.id}"]
    assert d.pickup_of == c.id and c.demand == 1 and d.demand == 0
    assert a.priority == b.priority and c.priority == d.priority
    assert b.location == c.location  # both legs of the swap at the customer's
    assert b.windows == c.windows and b.windows[0].start_s == 13 * 3600


def test_solution_passes_the_independent_validator(demo_session: Session) -> None:
    """A 2-second solve of the small day is valid, and every pair rides one van, pickup first."""
    add_swap(demo_session)
    dp = courier_day(demo_session, DAY)
    sol = solve(dp.problem, SolveParams(time_limit_s=2, workers=1))
    assert validate(dp.problem, sol) == []
    where = {
        s.job_id: (r.vehicle_id, k) for r in sol.routes for k, s in enumerate(r.stops)
    }
    pairs = [(j.pickup_of, j.id) for j in dp.problem.jobs if j.pickup_of]
    assert pairs
    for p, d in pairs:
        if p in where or d in where:
            assert where[p][0] == where[d][0] and where[p][1] < where[d][1]
    assert {u.job_id for u in sol.unassigned} | set(where) == {
        j.id for j in dp.problem.jobs
    }


def test_one_depot_only(demo_session: Session) -> None:
    """--depot: that depot's vans only; a non-depot site is refused."""
    depot = demo_session.scalars(select(Site).where(Site.kind == "depot")).first()
    assert depot is not None
    dp = courier_day(demo_session, DAY, depot_id=depot.id)
    vans = {
        c.id
        for c in demo_session.scalars(
            select(Courier).where(Courier.depot_id == depot.id)
        )
    }
    assert {m.courier_id for m in dp.vehicles.values()} == vans
    store = demo_session.scalars(select(Site).where(Site.kind == "store")).first()
    assert store is not None
    with pytest.raises(LookupError, match="not a depot"):
        courier_day(demo_session, DAY, depot_id=store.id)


def test_site_bigger_than_a_van_is_split_into_fitting_stops(
    demo_session: Session,
) -> None:
    """A relay whose parcels exceed the largest van gets the fewest stops that each fit."""
    dp0 = courier_day(demo_session, DAY)
    relay_stop = next(
        m
        for m in dp0.jobs.values()
        if m.ref.startswith("S")
        and demo_session.get_one(Site, m.site_id).kind == "relay"
    )
    for d in relay_stop.delivery_ids:
        demo_session.get_one(DeliveryOrder, d).parcels = 60
    demo_session.flush()
    cap = max(v.capacity for v in dp0.problem.vehicles)
    dp = courier_day(demo_session, DAY)
    parts = [j for j in dp.problem.jobs if j.id.split("#")[0] == relay_stop.ref]
    assert len(parts) == -(-60 * len(relay_stop.delivery_ids) // (cap // 60 * 60))
    assert all(j.demand <= cap for j in parts)
    assert sorted(d for j in parts for d in dp.jobs[j.id].delivery_ids) == sorted(
        relay_stop.delivery_ids
    )


def test_consolidated_stop_weighs_its_orders_and_tiers_rank(
    demo_session: Session,
) -> None:
    """A site stop is worth the sum of its orders; a higher tier weighs more on the same day."""
    dp = courier_day(demo_session, DAY)
    jobs = {j.id: j for j in dp.problem.jobs}
    base = courier_day(demo_session, DAY, consolidate=False)
    single = {j.id: j.priority for j in base.problem.jobs}
    for m in dp.jobs.values():
        if m.ref.startswith("S"):
            assert jobs[m.ref].priority == sum(single[f"D{d}"] for d in m.delivery_ids)
    home = [
        (m.tier, jobs[m.ref].priority)
        for m in dp.jobs.values()
        if m.ref.startswith("D")
    ]
    by_tier = {t: max(p for tt, p in home if tt == t) for t, _ in home}
    if "Platinum" in by_tier and "Member" in by_tier:
        assert min(p for t, p in home if t == "Platinum") > min(
            p for t, p in home if t == "Member"
        )


def test_relay_order_without_relay_is_reported_not_planned(
    demo_session: Session,
) -> None:
    """An unassigned relay order is not a job; unplannable_orders gives its reason."""
    o = demo_session.scalars(
        select(DeliveryOrder).where(
            DeliveryOrder.mode == "relay point", DeliveryOrder.status == "new"
        )
    ).first()
    assert o is not None
    o.destination_site_id = None
    demo_session.flush()
    dp = courier_day(demo_session, DAY)
    assert all(o.id not in m.delivery_ids for m in dp.jobs.values())
    assert [(x.ref, x.reason) for x in unplannable_orders(demo_session, DAY)] == [
        (o.ref, "no relay assigned")
    ]
