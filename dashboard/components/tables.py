"""Rows for ``st.dataframe``: the store, loaner and ticket pages' tables.

Each function turns service answers (frozen dataclasses) into a list of plain
dicts, with times in Paris time. ``st.dataframe`` shows cell values as text, so
customer-typed values need no escaping here; anything shown through markdown,
HTML or a map popup goes through ``dashboard.components.service_layers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from data.base import PARIS as PARIS
from dispatch.deliveries.store_bags import Bag
from dispatch.views.loaners import LoanerRow, OverdueRow, SitePool
from dispatch.views.store import OpenLoan, StoreLoaner, WaitingBag
from dispatch.views.tickets import TicketLine
from dispatch.views.vocabulary import EventRow

__all__ = [
    "PARIS",
    "bag_records",
    "event_records",
    "hhmm",
    "loaner_records",
    "open_loan_records",
    "overdue_records",
    "paris",
    "pool_records",
    "state_totals",
    "ticket_records",
    "waiting_records",
]

Record = dict[str, Any]


def paris(at: datetime | None, fmt: str = "%d %b %H:%M") -> str:
    """An aware datetime in Paris time ("" for None)."""
    return "" if at is None else at.astimezone(PARIS).strftime(fmt)


def hhmm(at: datetime | None) -> str:
    return paris(at, "%H:%M")


def bag_records(bags: Iterable[Bag], day: date) -> list[Record]:
    """Bags to prepare, in preparation order; ``Late`` when promised before ``day``."""
    return [
        {
            "Collect by": paris(b.deadline_at),
            "Order": b.ref,
            "Customer": b.customer,
            "Phone": b.phone,
            "Items": b.items,
            "Parcels": b.parcels,
            "Tier": b.tier,
            "Priority": b.score,
            "Late": b.promised_on < day,
        }
        for b in bags
    ]


def waiting_records(bags: Iterable[WaitingBag]) -> list[Record]:
    return [
        {
            "Order": b.ref,
            "Customer": b.customer,
            "Phone": b.phone,
            "Items": b.items,
            "Parcels": b.parcels,
            "Ready since": paris(b.ready_at),
            "Held until": b.holding_until,
        }
        for b in bags
    ]


def loaner_records(loaners: Iterable[StoreLoaner | LoanerRow]) -> list[Record]:
    out = []
    for x in loaners:
        row: Record = {
            "Loaner": x.code,
            "Model": x.model,
            "Family": x.model_family,
            "State": x.state,
        }
        if isinstance(x, LoanerRow):
            row["Site"] = x.site_code
            row["Ticket"] = x.ticket_ref or ""
            row["Due"] = x.due_on
        else:
            row["Condition"] = x.condition
        out.append(row)
    return out


def open_loan_records(loans: Iterable[OpenLoan]) -> list[Record]:
    return [
        {
            "Loaner": x.loaner_code,
            "Family": x.model_family,
            "Ticket": x.ticket_ref,
            "Customer": x.customer,
            "Phone": x.phone,
            "E-mail": x.email,
            "Lent": paris(x.lent_at, "%d %b %Y"),
            "Due": x.due_on,
            "Days overdue": x.days_overdue,
        }
        for x in loans
    ]


def overdue_records(rows: Iterable[OverdueRow]) -> list[Record]:
    return [
        {
            "Days overdue": r.days_overdue,
            "Due": r.due_on,
            "Loaner": r.loaner_code,
            "Family": r.model_family,
            "Lent by": r.site_code,
            "Ticket": r.ticket_ref,
            "Customer": r.customer,
            "Phone": r.phone,
            "E-mail": r.email,
        }
        for r in rows
    ]


POOL_STATES = ("available", "reserved", "lent", "in transit", "cleaning")


def pool_records(pools: Iterable[SitePool]) -> list[Record]:
    """One row per site: its counts by state (retired left out) and the total."""
    return [
        {
            "Site": p.code,
            "Name": p.name,
            "Kind": p.kind,
            "Region": p.region,
            **{s.capitalize(): p.count(s) for s in POOL_STATES},
            "Total": p.total,
        }
        for p in pools
    ]


def state_totals(pools: Sequence[SitePool]) -> list[Record]:
    """Network (or scope) totals by state, for the chart: [{"State", "Loaners"}]."""
    return [
        {"State": s, "Loaners": sum(p.count(s) for p in pools)} for s in POOL_STATES
    ]


def ticket_records(lines: Iterable[TicketLine]) -> list[Record]:
    return [
        {
            "Ticket": x.row.ref,
            "Customer": x.row.customer,
            "Region": x.row.region,
            "Tier": x.row.tier,
            "Status": x.row.status.value,
            "Severity": x.row.severity,
            "Path": x.row.resolution_path or "",
            "SLA": x.sla.label if x.sla else "",
            "Due": paris(x.row.sla_due_at),
            "Business h left": (
                round(x.row.business_hours_left, 1)
                if x.row.business_hours_left is not None and x.sla is not None
                else None
            ),
            "Opened": paris(x.row.opened_at, "%d %b %Y"),
        }
        for x in lines
    ]


def event_records(events: Iterable[EventRow]) -> list[Record]:
    return [
        {
            "When": paris(e.at, "%d %b %Y %H:%M"),
            "From": e.from_state or "",
            "To": e.to_state,
            "By": e.actor,
            "Why": e.why,
        }
        for e in events
    ]
