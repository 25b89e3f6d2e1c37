"""Order flows: transition tables, refusals, audit, re-planning and holding periods (both backends)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditLog, DeliveryOrder
from dispatch.deliveries import flows as deliveries
from dispatch.deliveries.flows import FLOWS, IllegalTransition, OrderState
from dispatch.planning.builder import PARIS
from tests.builders import dispatcher
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)  # a Tuesday
AT = datetime.combine(DAY, time(15), tzinfo=PARIS)


def _first(session: Session, mode: str, status: str) -> DeliveryOrder:
    o = session.scalar(
        select(DeliveryOrder)
        .where(
            DeliveryOrder.mode == mode,
            DeliveryOrder.status == status,
            DeliveryOrder.promised_on == DAY,
        )
        .order_by(DeliveryOrder.id)
    )
    assert o is not None
    return o


def _audit(session: Session, order_id: int) -> list[AuditLog]:
    return list(
        session.scalars(
            select(AuditLog)
            .where(
                AuditLog.entity == "delivery_order", AuditLog.entity_id == str(order_id)
            )
            .order_by(AuditLog.id)
        )
    )


def test_flows_are_data_and_every_state_is_reachable() -> None:
    """Each mode's table starts from its demo state and names only known states."""
    for mode, table in FLOWS.items():
        sources = {t.source for t in table}
        targets = {t.target for t in table}
        start = OrderState.TO_PREPARE if mode == "store pick-up" else OrderState.NEW
        assert start in sources
        assert all(isinstance(s, OrderState) for s in sources | targets)


def test_illegal_change_refused_naming_order_and_states(demo_session: Session) -> None:
    """new -> delivered skips the van: refused, nothing written, message names all three."""
    o = _first(demo_session, "home", "new")
    with pytest.raises(IllegalTransition) as err:
        deliveries.transition(
            demo_session, o.id, "delivered", actor=dispatcher("t"), at=AT
        )
    msg = str(err.value)
    assert (
        o.ref in msg
        and "'new'" in msg
        and "'delivered'" in msg
        and "out for delivery" in msg
    )
    assert err.value.current == "new" and err.value.attempted == "delivered"
    assert o.status == "new" and _audit(demo_session, o.id) == []


def test_unknown_state_refused(demo_session: Session) -> None:
    """A typo is refused with the list of known states."""
    o = _first(demo_session, "home", "new")
    with pytest.raises(IllegalTransition, match="not an order state"):
        deliveries.transition(
            demo_session, o.ref, "deliverd", actor=dispatcher("t"), at=AT
        )


def test_home_flow_is_audited_in_the_callers_transaction(demo_session: Session) -> None:
    """new -> out -> delivered: each change one audit row; a rollback removes both change and audit."""
    o = _first(demo_session, "home", "new")
    deliveries.load_on_van(demo_session, o.id, actor=dispatcher("driver"), at=AT)
    c = deliveries.deliver(demo_session, o.id, actor=dispatcher("driver"), at=AT)
    assert (c.source, c.target) == ("out for delivery", "delivered")
    assert o.delivered_at is not None
    rows = _audit(demo_session, o.id)
    assert [(r.change["from"], r.change["to"]) for r in rows] == [
        ("new", "out for delivery"),
        ("out for delivery", "delivered"),
    ]
    assert all(r.actor == "driver" for r in rows)
    demo_session.rollback()
    assert demo_session.get(DeliveryOrder, o.id).status == "new"  # type: ignore[union-attr]
    assert _audit(demo_session, o.id) == []


def test_failed_attempt_is_replanned_next_day(demo_session: Session) -> None:
    """A failed attempt: attempts + 1, promised the next day, same window hours, back to new."""
    o = _first(demo_session, "home", "new")
    ws, we = o.window_start, o.window_end
    deliveries.load_on_van(demo_session, o.id, actor=dispatcher("t"), at=AT)
    c = deliveries.fail_attempt(
        demo_session, o.id, actor=dispatcher("t"), at=AT, why="nobody home"
    )
    assert c.target == "new" and c.attempts == 1
    assert o.promised_on == DAY + timedelta(days=1) and o.attempts == 1
    if ws is not None and we is not None:
        assert o.window_start == ws + timedelta(
            days=1
        ) and o.window_end == we + timedelta(days=1)
    steps = [(r.change["from"], r.change["to"]) for r in _audit(demo_session, o.id)]
    assert steps[-2:] == [
        ("out for delivery", "failed attempt"),
        ("failed attempt", "new"),
    ]


