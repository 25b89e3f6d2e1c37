"""Store pick-up bags: what a store prepares for a day, marking bags ready and collected.

Store staff are bound to their store: every function that changes a store's bags
takes the acting user and the store's id, refuses a user of another store
(``AccessDenied``) and another store's order (:class:`WrongStore`); dispatchers may
act for any store (or through :func:`dispatch.deliveries.flows.transition`). The preparation sheet exists as
CSV text and as a print-friendly HTML page; every customer-typed value in the
page goes through ``html.escape``.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.enums import DeliveryMode, Role
from data.models import Customer, DeliveryOrder, LoyaltyAccount, Site
from dispatch.access.roles import Principal, check_role, check_store_access
from dispatch.deliveries import flows as deliveries
from dispatch.deliveries.flows import OrderChange, OrderState
from dispatch.priority import score as prio
from dispatch.priority.score import planning_now

__all__ = [
    "Bag",
    "WrongStore",
    "bags_to_prepare",
    "mark_collected",
    "mark_ready",
    "sheet_csv",
    "sheet_html",
]

SHEET_COLUMNS = (
    "deadline",
    "order",
    "customer",
    "phone",
    "items",
    "parcels",
    "tier",
    "priority",
    "status",
)


class WrongStore(PermissionError):
    """Store staff reached for another store's order."""


@dataclass(frozen=True, slots=True)
class Bag:
    """One bag to prepare. ``deadline_at`` is the customer's collection time."""

    order_id: int
    ref: str
    customer: str
    phone: str
    items: str
    parcels: int
    deadline_at: datetime
    promised_on: date
    tier: str
    score: int
    explanation: str
    status: str


def _store(session: Session, store_id: int) -> Site:
    site = session.get(Site, store_id)
    if site is None or site.kind != "store":
        raise LookupError(f"site {store_id} is not a store")
    return site


def bags_to_prepare(
    session: Session, store_id: int, day: date, *, actor: Principal
) -> list[Bag]:
    """Bags the store prepares for ``day``: its pick-up orders still "to prepare" that are
    promised that day or earlier, ordered by collection time, then priority (highest
    first), then ref. For the store's own staff or a dispatcher (``AccessDenied``)."""
    _check_user(actor, store_id)
    store = _store(session, store_id)
    now = planning_now(day)
    q = (
        select(DeliveryOrder, Customer, LoyaltyAccount.tier)
        .join(Customer, Customer.id == DeliveryOrder.customer_id)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
        .where(
            DeliveryOrder.mode == DeliveryMode.STORE_PICKUP.value,
            DeliveryOrder.destination_site_id == store.id,
            DeliveryOrder.status == OrderState.TO_PREPARE.value,
            DeliveryOrder.promised_on <= day,
        )
    )
    bags = []
    for o, c, tier in session.execute(q).tuples():
        tier = tier or "Member"
        p = prio.score(
            prio.PriorityInput(
                kind="delivery",
                tier=tier,
                promised_on=o.promised_on,
                waiting_since=min(o.created_at, now),
                now=now,
            )
        )
        deadline = o.window_start or datetime.combine(
            o.promised_on, store.closes_at or time(19), tzinfo=PARIS
        )
        bags.append(
            Bag(
                o.id,
                o.ref,
                c.name,
                c.phone or "",
                o.items,
                o.parcels,
                deadline,
                o.promised_on,
                tier,
                p.score,
                p.explanation,
                o.status,
            )
        )
    bags.sort(key=lambda b: (b.deadline_at, -b.score, b.ref))
    return bags


def _check_user(actor: Principal, store_id: int) -> None:
    check_role(actor, Role.STORE_STAFF, Role.DISPATCHER)
    check_store_access(actor, store_id)


def _check(session: Session, order_id: int | str, store_id: int) -> DeliveryOrder:
    order = deliveries.find_order(session, order_id)
    if order.mode != DeliveryMode.STORE_PICKUP.value:
        raise WrongStore(
            f"order {order.ref} is a {order.mode} order, not a store pick-up"
        )
    if order.destination_site_id != store_id:
        mine = session.get(Site, store_id)
        theirs = (
            session.get(Site, order.destination_site_id)
            if order.destination_site_id
            else None
        )
        raise WrongStore(
            f"order {order.ref} is for store {theirs.code if theirs else '?'}, not for your store "
            f"{mine.code if mine else store_id}: store staff act on their own store's orders only"
        )
    return order


def mark_ready(
    session: Session,
    order_id: int | str,
    *,
    store_id: int,
    actor: Principal,
    at: datetime | None = None,
) -> OrderChange:
    """The bag is prepared: to prepare -> ready; the customer is notified (audit log + message).

    Raises ``AccessDenied`` for a user of another store (or role), ``WrongStore`` for
    another store's order and ``IllegalTransition`` if not "to prepare".
    """
    _check_user(actor, store_id)
    _check(session, order_id, store_id)
    return deliveries.transition(
        session, order_id, OrderState.READY, actor=actor, at=at
    )


def mark_collected(
    session: Session,
    order_id: int | str,
    *,
    store_id: int,
    actor: Principal,
    at: datetime | None = None,
) -> OrderChange:
    """The customer took the bag: ready -> collected (``AccessDenied`` / ``WrongStore`` /
    ``IllegalTransition``)."""
    _check_user(actor, store_id)
    _check(session, order_id, store_id)
    return deliveries.transition(
        session, order_id, OrderState.COLLECTED, actor=actor, at=at
    )


def _row(b: Bag) -> dict[str, str]:
    return {
        "deadline": b.deadline_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M"),
        "order": b.ref,
        "customer": b.customer,
        "phone": b.phone,
        "items": b.items,
        "parcels": str(b.parcels),
        "tier": b.tier,
        "priority": str(b.score),
        "status": b.status,
    }


def sheet_csv(bags: list[Bag]) -> str:
    """The preparation sheet as CSV text (header + one row per bag, in preparation order)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SHEET_COLUMNS, lineterminator="\n")
    w.writeheader()
    for b in bags:
        w.writerow(_row(b))
    return buf.getvalue()


def sheet_html(store_name: str, day: date, bags: list[Bag]) -> str:
    """A print-friendly page: one table row per bag, a tick box to prepare and to hand over."""
    esc = html.escape
    head = "".join(
        f"<th>{esc(c)}</th>" for c in (*SHEET_COLUMNS, "prepared", "collected")
    )
    rows = []
    for b in bags:
        r = _row(b)
        cells = "".join(f"<td>{esc(r[c])}</td>" for c in SHEET_COLUMNS)
        rows.append(
            f"<tr>{cells}<td class='box'>&#9744;</td><td class='box'>&#9744;</td></tr>"
        )
    parcels = sum(b.parcels for b in bags)
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>Bags {esc(store_name)} {day.isoformat()}</title>"
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
        "th,td{border:1px solid #444;padding:4px 6px;font-size:11pt;text-align:left;vertical-align:top}"
        "th{background:#eee}.box{text-align:center;font-size:14pt}"
        "@media print{body{margin:0}tr{page-break-inside:avoid}}</style></head><body>"
        f"<h1>Bags to prepare · {esc(store_name)} · {day.isoformat()}</h1>"
        f"<p>{len(bags)} bags, {parcels} parcels, in preparation order (collection time, then priority).</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</body></html>\n"
    )
