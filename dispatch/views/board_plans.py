"""Board services about whole plans: comparing two, what-if variants, published ids, taking a visit off the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.audit import record
from data.enums import Role
from data.models import (
    Plan,
    PlanPin,
    RepairTicket,
)
from dispatch.access.roles import Principal, acting, check_role
from dispatch.planning import plans as planning
from dispatch.views.board_types import StopDetail, next_working_day
from repairs import lifecycle
from repairs.states import TicketState


def compare_rows(a: planning.PlanView, b: planning.PlanView) -> list[dict[str, str]]:
    """KPIs of two plans side by side (rows: measure; columns: measure, a, b, difference)."""
    ka, kb = planning.kpis(a), planning.kpis(b)
    rows = [
        {
            "measure": "Jobs placed",
            "a": f"{ka.jobs_placed}/{ka.jobs_total}",
            "b": f"{kb.jobs_placed}/{kb.jobs_total}",
            "change": f"{kb.jobs_placed - ka.jobs_placed:+d}",
        },
        {
            "measure": "Kilometres",
            "a": f"{ka.km:,.0f}",
            "b": f"{kb.km:,.0f}",
            "change": f"{kb.km - ka.km:+,.0f}",
        },
        {
            "measure": "Technicians used",
            "a": str(ka.vehicles_used),
            "b": str(kb.vehicles_used),
            "change": f"{kb.vehicles_used - ka.vehicles_used:+d}",
        },
        {
            "measure": "Priority served",
            "a": f"{ka.priority_served_pct:.1f} %",
            "b": f"{kb.priority_served_pct:.1f} %",
            "change": f"{kb.priority_served_pct - ka.priority_served_pct:+.1f} pt",
        },
    ]
    for tier in sorted(set(ka.sla_met_by_tier) | set(kb.sla_met_by_tier)):
        rows.append(
            {
                "measure": f"SLA met · {tier}",
                "a": ka.sla_met_by_tier.get(tier, "-"),
                "b": kb.sla_met_by_tier.get(tier, "-"),
                "change": "",
            }
        )
    return rows


def diff_rows(
    diff: planning.PlanDiff, details: dict[str, StopDetail]
) -> list[dict[str, str]]:
    """The changes of a re-plan as table rows: change, visit, customer, from, to / why."""

    def who(ref: str) -> str:
        d = details.get(ref)
        return f"{d.customer} ({d.town})" if d else ""

    rows = [
        {"change": "moved", "visit": j, "customer": who(j), "from": a, "to / why": b}
        for j, a, b in diff.moved
    ]
    rows += [
        {"change": "added", "visit": j, "customer": who(j), "from": "", "to / why": v}
        for j, v in diff.added
    ]
    rows += [
        {
            "change": "dropped",
            "visit": j,
            "customer": who(j),
            "from": "",
            "to / why": why,
        }
        for j, why in diff.dropped
    ]
    return rows


# --- dispatcher actions ------------------------------------------------------------------


def remove_from_day(
    session: Session,
    day: date,
    job_ref: str,
    *,
    actor: Principal,
    why: str = "removed from the day by the dispatcher",
) -> date:
    """Take a visit off ``day``: it is wanted on the next working day instead, back in
    the queue (``triaged``), and its pin for ``day`` is dropped. Returns the new day.

    Raises LookupError for a job that is not a repair ticket of this database.
    """
    name = acting(actor, Role.DISPATCHER)
    if not job_ref.startswith("T") or not job_ref[1:].isdigit():
        raise LookupError(f"{job_ref!r} is not a repair visit")
    ticket = session.get(RepairTicket, int(job_ref[1:]))
    if ticket is None:
        raise LookupError(f"repair ticket {job_ref[1:]} does not exist")
    new_day = next_working_day(day + timedelta(days=1))
    if ticket.status == TicketState.SCHEDULED:
        lifecycle.transition(
            session, ticket.id, TicketState.TRIAGED, actor=name, why=f"{why} ({day})"
        )
        ticket.technician_id = None
    ticket.visit_on = new_day
    session.execute(
        delete(PlanPin).where(
            PlanPin.plan_date == day,
            PlanPin.job_ref == job_ref,
            PlanPin.kind == "technicians",
        )
    )
    session.flush()
    record(
        session,
        name,
        "ticket",
        ticket.id,
        "remove_from_day",
        day=day,
        moved_to=new_day,
        why=why,
    )
    return new_day


# --- what-if ---------------------------------------------------------------------------

#: Named priority-weight overrides a dispatcher can try (``Variant.weights``).
WEIGHT_PRESETS: dict[str, dict[str, object]] = {
    "Default weights": {},
    "SLA first": {"overdue": 100, "due_soon": 70, "today": 40, "tomorrow": 15},
    "Loyalty first": {"tier": {"Member": 0, "Silver": 20, "Gold": 40, "Platinum": 60}},
    "Severity first": {
        "severity": {"low": 0, "normal": 15, "high": 45, "critical": 80}
    },
}


@dataclass(frozen=True, slots=True)
class PlanChoice:
    id: int
    label: str
    status: str
    jobs_placed: int
    jobs_total: int


def variant_plans(
    session: Session, kind: str, day: date, region: str | None, *, actor: Principal
) -> list[PlanChoice]:
    """The what-if plans of a day (labelled drafts, and any published one), newest first."""
    check_role(actor, Role.DISPATCHER)
    q = (
        select(Plan)
        .where(
            Plan.kind == kind,
            Plan.plan_date == day,
            Plan.region.is_(None) if region is None else Plan.region == region,
            Plan.label != "",
        )
        .order_by(Plan.id.desc())
        .limit(20)
    )
    return [
        PlanChoice(
            p.id,
            p.label,
            p.status,
            int((p.stats or {}).get("jobs_placed", 0)),
            int((p.stats or {}).get("jobs_total", 0)),
        )
        for p in session.scalars(q)
    ]


def published_plan_id(
    session: Session, kind: str, day: date, region: str | None, *, actor: Principal
) -> int | None:
    """The day's published plan, if any."""
    check_role(actor, Role.DISPATCHER)
    return planning.latest_plan_id(session, kind, day, region, status="published")


def plan_status(session: Session, plan_id: int, *, actor: Principal) -> str:
    """``draft``, ``published``, ``superseded``, or ``missing``."""
    check_role(actor, Role.DISPATCHER)
    return session.scalar(select(Plan.status).where(Plan.id == plan_id)) or "missing"
