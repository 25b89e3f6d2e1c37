"""Weeks of history (closed tickets and visits, returned loans, finished deliveries) for KPIs and trends."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from data.base import PARIS as PARIS
from data.demo.base import Gen, local
from data.demo.day import _severity
from data.models import (
    DeliveryOrder,
    Loan,
    RepairTicket,
    Visit,
)

# --- history -------------------------------------------------------------------------


def _history(
    g: Gen,
    customers: list[dict[str, Any]],
    machines: dict[int, dict[str, Any]],
    techs: list[dict[str, Any]],
    tiers: dict[int, str],
    sites: dict[str, list[dict[str, Any]]],
) -> None:
    """Weeks of finished work: closed tickets with visits, finished deliveries, returned loans."""
    tickets, visits, orders, loans = [], [], [], []
    techs_by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in techs:
        techs_by_region[t["region"]].append(t)
    days = [g.day - timedelta(days=k) for k in range(1, 7 * g.scale.history_weeks + 1)]
    days = [d for d in reversed(days) if d.weekday() < 5]
    tid, oid = 400_000, 500_000
    for n_day, d in enumerate(days):
        progress = n_day / max(
            1, len(days) - 1
        )  # service improves slowly over the weeks
        for _ in range(int(g.scale.history_visits_per_day * g.rng.uniform(0.85, 1.1))):
            tid += 1
            c = g.rng.choice(customers)
            tech = g.rng.choice(techs_by_region.get(c["region"]) or techs)
            severity = _severity(g)
            opened = local(d, 9) - timedelta(hours=g.rng.randint(4, 80))
            due = g.rules.sla_due(opened, severity, tiers[c["id"]])
            start = local(d, g.rng.randint(8, 16), g.rng.choice((0, 15, 30, 45)))
            late = g.rng.random() < (0.16 - 0.06 * progress)
            arrived = start + timedelta(
                minutes=g.rng.randint(20, 75) if late else g.rng.randint(-10, 10)
            )
            done = arrived + timedelta(minutes=g.rng.randint(25, 80))
            fixed = g.rng.random() < (0.78 + 0.08 * progress)
            fault = g.rng.choice(list(g.rules.faults))
            tickets.append(
                dict(
                    id=tid,
                    ref=f"R{tid}",
                    customer_id=c["id"],
                    machine_id=machines[c["id"]]["id"],
                    fault=fault,
                    severity=severity,
                    description="",
                    resolution_path="onsite",
                    required_skill=None,
                    duration_min=45,
                    same_day_fix=True,
                    window_start=None,
                    window_end=None,
                    visit_on=d,
                    opened_at=opened,
                    sla_due_at=due,
                    status="closed",
                    loaner_needed=False,
                    technician_id=tech["id"],
                    closed_at=done + timedelta(hours=2),
                    first_time_fix=fixed,
                    version=1,
                )
            )
            visits.append(
                dict(
                    ticket_id=tid,
                    technician_id=tech["id"],
                    visit_on=d,
                    planned_start=start,
                    arrived_at=arrived,
                    completed_at=done,
                    on_time=not late,
                    fixed=fixed,
                    status="done" if fixed else "failed",
                    km=round(g.rng.uniform(6, 55), 1),
                )
            )
        for _ in range(int(g.scale.history_orders_per_day * g.rng.uniform(0.85, 1.1))):
            oid += 1
            c = g.rng.choice(customers)
            mode = g.rng.choices(
                ("home", "store pick-up", "relay point"), (0.5, 0.25, 0.25)
            )[0]
            depot = g.nearest(c["lat"], c["lon"], sites["depot"])[0]
            dest = None
            status, delivered, collected = (
                "delivered",
                local(d, g.rng.randint(9, 17)),
                None,
            )
            if mode == "store pick-up":
                dest = g.nearest(c["lat"], c["lon"], sites["store"])[0]
                status = "collected" if g.rng.random() < 0.94 else "returned to stock"
                delivered = None
                collected = (
                    local(d + timedelta(days=g.rng.randint(0, 5)), 17)
                    if status == "collected"
                    else None
                )
            elif mode == "relay point":
                dest = g.nearest(c["lat"], c["lon"], sites["relay"])[0]
                status = "collected" if g.rng.random() < 0.93 else "returned"
                collected = (
                    local(d + timedelta(days=g.rng.randint(1, 6)), 18)
                    if status == "collected"
                    else None
                )
            elif g.rng.random() < 0.04:
                status, delivered = "failed attempt", None
            orders.append(
                dict(
                    id=oid,
                    ref=f"O{oid}",
                    customer_id=c["id"],
                    kind="order",
                    mode=mode,
                    ticket_id=None,
                    items="",
                    parcels=1,
                    depot_id=depot["id"],
                    destination_site_id=dest["id"] if dest else None,
                    promised_on=d,
                    window_start=None,
                    window_end=None,
                    status=status,
                    attempts=1,
                    created_at=local(d, 8) - timedelta(days=2),
                    ready_at=None,
                    delivered_at=delivered,
                    collected_at=collected,
                    holding_until=None,
                    version=1,
                )
            )
    # Returned loans: the loaner pool's own history.
    loaner_ids = list(range(1, g.scale.loaners + 1))
    lid = 10_000
    for k in range(g.scale.history_visits_per_day):
        lid += 1
        d = g.rng.choice(days)
        tref = tickets[k % len(tickets)]
        lent = local(d, 10)
        loans.append(
            dict(
                id=lid,
                loaner_id=g.rng.choice(loaner_ids),
                ticket_id=tref["id"],
                customer_id=tref["customer_id"],
                from_site_id=sites["depot"][0]["id"],
                lent_at=lent,
                due_on=(lent + timedelta(days=14)).date(),
                returned_at=lent + timedelta(days=g.rng.randint(5, 18)),
                returned_to_site_id=sites["depot"][0]["id"],
                reminders_sent=0,
            )
        )
    g.add(RepairTicket, tickets)
    g.add(Visit, visits)
    g.add(DeliveryOrder, orders)
    g.add(Loan, loans)
