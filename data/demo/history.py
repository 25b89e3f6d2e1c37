"""Weeks of history (closed tickets and visits, returned loans, finished deliveries) for KPIs and trends."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from data.base import PARIS as PARIS
from data.demo.base import Gen, local
from data.demo.day import _severity
from data.models import (
    DeliveryOrder,
    Loan,
    Loaner,
    LoanerEvent,
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
    tickets, visits, orders = [], [], []
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
            status = "delivered"
            delivered: datetime | None = local(d, g.rng.randint(9, 17))
            collected: datetime | None = None
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
    g.add(RepairTicket, tickets)
    g.add(Visit, visits)
    g.add(DeliveryOrder, orders)
    _loan_history(g, customers, machines, tiers, sites, days)


# --- the loaner pool's history -------------------------------------------------------

#: Loaner families that stand in for a machine family, best first (as loaner_pool.policy;
#: data may not import it).
_STANDS_IN = {
    "espresso_manual": ("espresso_manual", "bean_to_cup"),
    "bean_to_cup": ("bean_to_cup",),
    "capsule": ("capsule",),
    "milk_frother": ("milk_frother",),
}
#: Workshop tickets by weekday (Monday first): Monday's calls after the weekend.
_WEEKDAY = (1.25, 1.1, 1.0, 0.9, 0.75, 0.0, 0.0)


def _loan_history(
    g: Gen,
    customers: list[dict[str, Any]],
    machines: dict[int, dict[str, Any]],
    tiers: dict[int, str],
    sites: dict[str, list[dict[str, Any]]],
    days: list[date],
) -> None:
    """Weeks of workshop repairs, simulated day by day on today's pool.

    Each workshop ticket asks the store or depot nearest the customer; it lends a
    loaner of a standing-in family that is back from cleaning, or refuses (the ticket
    keeps ``loaner_needed`` and has no loan: a historic refusal). Loans last a workshop
    repair (8-20 days, due after 14), then the loaner is cleaned (0-2 days). A loan that
    would end after the demo day ends the evening before, so the pool the demo day shows
    is the one this history leaves.
    """
    holders = sites["depot"] + sites["store"]
    pool: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for lid, fam, sid in g.s.execute(
        select(Loaner.id, Loaner.model_family, Loaner.site_id).where(
            Loaner.state != "retired"
        )
    ).tuples():
        pool[sid].append((lid, fam))
    free: dict[int, date] = {}
    near: dict[int, dict[str, Any]] = {}
    tickets, loans, events = [], [], []
    tid, lid_seq = 600_000, 20_000
    rate = g.scale.loaners / 60
    last = g.day - timedelta(days=1)
    for d in days:
        for _ in range(round(rate * _WEEKDAY[d.weekday()] * g.rng.uniform(0.6, 1.4))):
            tid += 1
            c = g.rng.choice(customers)
            site = near.get(c["id"])
            if site is None:
                site = near[c["id"]] = g.nearest(c["lat"], c["lon"], holders)[0]
            fam = machines[c["id"]]["model_family"]
            opened = local(d, g.rng.randint(9, 17))
            lend_day = min(last, d + timedelta(days=g.rng.choice((0, 0, 1, 2))))
            pick = None
            for want in _STANDS_IN.get(fam, (fam,)):
                pick = next(
                    (
                        x
                        for x, f in pool[site["id"]]
                        if f == want and free.get(x, d) <= lend_day
                    ),
                    None,
                )
                if pick is not None:
                    break
            back = lend_day + timedelta(days=g.rng.randint(8, 20))
            closed = local(min(last, back), 16)
            tickets.append(
                dict(
                    id=tid,
                    ref=f"R{tid}",
                    customer_id=c["id"],
                    machine_id=machines[c["id"]]["id"],
                    fault=g.rng.choice(("pump", "brewing_unit", "leak")),
                    severity="high",
                    description="Machine sent to the workshop",
                    resolution_path="workshop",
                    required_skill=None,
                    duration_min=60,
                    same_day_fix=False,
                    window_start=None,
                    window_end=None,
                    visit_on=lend_day,
                    opened_at=opened,
                    sla_due_at=g.rules.sla_due(opened, "high", tiers[c["id"]]),
                    status="closed",
                    loaner_needed=True,
                    technician_id=None,
                    closed_at=closed,
                    first_time_fix=True,
                    version=1,
                )
            )
            if pick is None:
                continue
            returned = min(last, back)
            ready = returned + timedelta(days=g.rng.choice((0, 1, 1, 2)))
            free[pick] = ready + timedelta(days=1)
            lid_seq += 1
            lent_at = local(lend_day, 10)
            back_at = local(returned, 15)
            ready_at = local(ready, 18) if ready < g.day else g.now - timedelta(hours=1)
            loans.append(
                dict(
                    id=lid_seq,
                    loaner_id=pick,
                    ticket_id=tid,
                    customer_id=c["id"],
                    from_site_id=site["id"],
                    lent_at=lent_at,
                    due_on=lend_day + timedelta(days=14),
                    returned_at=back_at,
                    returned_to_site_id=site["id"],
                    reminders_sent=0,
                )
            )
            for at, a, b, what in (
                (lent_at, "available", "lent", f"lent for ticket R{tid}"),
                (back_at, "lent", "cleaning", f"returned from ticket {tid}; descaling"),
                (ready_at, "cleaning", "available", "cleaned and descaled"),
            ):
                events.append(
                    dict(
                        loaner_id=pick,
                        at=at,
                        actor="demo",
                        from_state=a,
                        to_state=b,
                        site_id=site["id"],
                        detail=what,
                    )
                )
    g.add(RepairTicket, tickets)
    g.add(Loan, loans)
    g.add(LoanerEvent, events)
