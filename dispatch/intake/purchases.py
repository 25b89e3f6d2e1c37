"""Purchases with their lines: one CSV row per line, grouped into orders by ``order_ref``.

Every line of an order must name the same customer, day and channel; an order
number already recorded is refused (purchases are history: ``--update`` does not
change them). The order's taxed and pre-tax totals are the sums of its lines;
the pre-tax one is what the perk cycle's discounts apply to.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from typing import Any, NamedTuple

from pydantic import Field
from sqlalchemy import insert
from sqlalchemy.orm import Session

from data.audit import record_many
from data.models import Customer, PurchaseLine, PurchaseOrder
from dispatch.intake import values as v
from dispatch.intake.csvfile import RowError
from dispatch.intake.kinds import CustomerRefs, Kind, Plan, chunks, lookup, register
from dispatch.intake.rows import ImportRow

CENT = Decimal("0.01")
CATEGORIES = {
    "capsules": "capsules",
    "capsule": "capsules",
    "coffee": "coffee",
    "café": "coffee",
    "beans": "coffee",
    "machine": "machine",
    "accessory": "accessory",
    "accessoire": "accessory",
    "descaling": "descaling",
    "détartrage": "descaling",
}
CHANNELS = {
    "online": "online",
    "web": "online",
    "store": "store",
    "magasin": "store",
    "phone": "phone",
    "téléphone": "phone",
}
FOOD = ("capsules", "coffee")  # 5.5 % VAT unless the file says otherwise


class PurchaseRow(ImportRow):
    """One line of a purchase; repeat ``order_ref`` for each line of the same order."""

    order_ref: v.Ref("W-2026-000123") = Field(  # type: ignore[valid-type]
        description="the order number; lines of one order share it"
    )
    customer_ref: v.Ref("C000123") = Field(description="a customer already imported")  # type: ignore[valid-type]
    ordered_on: v.Day = Field(description="the day of the purchase")
    channel: v.Choice(CHANNELS, "online") = Field(description="where it was bought")  # type: ignore[valid-type]
    product: v.Text(80, "Capsules Ristretto") = Field(description="product name")  # type: ignore[valid-type]
    category: v.Choice(CATEGORIES, "capsules") = Field(  # type: ignore[valid-type]
        description="capsules (counted one by one), coffee, machine, accessory, descaling (a kit)"
    )
    quantity: v.Count = Field(description="units; capsules are counted one by one")
    unit_price: v.Decimal = Field(
        description="price of one unit in euros, tax included"
    )
    variety: v.Text(60, "Ristretto") | None = Field(  # type: ignore[valid-type]
        None, description="the coffee's variety"
    )
    vat_rate: v.Decimal | None = Field(
        None,
        description="VAT in percent (default 5.5 for capsules and coffee, 20 otherwise)",
    )


class Item(NamedTuple):
    line: int
    order_ref: str
    customer_ref: str
    head: tuple[Any, ...]  # (ordered_on, channel): the same on every line of an order
    values: dict[str, Any]


@register
class Purchases(CustomerRefs, Kind[Item]):
    name = "purchases"
    row_model = PurchaseRow
    entity = "purchase_order"
    id_field = "order_ref"
    summary = "purchase lines"

    def row(self, line: int, row: Any, errors: list[RowError]) -> Item | None:
        r: PurchaseRow = row
        price = Decimal(str(r.unit_price)).quantize(CENT, ROUND_HALF_UP)
        if price < 0:
            errors.append(
                RowError(
                    line, "unit_price", f"a price cannot be negative ({r.unit_price})"
                )
            )
        vat = (
            Decimal(str(r.vat_rate))
            if r.vat_rate is not None
            else (Decimal("5.5") if r.category in FOOD else Decimal("20"))
        )
        if not 0 <= vat <= 30:
            errors.append(
                RowError(line, "vat_rate", f"VAT must be between 0 and 30 %, not {vat}")
            )
        if errors and errors[-1].line == line:
            self.invalid(line, {"customer_ref": r.customer_ref})
            return None
        incl = (price * r.quantity).quantize(CENT)
        excl = (incl * 100 / (100 + vat)).quantize(CENT, ROUND_HALF_UP)
        return Item(
            line,
            r.order_ref,
            r.customer_ref,
            (r.ordered_on, r.channel),
            dict(
                product=r.product,
                category=r.category,
                variety=r.variety,
                quantity=r.quantity,
                unit_price=price,
                vat_rate=vat,
                amount_excl=excl,
                amount_incl=incl,
            ),
        )

    def resolve(
        self, session: Session, items: list[Item], update: bool, errors: list[RowError]
    ) -> Plan[Item]:
        customers = lookup(
            session,
            Customer.ref,
            [*(i.customer_ref for i in items), *self.failed_refs()],
            Customer.id,
        )
        self.unknown_customers(customers, errors)
        known = lookup(
            session, PurchaseOrder.ref, (i.order_ref for i in items), PurchaseOrder.id
        )
        first: dict[str, Item] = {}
        plan: Plan[Item] = Plan()
        for i in items:
            if i.customer_ref not in customers:
                errors.append(
                    RowError(
                        i.line, "customer_ref", f"unknown customer {i.customer_ref!r}"
                    )
                )
                continue
            if i.order_ref in known:
                errors.append(
                    RowError(
                        i.line,
                        "order_ref",
                        f"order {i.order_ref!r} is already recorded (purchases are not changed by import)",
                    )
                )
                continue
            head = first.setdefault(i.order_ref, i)
            if (head.customer_ref, head.head) != (i.customer_ref, i.head):
                errors.append(
                    RowError(
                        i.line,
                        "order_ref",
                        f"order {i.order_ref!r} has another customer, day or channel on line {head.line}",
                    )
                )
                continue
            plan.create.append(
                i._replace(
                    values={**i.values, "customer_id": customers[i.customer_ref][0]}
                )
            )
        return plan

    def write(self, session: Session, plan: Plan[Item], actor: str, file: str) -> None:
        orders: dict[str, list[Item]] = defaultdict(list)
        for i in plan.create:
            orders[i.order_ref].append(i)
        heads = [
            dict(
                ref=ref,
                customer_id=lines[0].values["customer_id"],
                ordered_on=lines[0].head[0],
                channel=lines[0].head[1],
                amount=sum((x.values["amount_incl"] for x in lines), Decimal(0)),
                amount_excl=sum((x.values["amount_excl"] for x in lines), Decimal(0)),
            )
            for ref, lines in orders.items()
        ]
        for part in chunks(heads):
            session.execute(insert(PurchaseOrder), list(part))
        ids = {
            ref: row[0]
            for ref, row in lookup(
                session, PurchaseOrder.ref, orders, PurchaseOrder.id
            ).items()
        }
        rows = [
            dict(
                order_id=ids[i.order_ref],
                **{k: val for k, val in i.values.items() if k != "customer_id"},
            )
            for i in plan.create
        ]
        for part in chunks(rows):
            session.execute(insert(PurchaseLine), list(part))
        record_many(
            session,
            actor,
            chain(
                (
                    "purchase_order",
                    ids[ref],
                    "import",
                    {"ref": ref, "file": file, "lines": len(lines)},
                )
                for ref, lines in orders.items()
            ),
        )