def test_failed_attempt_on_saturday_is_replanned_monday(demo_session: Session) -> None:
    """Vans do not run on Sunday."""
    assert deliveries.next_delivery_day(date(2026, 11, 28)) == date(2026, 11, 30)


def test_third_failed_attempt_returns_to_stock(demo_session: Session) -> None:
    """After MAX_ATTEMPTS failures the order goes back to stock instead of another day."""
    o = _first(demo_session, "home", "new")
    for _ in range(deliveries.MAX_ATTEMPTS):
        deliveries.load_on_van(demo_session, o.id, actor=dispatcher("t"), at=AT)
        c = deliveries.fail_attempt(demo_session, o.id, actor=dispatcher("t"), at=AT)
    assert c.target == "returned to stock" and o.attempts == deliveries.MAX_ATTEMPTS


def test_store_ready_notifies_then_uncollected_returns_to_stock(
    demo_session: Session,
) -> None:
    """ready records a notification; before the holding date the return is refused, after it allowed."""
    o = _first(demo_session, "store pick-up", "to prepare")
    c = deliveries.transition(
        demo_session, o.id, "ready", actor=dispatcher("store1"), at=AT
    )
    assert c.notification and o.ref in c.notification
    assert o.holding_until is not None and o.holding_until > DAY
    notes = [r for r in _audit(demo_session, o.id) if r.action == "notify"]
    assert len(notes) == 1 and notes[0].change["message"] == c.notification
    with pytest.raises(IllegalTransition, match="held until"):
        deliveries.transition(
            demo_session, o.id, "returned to stock", actor=dispatcher("t"), at=AT
        )
    on_the_day = deliveries.expire_uncollected(
        demo_session, o.holding_until, actor=dispatcher("night")
    )
    # (the demo's older waiting bags may expire then; this one is still held that day)
    assert [x for x in on_the_day if x.order_id == o.id] == []
    later = o.holding_until + timedelta(days=1)
    changes = deliveries.expire_uncollected(
        demo_session, later, actor=dispatcher("night")
    )
    assert [(x.ref, x.target) for x in changes if x.order_id == o.id] == [
        (o.ref, "returned to stock")
    ]


def test_relay_flow_drop_collect_and_return(demo_session: Session) -> None:
    """Relay: out -> dropped (holding starts, customer told) -> collected; another one expires: returned."""
    a, b = demo_session.scalars(
        select(DeliveryOrder)
        .where(DeliveryOrder.mode == "relay point", DeliveryOrder.status == "new")
        .order_by(DeliveryOrder.id)
        .limit(2)
    )
    for o in (a, b):
        deliveries.load_on_van(demo_session, o.id, actor=dispatcher("t"), at=AT)
        c = deliveries.drop_at_relay(demo_session, o.id, actor=dispatcher("t"), at=AT)
        assert c.notification and o.holding_until is not None
    with pytest.raises(IllegalTransition):
        deliveries.transition(
            demo_session, a.id, "returned to stock", actor=dispatcher("t"), at=AT
        )
    deliveries.transition(
        demo_session, a.id, "collected", actor=dispatcher("relay"), at=AT
    )
    assert b.holding_until is not None
    changes = deliveries.expire_uncollected(
        demo_session, b.holding_until + timedelta(days=1), actor=dispatcher("night")
    )
    assert {(x.ref, x.target) for x in changes} >= {(b.ref, "returned")}
    assert a.status == "collected"


def test_collected_is_final(demo_session: Session) -> None:
    """Nothing leaves 'collected'."""
    o = _first(demo_session, "store pick-up", "to prepare")
    deliveries.transition(demo_session, o.id, "ready", actor=dispatcher("t"), at=AT)
    deliveries.transition(demo_session, o.id, "collected", actor=dispatcher("t"), at=AT)
    with pytest.raises(IllegalTransition, match="is final"):
        deliveries.transition(demo_session, o.id, "ready", actor=dispatcher("t"), at=AT)
