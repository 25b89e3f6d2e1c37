"""The demo day: repair tickets to visit, loaners in the pool and out, delivery orders."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from data.base import PARIS as PARIS
from data.demo.base import MODELS, Gen, local
from data.demo.base import depot_place as _depot_place
from data.demo.names import FAMILY_WEIGHTS, SEVERITIES
from data.gazetteer import nearest_depot
from data.models import (
    DeliveryOrder,
    Loan,
    Loaner,
    LoanerEvent,
    RepairTicket,
    TicketEvent,
)

# --- the demo day ---------------------------------------------------------------


def _severity(g: Gen) -> str:
    return g.rng.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES])[0]


def _day_tickets(
    g: Gen,
    customers: list[dict[str, Any]],
    machines: dict[int, dict[str, Any]],
    tiers: dict[int, str],
    techs: list[dict[str, Any]],
) -> None:
    """Open tickets: the day's on-site visits, plus remote fixes and workshop repairs.

    Each region gets visits in proportion to its population (exactly, not by chance),
    and technicians were staffed by workload (see ``_workload``), so the day fits.
    """
    tickets: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    quota = g.spread(g.scale.day_visits, {r: float(g.region_pop[r]) for r in g.regions})
    in_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in customers:
        in_region[c["region"]].append(c)
    onsite: Counter[str] = Counter()
    used: set[int] = set()
    while sum(onsite.values()) < g.scale.day_visits:
        c = g.rng.choice(customers)
        if c["id"] in used or onsite[c["region"]] >= quota.get(c["region"], 0):
            continue
        used.add(c["id"])
        m = machines[c["id"]]
        fault = g.rng.choice(list(g.rules.faults))
        tri = g.rules.triage(fault, m["model_family"])
        if tri.path == "onsite":
            onsite[c["region"]] += 1
        elif g.rng.random() < 0.7:  # keep the day's mix mostly on-site
            continue
        severity = _severity(g)
        # Tickets wait about as long as their tier's SLA allows: a Platinum call came in
        # yesterday, a Member's may be four days old.
        oldest_h = {"Platinum": 20, "Gold": 40, "Silver": 60}.get(tiers[c["id"]], 96)
        opened = g.now - timedelta(hours=g.rng.randint(3, oldest_h))
        tid = 100_000 + len(tickets) + 1
        status = {
            "onsite": "triaged",
            "remote": "remote fix",
            "workshop": "awaiting pickup",
        }[tri.path]
        ws = we = None
        visit_on = None
        if tri.path == "onsite":
            visit_on = g.day
            slot = (
                g.rng.random()
            )  # half the customers ask for a morning or an afternoon
            if slot < 0.22:
                ws, we = local(g.day, 8), local(g.day, 12)
            elif slot < 0.44:
                ws, we = local(g.day, 13), local(g.day, 17, 30)
            elif slot < 0.5:
                h = g.rng.choice((8, 10, 14))
                ws, we = local(g.day, h), local(g.day, h + 3)
        tickets.append(
            dict(
                id=tid,
                ref=f"R{tid}",
                customer_id=c["id"],
                machine_id=m["id"],
                fault=fault,
                severity=severity,
                description=_description(g, fault),
                resolution_path=tri.path,
                required_skill=tri.skill,
                duration_min=tri.duration_min,
                same_day_fix=tri.same_day,
                window_start=ws,
                window_end=we,
                visit_on=visit_on,
                opened_at=opened,
                sla_due_at=g.rules.sla_due(opened, severity, tiers[c["id"]]),
                status=status,
                loaner_needed=tri.path == "workshop" or not tri.same_day,
                technician_id=None,
                closed_at=None,
                first_time_fix=None,
                version=1,
            )
        )
        events.append(
            dict(
                ticket_id=tid,
                at=opened,
                actor="demo",
                from_state=None,
                to_state="new",
                why="opened by phone",
            )
        )
        events.append(
            dict(
                ticket_id=tid,
                at=opened + timedelta(minutes=20),
                actor="demo",
                from_state="new",
                to_state="triaged",
                why=f"triage: {fault}",
            )
        )
        if status != "triaged":
            events.append(
                dict(
                    ticket_id=tid,
                    at=opened + timedelta(minutes=25),
                    actor="demo",
                    from_state="triaged",
                    to_state=status,
                    why="resolution path " + tri.path,
                )
            )
    g.add(RepairTicket, tickets)
    g.add(TicketEvent, events)


def _description(g: Gen, fault: str) -> str:
    notes = {
        "leak": "Water under the machine after each coffee",
        "descaling": "Descaling light stays on; coffee lukewarm",
        "grinder_jam": "Grinder makes noise, no coffee comes out",
        "milk_system": "Milk froth too thin, steam wand sputters",
        "no_power": "Machine does not switch on",
        "pump": "Pump loud, little water",
        "display_error": "Display shows error E07",
        "brewing_unit": "Brewing unit stuck",
        "noise": "Rattling noise when brewing",
    }
    return notes.get(fault, "Customer reports a fault") + g.rng.choice(
        ("", ". Call before coming.", ". Digicode 4B12.", "")
    )


def _loaners(
    g: Gen,
    sites: dict[str, list[dict[str, Any]]],
    customers: list[dict[str, Any]],
    machines: dict[int, dict[str, Any]],
    tiers: dict[int, str],
) -> None:
    """The pool: most available, some out with workshop customers, a few overdue."""
    holders = sites["depot"] + sites["store"]
    fams = list(FAMILY_WEIGHTS)
    rows = []
    for i in range(1, g.scale.loaners + 1):
        fam = g.rng.choices(fams, [FAMILY_WEIGHTS[f] for f in fams])[0]
        site = holders[i % len(holders)] if i % 3 else g.rng.choice(sites["depot"])
        state = g.rng.choices(
            ("available", "cleaning", "in transit", "retired"), (0.9, 0.05, 0.03, 0.02)
        )[0]
        rows.append(
            dict(
                id=i,
                code=f"LN-{i:04d}",
                model=g.rng.choice(MODELS[fam]),
                model_family=fam,
                condition=g.rng.choice(("good", "good", "fair")),
                state=state,
                site_id=site["id"],
                version=1,
            )
        )
    # Machines at the workshop, each with a loaner at the customer's home.
    n_out = max(3, g.scale.loaners // 5)
    loans, tickets, events = [], [], []
    avail = [r for r in rows if r["state"] == "available"]
    for k in range(n_out):
        loaner = avail[k]
        c = customers[(k * 7919) % len(customers)]
        lent = g.now - timedelta(days=g.rng.randint(2, 20))
        due = (lent + timedelta(days=14)).date()
        tid = 200_000 + k + 1
        tri_fault = g.rng.choice(("pump", "brewing_unit", "leak"))
        tickets.append(
            dict(
                id=tid,
                ref=f"R{tid}",
                customer_id=c["id"],
                machine_id=machines[c["id"]]["id"],
                fault=tri_fault,
                severity="high",
                description="Machine sent to the workshop",
                resolution_path="workshop",
                required_skill="espresso_unit",
                duration_min=60,
                same_day_fix=False,
                window_start=None,
                window_end=None,
                visit_on=None,
                opened_at=lent - timedelta(days=1),
                sla_due_at=g.rules.sla_due(
                    lent - timedelta(days=1), "high", tiers[c["id"]]
                ),
                status="at workshop",
                loaner_needed=True,
                technician_id=None,
                closed_at=None,
                first_time_fix=None,
                version=1,
            )
        )
        loaner["state"] = "lent"
        loans.append(
            dict(
                id=k + 1,
                loaner_id=loaner["id"],
                ticket_id=tid,
                customer_id=c["id"],
                from_site_id=loaner["site_id"],
                lent_at=lent,
                due_on=due,
                returned_at=None,
                returned_to_site_id=None,
                reminders_sent=0,
            )
        )
        events.append(
            dict(
                loaner_id=loaner["id"],
                at=lent,
                actor="demo",
                from_state="available",
                to_state="lent",
                site_id=loaner["site_id"],
                detail=f"lent for ticket R{tid}",
            )
        )
    g.add(Loaner, rows)
    g.add(RepairTicket, tickets)
    g.add(Loan, loans)
    g.add(LoanerEvent, events)


def _day_orders(
    g: Gen, customers: list[dict[str, Any]], sites: dict[str, list[dict[str, Any]]]
) -> None:
    """The day's orders: home deliveries, store pick-up bags and relay-point drops."""
    rows = []
    relay_load: Counter[int] = Counter()
    items = (
        "Beans 1 kg",
        "Descaler kit",
        "Milk jug",
        "Capsules x50",
        "Water filter",
        "Cups set",
        "Grinder burr set",
        "Tamper",
        "Cleaning tablets",
    )
    for i in range(1, g.scale.day_orders + 1):
        c = g.rng.choice(customers)
        mode = g.rng.choices(
            ("home", "store pick-up", "relay point"), (0.5, 0.25, 0.25)
        )[0]
        depot = nearest_depot(
            c["lat"], c["lon"], c["region"], sites["depot"], _depot_place
        )
        dest = None
        ws = we = None
        status = "new"
        if mode == "home":
            h = g.rng.choice((8, 10, 12, 14, 16, 8, 13))
            span = 2 if h not in (8, 13) else 4
            ws, we = local(g.day, h), local(g.day, min(h + span, 18))
        elif mode == "store pick-up":
            dest = g.nearest(c["lat"], c["lon"], sites["store"])[0]
            h = g.rng.randint(11, 18)
            ws, we = local(g.day, h), local(g.day, 19)
            status = "to prepare"
        else:
            for relay in g.nearest(c["lat"], c["lon"], sites["relay"])[:10]:
                if relay_load[relay["id"]] < relay["relay_daily_capacity"]:
                    dest = relay
                    relay_load[relay["id"]] += 1
                    break
            if dest is None:  # all nearby relays full: deliver home instead
                mode = "home"
                ws, we = local(g.day, 8), local(g.day, 18)
        n = g.rng.choice((1, 1, 1, 2, 2, 3))
        rows.append(
            dict(
                id=i,
                ref=f"O{300_000 + i}",
                customer_id=c["id"],
                kind="order",
                mode=mode,
                ticket_id=None,
                items=", ".join(g.rng.sample(items, min(n, len(items)))),
                parcels=n,
                depot_id=depot["id"],
                destination_site_id=dest["id"] if dest else None,
                promised_on=g.day,
                window_start=ws,
                window_end=we,
                status=status,
                attempts=0,
                created_at=g.now - timedelta(days=g.rng.randint(1, 4)),
                ready_at=None,
                delivered_at=None,
                collected_at=None,
                holding_until=None,
                version=1,
            )
        )
    g.add(DeliveryOrder, rows)
