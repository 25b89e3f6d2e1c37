"""Courier plans end to end: run, validate, persist, JSON contract, left-out reasons (both backends)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import sessions, write_session
from data.models import Courier, DeliveryOrder, Site
from dispatch.cli.main import main
from dispatch.planning.builder import PARIS
from dispatch.planning.left_out import left_out_orders
from tests.builders import add_swap, dispatcher, plan_inline, rennes_member
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)


def test_courier_plan_is_valid_consolidated_and_pairs_ride_together(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saved plan: no violation; each site appears once; repair legs on one van, pickup first."""
    with write_session(demo_url) as s:
        out_leg, pick_leg = add_swap(s)
        out_id, pick_id = out_leg.id, pick_leg.id
    view = plan_inline(demo_url, monkeypatch, "couriers", DAY)
    st = view.stats
    assert st["violations"] == 0
    assert st["jobs_placed"] + len(view.unassigned) == st["jobs_total"]
    assert all(u.reason for u in view.unassigned)
    site_stops = Counter(
        s.job_ref for r in view.routes for s in r.stops if s.job_ref.startswith("S")
    )
    assert site_stops and set(site_stops.values()) == {1}
    assert any(len(s.delivery_ids) > 1 for r in view.routes for s in r.stops)
    where = {s.job_ref: (r.vehicle_ref, s.seq) for r in view.routes for s in r.stops}
    for first, then in ((f"H{out_id}", f"D{out_id}"), (f"D{pick_id}", f"H{pick_id}")):
        assert (first in where) == (then in where)
        if first in where:
            assert (
                where[first][0] == where[then][0] and where[first][1] < where[then][1]
            )
    with sessions(demo_url)() as s:
        for r in view.routes:
            van = s.get_one(Courier, r.vehicle_id)
            parcels = sum(
                s.get_one(DeliveryOrder, d).parcels
                for st_ in r.stops
                for d in st_.delivery_ids
                if not st_.job_ref.startswith("H")
            )
            assert parcels <= van.capacity_parcels


