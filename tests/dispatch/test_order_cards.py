"""``dispatch.views.orders.store_orders`` reads a day's orders in one query: the cards
are the ones ``find`` gives order by order, and store staff still see only their own
store's pick-ups."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.enums import DeliveryMode
from data.models import DeliveryOrder
from dispatch.access.auth import SignedIn
from dispatch.views import orders as view


def _user(role: str, store_id: int | None = None) -> SignedIn:
    return SignedIn(9, "u", "U", role, store_id, None, None)


def _busiest(session: Session, *where: object) -> tuple[object, ...]:
    row = session.execute(
        select(DeliveryOrder.promised_on, DeliveryOrder.destination_site_id)
        .where(*where)
        .group_by(DeliveryOrder.promised_on, DeliveryOrder.destination_site_id)
        .order_by(func.count().desc())
        .limit(1)
    ).one()
    return tuple(row)


def test_store_staff_cards_match_find_and_stay_in_their_store(
    demo_session: Session,
) -> None:
    day, store = _busiest(
        demo_session,
        DeliveryOrder.mode == DeliveryMode.STORE_PICKUP.value,
        DeliveryOrder.destination_site_id.is_not(None),
    )
    me = _user("store staff", store)  # type: ignore[arg-type]
    cards = view.store_orders(demo_session, me, day)  # type: ignore[arg-type]
    assert cards
    assert cards == tuple(view.find(demo_session, me, c.ref) for c in cards)
    ids = {c.id for c in cards}
    mine = demo_session.scalars(
        select(DeliveryOrder.id).where(
            DeliveryOrder.promised_on == day,
            DeliveryOrder.destination_site_id == store,
            DeliveryOrder.mode == DeliveryMode.STORE_PICKUP.value,
        )
    )
    assert ids == set(list(mine)[:200])


def test_dispatcher_cards_match_find(demo_session: Session) -> None:
    day = demo_session.scalar(
        select(DeliveryOrder.promised_on)
        .where(DeliveryOrder.mode == DeliveryMode.RELAY.value)
        .group_by(DeliveryOrder.promised_on)
        .order_by(func.count().desc())
        .limit(1)
    )
    me = _user("dispatcher")
    cards = view.store_orders(demo_session, me, day)  # type: ignore[arg-type]
    assert cards == tuple(view.find(demo_session, me, c.ref) for c in cards)
