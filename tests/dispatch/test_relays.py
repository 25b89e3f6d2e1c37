"""Relay assignment: nearest relay with room that day, never over capacity (both backends)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditLog, Customer, DeliveryOrder, Site
from dispatch.deliveries import relays
from tests.builders import dispatcher, principal
from tests.conftest import DEMO_DAY

DISPATCHER = principal("dispatcher")

DAY = date.fromisoformat(DEMO_DAY)


def _new_relay_orders(
    session: Session, customer: Customer, n: int, day: date = DAY
) -> list[int]:
    ids = []
    for k in range(n):
        o = DeliveryOrder(
            ref=f"TREL{customer.id}-{k}-{day:%d}",
            customer_id=customer.id,
            kind="order",
            mode="relay point",
            items="Beans 1 kg",
            parcels=1,
            promised_on=day,
            status="new",
            created_at=datetime(2026, 11, 20, 9, tzinfo=UTC) + timedelta(seconds=k),
        )
        session.add(o)
        session.flush()
        ids.append(o.id)
    return ids


def _capacity_ok(session: Session, day: date) -> None:
    load = relays.relay_load(session, day)
    caps = {
        s.id: s.relay_daily_capacity
        for s in session.scalars(select(Site).where(Site.kind == "relay"))
    }
    assert all(n <= (caps[r] or 0) for r, n in load.items()), (load, caps)


def test_choose_relay_skips_full_ones() -> None:
    """Pure: the nearest full relay passes the order to the next nearest."""
    near = Site(
        id=1,
        code="R1",
        kind="relay",
        name="near",
        postcode="",
        town="",
        region="",
        lat=45.0,
        lon=5.0,
        relay_daily_capacity=2,
    )
    far = Site(
        id=2,
        code="R2",
        kind="relay",
        name="far",
        postcode="",
        town="",
        region="",
        lat=45.1,
        lon=5.0,
        relay_daily_capacity=2,
    )
    assert relays.choose_relay(45.0, 5.0, [far, near], Counter())[0] is near
    pick = relays.choose_relay(45.0, 5.0, [far, near], Counter({1: 2}))
    assert pick is not None and pick[0] is far and pick[2] == 2
    assert relays.choose_relay(45.0, 5.0, [far, near], Counter({1: 2, 2: 2})) is None


def test_demo_day_respects_relay_capacity(demo_session: Session) -> None:
    """The demo day's relay drops fit every relay's daily capacity."""
    _capacity_ok(demo_session, DAY)


def test_assignment_fills_nearest_then_falls_to_next(demo_session: Session) -> None:
    """Forty orders from one customer: the nearest relay fills to its capacity, then the next ones."""
    customer = demo_session.scalars(select(Customer).order_by(Customer.id)).first()
    assert customer is not None
    ranked = sorted(
        demo_session.scalars(select(Site).where(Site.kind == "relay")),
        key=lambda r: relays.distance_km(customer.lat, customer.lon, r.lat, r.lon),
    )
    nearest = ranked[0]
    before = relays.relay_load(demo_session, DAY)[nearest.id]
    room = (nearest.relay_daily_capacity or 0) - before
    ids = _new_relay_orders(demo_session, customer, room + 3)
    choices = [relays.assign_relay(demo_session, i, actor=dispatcher("t")) for i in ids]
    assert [c.relay_id for c in choices[:room]] == [nearest.id] * room
    assert all(c.relay_id != nearest.id and c.rank >= 2 for c in choices[room:])
    assert (
        relays.relay_load(demo_session, DAY)[nearest.id] == nearest.relay_daily_capacity
    )
    _capacity_ok(demo_session, DAY)
    assert (
        demo_session.scalar(
            select(AuditLog).where(
                AuditLog.action == "assign relay", AuditLog.entity_id == str(ids[-1])
            )
        )
        is not None
    )


def test_all_nearby_relays_full_is_refused(demo_session: Session) -> None:
    """With every candidate full the order keeps no relay and the refusal names it."""
    customer = demo_session.scalars(select(Customer).order_by(Customer.id)).first()
    assert customer is not None
    total = sum(
        r.relay_daily_capacity or 0
        for r in demo_session.scalars(select(Site).where(Site.kind == "relay"))
    )
    ids = _new_relay_orders(demo_session, customer, total + 2, day=date(2026, 11, 26))
    done, refused = relays.assign_relays(
        demo_session, date(2026, 11, 26), actor=dispatcher("t")
    )
    assert len(done) + len(refused) == len(ids) and refused
    assert "are full" in refused[0]
    _capacity_ok(demo_session, date(2026, 11, 26))
    with pytest.raises(relays.NoRelayCapacity):
        relays.assign_relay(demo_session, ids[-1], actor=dispatcher("t"))


def _relay_csv(tmp_path, customers: list[str], relay: str, day: date):
    lines = ["ref,customer_ref,mode,promised_on,parcels,destination"]
    lines += [
        f"IMPREL{k},{c},relay,{day.isoformat()},1,{relay}"
        for k, c in enumerate(customers)
    ]
    path = tmp_path / "relay_orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_overflows_a_full_relay_to_the_next_with_room(
    demo_session: Session, tmp_path
) -> None:
    """12 orders named for a relay of capacity 8: 8 stay, 4 go to the nearest with room."""
    from dispatch.intake.pipeline import import_file

    day = DAY + timedelta(days=2)
    relay = demo_session.scalars(select(Site).where(Site.kind == "relay")).first()
    relay.relay_daily_capacity = 8
    demo_session.flush()
    refs = [c.ref for c in demo_session.scalars(select(Customer).limit(12))]
    report = import_file(
        demo_session,
        "orders",
        _relay_csv(tmp_path, refs, relay.code, day),
        actor=DISPATCHER,
    )
    assert report.created == 12
    placed = Counter(
        o.destination_site_id
        for o in demo_session.scalars(
            select(DeliveryOrder).where(DeliveryOrder.ref.like("IMPREL%"))
        )
    )
    assert placed[relay.id] == 8 and sum(placed.values()) == 12
    assert None not in placed
    _capacity_ok(demo_session, day)
    moved = demo_session.scalars(
        select(AuditLog).where(AuditLog.action == "assign relay")
    ).all()
    assert len(moved) >= 4


def test_import_refuses_when_no_relay_nearby_has_room(
    demo_session: Session, tmp_path
) -> None:
    """Every relay full that day: the file is rejected naming the line and the relay."""
    from dispatch.intake.pipeline import ImportRejected, import_file

    day = DAY + timedelta(days=2)
    for r in demo_session.scalars(select(Site).where(Site.kind == "relay")):
        r.relay_daily_capacity = 0
    demo_session.flush()
    relay = demo_session.scalars(select(Site).where(Site.kind == "relay")).first()
    ref = demo_session.scalars(select(Customer.ref).limit(1)).one()
    with pytest.raises(ImportRejected) as exc:
        import_file(
            demo_session,
            "orders",
            _relay_csv(tmp_path, [ref], relay.code, day),
            actor=DISPATCHER,
        )
    (err,) = exc.value.errors
    assert err.line == 2 and err.field == "destination"
    assert relay.code in err.reason and "full" in err.reason
