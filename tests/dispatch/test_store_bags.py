"""Store pick-up bags: the day's list, store-bound actions, the preparation sheet (both backends)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditLog, Customer, DeliveryOrder, Site
from dispatch.deliveries import store_bags
from dispatch.deliveries.flows import IllegalTransition
from dispatch.planning.builder import PARIS
from tests.builders import Actor, dispatcher
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)
AT = datetime.combine(DAY, time(10, 30), tzinfo=PARIS)


def _stores(session: Session) -> list[Site]:
    return list(
        session.scalars(select(Site).where(Site.kind == "store").order_by(Site.id))
    )


def test_preparation_list_matches_the_stores_demo_orders(demo_session: Session) -> None:
    """For every store: one bag per pick-up order of the day, with its customer, items and parcels."""
    for store in _stores(demo_session):
        orders = {
            o.id: o
            for o in demo_session.scalars(
                select(DeliveryOrder).where(
                    DeliveryOrder.mode == "store pick-up",
                    DeliveryOrder.destination_site_id == store.id,
                    DeliveryOrder.promised_on == DAY,
                )
            )
        }
        bags = store_bags.bags_to_prepare(
            demo_session, store.id, DAY, actor=dispatcher()
        )
        assert len(bags) == len(orders)
        assert {b.order_id for b in bags} == set(orders)
        for b in bags:
            o = orders[b.order_id]
            c = demo_session.get_one(Customer, o.customer_id)
            assert (b.ref, b.items, b.parcels, b.customer) == (
                o.ref,
                o.items,
                o.parcels,
                c.name,
            )
            assert b.deadline_at == o.window_start
        keys = [(b.deadline_at, -b.score) for b in bags]
        assert keys == sorted(keys), "collection time first, then priority"


def test_staff_of_another_store_is_refused(demo_session: Session) -> None:
    """Store staff of store B cannot mark store A's bag ready or collected."""
    a, b = _stores(demo_session)[:2]
    bag = store_bags.bags_to_prepare(demo_session, a.id, DAY, actor=dispatcher())[0]
    with pytest.raises(
        store_bags.WrongStore,
        match=f"{bag.ref} is for store {a.code}, not for your store {b.code}",
    ):
        store_bags.mark_ready(
            demo_session,
            bag.order_id,
            store_id=b.id,
            actor=Actor("store staff", b.id, "store2"),
        )
    with pytest.raises(store_bags.WrongStore):
        store_bags.mark_collected(
            demo_session,
            bag.order_id,
            store_id=b.id,
            actor=Actor("store staff", b.id, "store2"),
        )
    assert demo_session.get_one(DeliveryOrder, bag.order_id).status == "to prepare"


def test_ready_then_collected_by_own_store(demo_session: Session) -> None:
    """Own store: ready (customer notified, bag leaves the list), then collected."""
    store = _stores(demo_session)[0]
    bags = store_bags.bags_to_prepare(demo_session, store.id, DAY, actor=dispatcher())
    c = store_bags.mark_ready(
        demo_session,
        bags[0].ref,
        store_id=store.id,
        actor=Actor("store staff", store.id, "store1"),
        at=AT,
    )
    assert c.target == "ready" and c.notification and store.name in c.notification
    assert demo_session.scalar(
        select(AuditLog).where(
            AuditLog.action == "notify", AuditLog.entity_id == str(bags[0].order_id)
        )
    )
    assert [
        b.order_id
        for b in store_bags.bags_to_prepare(
            demo_session, store.id, DAY, actor=dispatcher()
        )
    ] == [b.order_id for b in bags[1:]]
    with pytest.raises(IllegalTransition, match="'ready'"):
        store_bags.mark_ready(
            demo_session,
            bags[0].order_id,
            store_id=store.id,
            actor=Actor("store staff", store.id, "store1"),
            at=AT,
        )
    assert (
        store_bags.mark_collected(
            demo_session,
            bags[0].order_id,
            store_id=store.id,
            actor=Actor("store staff", store.id, "store1"),
            at=AT,
        ).target
        == "collected"
    )


def test_sheet_csv_has_one_row_per_bag(demo_session: Session) -> None:
    """CSV: header + bags in order."""
    store = _stores(demo_session)[0]
    bags = store_bags.bags_to_prepare(demo_session, store.id, DAY, actor=dispatcher())
    rows = list(csv.DictReader(io.StringIO(store_bags.sheet_csv(bags))))
    assert [r["order"] for r in rows] == [b.ref for b in bags]
    assert rows[0]["customer"] == bags[0].customer and rows[0]["parcels"] == str(
        bags[0].parcels
    )


def test_sheet_html_escapes_customer_values(demo_session: Session) -> None:
    """A customer name or items typed with markup are printed as text, never as markup."""
    store = _stores(demo_session)[0]
    bag = store_bags.bags_to_prepare(demo_session, store.id, DAY, actor=dispatcher())[0]
    o = demo_session.get_one(DeliveryOrder, bag.order_id)
    demo_session.get_one(Customer, o.customer_id).name = "<script>alert('x')</script>"
    o.items = "Beans & <b>cups</b>"
    demo_session.flush()
    page = store_bags.sheet_html(
        "Boutique <Lyon>",
        DAY,
        store_bags.bags_to_prepare(demo_session, store.id, DAY, actor=dispatcher()),
    )
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert (
        "Beans &amp; &lt;b&gt;cups&lt;/b&gt;" in page
        and "Boutique &lt;Lyon&gt;" in page
    )
    assert page.count("<tr>") == 1 + len(
        store_bags.bags_to_prepare(demo_session, store.id, DAY, actor=dispatcher())
    )
