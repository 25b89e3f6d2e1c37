"""The orders a saved courier plan leaves out, each with the reason of its job."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import DeliveryOrder
from dispatch.planning.couriers import LeftOut, _plannable
from dispatch.planning.plans import load_plan


def left_out_orders(session: Session, plan_id: int) -> list[LeftOut]:
    """Every order of a courier plan's unassigned jobs, with the job's reason.

    A dropped consolidated stop (``S<site>``) leaves out all the orders it held:
    they are found again as the site's plannable orders of that day not placed
    elsewhere in the plan.
    """
    view = load_plan(session, plan_id)
    placed = {d for r in view.routes for s in r.stops for d in s.delivery_ids}
    out: list[LeftOut] = []
    seen: set[int] = set()
    for u in view.unassigned:
        ids: list[int] = []
        if u.job_ref.startswith("S"):
            site_id = int(u.job_ref[1:].split("#")[0])
            ids = list(
                session.scalars(
                    select(DeliveryOrder.id)
                    .where(
                        DeliveryOrder.destination_site_id == site_id,
                        _plannable(view.day),
                    )
                    .order_by(DeliveryOrder.id)
                )
            )
        elif u.delivery_id is not None:
            ids = [u.delivery_id]
        for oid in ids:
            if oid in placed or oid in seen:
                continue
            seen.add(oid)
            o = session.get_one(DeliveryOrder, oid)
            out.append(LeftOut(oid, o.ref, u.job_ref, u.reason, u.detail))
    return out
