"""Relay assignment: nearest relay with room that day, never over capacity (both backends)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditLog, Customer, DeliveryOrder, Site
from dispatch.deliveries import relays
from tests.conftest import DEMO_DAY

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
    choices = [relays.assign_relay(demo_session, i, actor="t") for i in ids]
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
    done, refused = relays.assign_relays(demo_session, date(2026, 11, 26), actor="t")
    assert len(done) + len(refused) == len(ids) and refused
    assert "are full" in refused[0]
    _capacity_ok(demo_session, date(2026, 11, 26))
    with pytest.raises(relays.NoRelayCapacity):
        relays.assign_relay(demo_session, ids[-1], actor="t")
