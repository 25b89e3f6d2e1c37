"""Delivery notices owed at ``now``: out for delivery, failed attempt, bag ready or expiring, relay."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.enums import PlanKind
from data.models import DeliveryOrder, PlanStop, Site
from dispatch.notices.config import CONFIG
from dispatch.notices.kinds import Due, Kind
from dispatch.notices.published import published_stops

OUT = "out for delivery"
FAILED = "failed attempt"
READY = "ready"
DROPPED = "dropped at relay"


def _address(site: Site) -> str:
    return ", ".join(p for p in (site.address, f"{site.postcode} {site.town}") if p)


def deliveries(session: Session, now: datetime) -> list[Due]:
    today = now.astimezone(PARIS).date()
    expiring_days = int(CONFIG["deliveries"]["bag_expiring_days"])
    planned = {
        did: at
        for did, at in session.execute(
            published_stops(
                select(PlanStop.delivery_id, PlanStop.arrival_at),
                PlanKind.COURIERS,
                today,
            ).where(PlanStop.delivery_id.is_not(None))
        )
        if did is not None  # always: the query keeps delivery stops only
    }
    orders = session.scalars(
        select(DeliveryOrder).where(
            DeliveryOrder.kind == "order",
            or_(
                DeliveryOrder.status.in_([OUT, FAILED, READY, DROPPED]),
                (DeliveryOrder.status == "new") & (DeliveryOrder.attempts > 0),
                DeliveryOrder.id.in_(list(planned)),
            ),
        )
    ).all()
    sites = {
        s.id: s
        for s in session.scalars(
            select(Site).where(
                Site.id.in_({o.destination_site_id for o in orders} - {None})
            )
        )
    }
    out: list[Due] = []

    def add(o: DeliveryOrder, kind: Kind, key: str, **ctx: object) -> None:
        out.append(
            Due(
                customer_id=o.customer_id,
                kind=kind,
                entity_type="order",
                entity_id=str(o.id),
                dedupe_key=key,
                due_at=now,
                context=dict(order_ref=o.ref, **ctx),
            )
        )

    for o in orders:
        site = sites.get(o.destination_site_id) if o.destination_site_id else None
        if (
            o.mode == "home"
            and o.promised_on == today
            and (o.status == OUT or o.id in planned)
        ):
            ws, we = o.window_start, o.window_end
            if (
                o.id in planned
            ):  # the plan's ETA, an hour either side, within the promise
                eta = planned[o.id]
                ws = (
                    max(ws, eta - timedelta(hours=1))
                    if ws
                    else eta - timedelta(hours=1)
                )
                we = (
                    min(we, eta + timedelta(hours=1))
                    if we
                    else eta + timedelta(hours=1)
                )
            if ws and we:
                add(
                    o,
                    Kind.DELIVERY_OUT,
                    f"out:{o.id}:{o.promised_on.isoformat()}",
                    window_start=ws,
                    window_end=we,
                )
        if o.status == FAILED or (o.status == "new" and o.attempts > 0):
            n = o.attempts + (1 if o.status == FAILED else 0)
            add(
                o,
                Kind.DELIVERY_FAILED,
                f"delivery-failed:{o.id}:{n}",
                new_day=o.promised_on if o.status == "new" else None,
            )
        if o.status == READY and o.mode == "store pick-up" and site is not None:
            deadline = o.holding_until or today + timedelta(days=site.holding_days)
            ctx = dict(store=site.name, store_address=_address(site), deadline=deadline)
            add(o, Kind.BAG_READY, f"bag-ready:{o.id}", **ctx)
            if 0 <= (deadline - today).days <= expiring_days:
                add(
                    o,
                    Kind.BAG_EXPIRING,
                    f"bag-expiring:{o.id}:{deadline.isoformat()}",
                    **ctx,
                )
        if o.status == DROPPED and site is not None:
            deadline = o.holding_until or today + timedelta(days=site.holding_days)
            add(
                o,
                Kind.RELAY_READY,
                f"relay:{o.id}",
                relay=site.name,
                relay_address=_address(site),
                deadline=deadline,
            )
    return out