def test_cli_plan_couriers_writes_the_json_contract(
    demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tournee plan --kind couriers --json`: vans and orders by database id, ISO local times."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    out = tmp_path / "couriers.json"
    assert (
        main(
            [
                "plan",
                "--date",
                DEMO_DAY,
                "--kind",
                "couriers",
                "--seconds",
                "2",
                "--json",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["kind"] == "couriers" and doc["date"] == DEMO_DAY
    with sessions(demo_url)() as s:
        vans = set(s.scalars(select(Courier.id)))
        orders = set(s.scalars(select(DeliveryOrder.id)))
    for r in doc["routes"]:
        assert r["vehicle"] in vans
        for stop in r["stops"]:
            ids = stop["job"] if isinstance(stop["job"], list) else [stop["job"]]
            assert set(ids) <= orders
            assert (stop["site"] is not None) == stop["ref"].startswith(("S", "H"))
            assert datetime.fromisoformat(stop["arrival"]).date() == DAY
    assert all(u["reason"] for u in doc["unassigned"])
    # orders carry their priority class, so van days are strict too
    stops = [st for r in doc["routes"] for st in r["stops"]] + doc["unassigned"]
    assert len({st["priority_class"] for st in stops}) > 1
    placed = sum(len(r["stops"]) for r in doc["routes"])
    assert (
        placed + len(doc["unassigned"]) == doc["stats"]["jobs_total"]
        and doc["stats"]["violations"] == 0
    )


def test_cli_plan_one_depot(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """--depot ID plans that depot's vans, stored under the depot's code."""
    with sessions(demo_url)() as s:
        depot = s.scalars(select(Site).where(Site.kind == "depot")).first()
        assert depot is not None
        code, depot_id = depot.code, depot.id
    view = plan_inline(demo_url, monkeypatch, "couriers", DAY, depot_id=depot_id)
    assert view.region == code and view.stats["violations"] == 0


def test_every_left_out_order_has_a_reason(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders of unassigned jobs (a dropped site stop counts all its orders) all carry a reason."""
    view = plan_inline(demo_url, monkeypatch, "couriers", DAY, seconds=1.0)
    with sessions(demo_url)() as s:
        left = left_out_orders(s, view.id)
        due = set(
            s.scalars(
                select(DeliveryOrder.id).where(
                    DeliveryOrder.promised_on == DAY,
                    DeliveryOrder.status.in_(("new", "to prepare")),
                )
            )
        )
    placed = {d for r in view.routes for st in r.stops for d in st.delivery_ids}
    assert {x.order_id for x in left} == due - placed
    assert all(x.reason for x in left)


def _scarce(session: Session) -> dict[str, int]:
    """One van of 3 parcels, five 1-parcel orders next door, tiers from Member to Platinum."""
    depot = Site(
        code="DEP-T",
        kind="depot",
        name="Dépôt test",
        postcode="35000",
        town="Rennes",
        region="Bretagne",
        lat=48.11,
        lon=-1.68,
        opens_at=time(6),
        closes_at=time(20),
    )
    session.add(depot)
    session.flush()
    session.add(
        Courier(
            code="VAN-T",
            name="Solo",
            depot_id=depot.id,
            capacity_parcels=3,
            days_off=[],
        )
    )
    ids = {}
    for k, tier in enumerate(("Member", "Silver", "Gold", "Platinum", "Member")):
        c = rennes_member(
            session, f"C-T{k}", f"Client {k}", 48.11 + 0.01 * k, -1.68, tier,
            enrolled_on=date(2024, 1, 1),
        )  # fmt: skip
        o = DeliveryOrder(
            ref=f"O-T{k}",
            customer_id=c.id,
            mode="home",
            parcels=1,
            depot_id=depot.id,
            promised_on=DAY,
            status="new",
            created_at=datetime(2026, 11, 23, tzinfo=UTC),
            window_start=datetime.combine(DAY, time(9), tzinfo=PARIS),
            window_end=datetime.combine(DAY, time(12), tzinfo=PARIS),
        )
        session.add(o)
        session.flush()
        ids[f"{tier}{k}"] = o.id
    return ids


def test_scarce_van_capacity_drops_lowest_priority_first(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Room for three parcels: Platinum, Gold and Silver ride; both Members are left out, with a reason."""
    with write_session(db_url) as s:
        ids = _scarce(s)
    view = plan_inline(db_url, monkeypatch, "couriers", DAY, seconds=1.0)
    placed = {d for r in view.routes for st in r.stops for d in st.delivery_ids}
    assert placed == {ids["Platinum3"], ids["Gold2"], ids["Silver1"]}
    assert {u.delivery_id for u in view.unassigned} == {ids["Member0"], ids["Member4"]}
    assert all(u.reason for u in view.unassigned) and view.stats["violations"] == 0


def test_cli_orders_refusals_exit_non_zero(
    demo_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tournee orders`: another store's bag and an illegal change exit 2 with one line; the sheet is written."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    with sessions(demo_url)() as s:
        a, b = s.scalars(
            select(Site).where(Site.kind == "store").order_by(Site.id).limit(2)
        )
        order = s.scalars(
            select(DeliveryOrder).where(
                DeliveryOrder.destination_site_id == a.id,
                DeliveryOrder.status == "to prepare",
            )
        ).first()
        assert order is not None
        ref, code_a, code_b = order.ref, a.code, b.code
    sheet = tmp_path / "bags.csv"
    assert (
        main(
            [
                "orders",
                "bags",
                "--store",
                code_a,
                "--date",
                DEMO_DAY,
                "--csv",
                str(sheet),
            ]
        )
        == 0
    )
    assert ref in sheet.read_text(encoding="utf-8")
    assert main(["orders", "ready", ref, "--store", code_b]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and ref in err and code_b in err
    assert main(["orders", "collected", ref, "--store", code_a]) == 2
    assert "'to prepare'" in capsys.readouterr().err
    assert main(["orders", "ready", ref, "--store", code_a]) == 0
    assert main(["orders", "collected", ref, "--store", code_a]) == 0


def test_loading_a_plan_sends_its_orders_out(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load_plan_orders: placed home/relay orders go out for delivery; left-out and store orders stay."""
    from dispatch.deliveries.flows import load_plan_orders

    view = plan_inline(demo_url, monkeypatch, "couriers", DAY, seconds=1.0)
    placed = {d for r in view.routes for st in r.stops for d in st.delivery_ids}
    with write_session(demo_url) as s:
        changes = load_plan_orders(s, view.id, actor=dispatcher("depot"))
    with sessions(demo_url)() as s:
        rows = {
            o.id: o
            for o in s.scalars(
                select(DeliveryOrder).where(DeliveryOrder.promised_on == DAY)
            )
        }
    assert {c.order_id for c in changes} == {
        i for i in placed if rows[i].mode != "store pick-up"
    }
    assert all(
        rows[i].status == "out for delivery"
        for i in placed
        if rows[i].mode != "store pick-up"
    )
    assert all(
        o.status in ("new", "to prepare") for i, o in rows.items() if i not in placed
    )


def test_publishing_a_courier_plan_sends_its_orders_out(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Publish = the vans are loaded: the plan's home and relay orders go out for delivery."""
    from dispatch.planning.publish import publish

    view = plan_inline(demo_url, monkeypatch, "couriers", DAY, seconds=1.0)
    placed = {d for r in view.routes for st in r.stops for d in st.delivery_ids}
    with write_session(demo_url) as s:
        publish(s, view.id, actor=dispatcher("dispatch"))
    with sessions(demo_url)() as s:
        states = {
            o.mode: o.status
            for o in s.scalars(
                select(DeliveryOrder).where(DeliveryOrder.id.in_(placed))
            )
            if o.mode != "store pick-up"
        }
    assert states and set(states.values()) == {"out for delivery"}
