"""Delivery orders: a destination of the right kind, shipped from the nearest depot.

``--update`` may change an order that has not left (status ``new`` or
``to prepare``); its customer is not changed by an import.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from data.audit import record_many
from data.base import PARIS
from data.enums import DeliveryMode, SiteKind
from data.gazetteer import distance_km
from data.models import Customer, DeliveryOrder, Site
from dispatch.deliveries import relays
from dispatch.intake.csvfile import RowError
from dispatch.intake.kinds import (
    Changed,
    CustomerRefs,
    Kind,
    Plan,
    WriteRefused,
    chunks,
    diff,
    lookup,
    register,
    unique_in_file,
)
from dispatch.intake.rows import OrderRow

OPEN = ("new", "to prepare")
WANT = {
    DeliveryMode.STORE_PICKUP.value: SiteKind.STORE,
    DeliveryMode.RELAY.value: SiteKind.RELAY,
}
EDITABLE = (
    "mode",
    "items",
    "parcels",
    "destination_site_id",
    "promised_on",
    "window_start",
    "window_end",
)


class Item(NamedTuple):
    line: int
    ref: str
    customer_ref: str
    values: dict[str, Any]


@register
class Orders(CustomerRefs, Kind[Item]):
    name = "orders"
    row_model = OrderRow
    entity = "delivery_order"
    summary = "delivery orders"

    def begin(self, session: Session) -> None:
        self._sites = {
            s.code: (s.id, s.kind, s.lat, s.lon) for s in session.scalars(select(Site))
        }
        self._depots = [v for v in self._sites.values() if v[1] == SiteKind.DEPOT]

    def row(self, line: int, row: Any, errors: list[RowError]) -> Item | None:
        r: OrderRow = row
        n = len(errors)
        ws, we = r.window_start, r.window_end
        if ws and we and we <= ws:
            errors.append(
                RowError(
                    line,
                    "window_end",
                    f"window ends ({we:%H:%M}) before it starts ({ws:%H:%M})",
                )
            )
        dest = None
        want = WANT.get(r.mode)
        if r.destination:
            site = self._sites.get(r.destination)
            if site is None:
                errors.append(
                    RowError(line, "destination", f"unknown site {r.destination!r}")
                )
            elif want is None:
                errors.append(
                    RowError(
                        line, "destination", "a home delivery has no destination site"
                    )
                )
            elif site[1] != want:
                errors.append(
                    RowError(
                        line,
                        "destination",
                        f"site {r.destination!r} is a {site[1]}, not a {want}",
                    )
                )
            else:
                dest = site[0]
        elif want is not None:
            errors.append(
                RowError(
                    line,
                    "destination",
                    f"a {r.mode} order needs a destination site code",
                )
            )
        if len(errors) > n:
            self.invalid(line, {"customer_ref": r.customer_ref})
            return None
        values = dict(
            mode=r.mode,
            items=r.items or "",
            parcels=r.parcels or 1,
            destination_site_id=dest,
            promised_on=r.promised_on,
            window_start=datetime.combine(r.promised_on, ws, tzinfo=PARIS)
            if ws
            else None,
            window_end=datetime.combine(r.promised_on, we, tzinfo=PARIS)
            if we
            else None,
        )
        return Item(line, r.ref, r.customer_ref, values)

    def resolve(
        self, session: Session, items: list[Item], update: bool, errors: list[RowError]
    ) -> Plan[Item]:
        unique_in_file(((i.line, i.ref) for i in items), "ref", "id", errors)
        customers = lookup(
            session,
            Customer.ref,
            [*(i.customer_ref for i in items), *self.failed_refs()],
            Customer.id,
            Customer.lat,
            Customer.lon,
        )
        self.unknown_customers(customers, errors)
        cols = [getattr(DeliveryOrder, f) for f in EDITABLE]
        existing = lookup(
            session,
            DeliveryOrder.ref,
            (i.ref for i in items),
            DeliveryOrder.id,
            DeliveryOrder.customer_id,
            DeliveryOrder.status,
            DeliveryOrder.version,
            *cols,
        )
        plan: Plan[Item] = Plan()
        for i in items:
            cust = customers.get(i.customer_ref)
            if cust is None:
                errors.append(
                    RowError(
                        i.line, "customer_ref", f"unknown customer {i.customer_ref!r}"
                    )
                )
                continue
            cid, lat, lon = cust
            old = existing.get(i.ref)
            if old is None:
                depot = min(
                    self._depots,
                    key=lambda d: distance_km(d[2], d[3], lat, lon),
                    default=None,
                )
                values = {
                    **i.values,
                    "customer_id": cid,
                    "depot_id": depot[0] if depot else None,
                }
                plan.create.append(i._replace(values=values))
                continue
            if not update:
                errors.append(
                    RowError(
                        i.line,
                        "ref",
                        f"duplicate id {i.ref!r}: already in the database (--update changes it)",
                    )
                )
                continue
            oid, ocid, status, version, *before = old
            if ocid != cid:
                errors.append(
                    RowError(
                        i.line,
                        "customer_ref",
                        f"order {i.ref}'s customer cannot change by import",
                    )
                )
                continue
            changed = diff(i.values, dict(zip(EDITABLE, before, strict=True)))
            if changed and status not in OPEN:
                errors.append(
                    RowError(
                        i.line, "ref", f"order {i.ref} is {status}: it cannot change"
                    )
                )
            elif changed:
                plan.update.append(
                    (
                        i._replace(values={**i.values, "id": oid, "version": version}),
                        Changed(i.line, i.ref, changed),
                    )
                )
            else:
                plan.unchanged += 1
        return plan

    def write(self, session: Session, plan: Plan[Item], actor: str, file: str) -> None:
        ids: dict[str, int] = {}
        relay = DeliveryMode.RELAY.value
        # Relay orders one by one in file order, each admitted before the next is
        # counted (first come, first served on a full relay); the rest in bulk.
        for part in chunks([i for i in plan.create if i.values["mode"] != relay]):
            ids.update(_insert(session, part))
        errors: list[RowError] = []
        for i in plan.create:
            if i.values["mode"] == relay:
                ids.update(_insert(session, [i]))
                order = session.get_one(DeliveryOrder, ids[i.ref])
                try:
                    relays.admit_relay_order(session, order, actor=actor)
                except relays.NoRelayCapacity as exc:
                    errors.append(RowError(i.line, "destination", str(exc)))
        if errors:
            raise WriteRefused(errors)
        for i, c in plan.update:
            session.execute(
                update(DeliveryOrder),
                [
                    {
                        "id": i.values["id"],
                        "version": i.values["version"],
                        **{f: i.values[f] for f in c.fields},
                    }
                ],
            )
        record_many(
            session,
            actor,
            chain(
                (
                    (
                        "delivery_order",
                        ids[i.ref],
                        "import",
                        {"ref": i.ref, "file": file},
                    )
                    for i in plan.create
                ),
                (
                    (
                        "delivery_order",
                        i.values["id"],
                        "update",
                        {"ref": i.ref, "file": file, "fields": list(c.fields)},
                    )
                    for i, c in plan.update
                ),
            ),
        )


def _insert(session: Session, items: Sequence[Item]) -> dict[str, int]:
    stmt = insert(DeliveryOrder).returning(
        DeliveryOrder.id, DeliveryOrder.ref, sort_by_parameter_order=True
    )
    rows = [
        dict(
            ref=i.ref,
            kind="order",
            status="to prepare"
            if i.values["mode"] == DeliveryMode.STORE_PICKUP
            else "new",
            **i.values,
        )
        for i in items
    ]
    return {ref: oid for oid, ref in session.execute(stmt, rows)}
