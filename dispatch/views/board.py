"""Services behind the dispatcher board: the job table, stop details, route sheets,
"remove a visit from the day", which plan is the day's current one, what-if rows.

Everything returns small frozen dataclasses or plain dicts (the dashboard caches
them with ``st.cache_data``, which pickles). The planner itself lives in
``dispatch.planning.plans`` / ``dispatch.planning.runs``; this module only reads around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from data.audit import record
from data.models import (
    Courier,
    Customer,
    LoyaltyAccount,
    Plan,
    PlanPin,
    RepairTicket,
    Site,
    Technician,
)
from dispatch.planning import plans as planning
from dispatch.planning.builder import (
    PARIS,
    PLANNABLE_STATES,
    JobMeta,
    Variant,
    repair_jobs,
)
from dispatch.priority.score import planning_now
from repairs import lifecycle
from repairs.states import TicketState

__all__ = [
    "SLA_STATUSES",
    "WEIGHT_PRESETS",
    "JobRow",
    "PlanChoice",
    "StopDetail",
    "VehicleInfo",
    "compare_rows",
    "current_plan_id",
    "default_day",
    "diff_rows",
    "filter_jobs",
    "job_rows",
    "next_working_day",
    "plan_status",
    "published_plan_id",
    "remove_from_day",
    "route_sheet",
    "sla_status",
    "stop_details",
    "variant_plans",
    "vehicle_info",
]

#: SLA status of a job as seen at the start of the planning day, most urgent first.
SLA_STATUSES = ("breached", "due today", "due tomorrow", "later", "no SLA")


@dataclass(frozen=True, slots=True)
class JobRow:
    """One visit to plan, as the board's table and map show it."""

    ref: str
    ticket_id: int | None
    customer: str
    address: str
    town: str
    region: str
    lat: float
    lon: float
    label: str
    skill: str
    duration_min: int
    window: str  # "09:00-12:00" local, or ""
    sla_due: str  # "2026-11-24 15:00" local, or ""
    sla_status: str  # one of SLA_STATUSES
    tier: str
    severity: str
    score: int
    explanation: str
    pinned_to: str  # "tech:<id>" or ""


@dataclass(frozen=True, slots=True)
class StopDetail:
    """What a route sheet or a popup says about one job of a plan."""

    ref: str
    customer: str
    phone: str
    address: str
    town: str
    lat: float
    lon: float
    label: str
    skill: str
    window: str
    tier: str


@dataclass(frozen=True, slots=True)
class VehicleInfo:
    id: int
    name: str
    home_lat: float
    home_lon: float
    break_minutes: int
    region: str = ""
    active: bool = True


# --- days ---------------------------------------------------------------------------


def next_working_day(day: date) -> date:
    """``day`` itself on Monday-Friday, else the following Monday."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def default_day(session: Session, today: date) -> date:
    """The day a dispatcher most likely wants: the first working day from ``today``
    with visits wanted, else the next working day."""
    first = session.scalar(
        select(func.min(RepairTicket.visit_on)).where(
            RepairTicket.resolution_path == "onsite",
            RepairTicket.status.in_(PLANNABLE_STATES),
            RepairTicket.visit_on >= today,
        )
    )
    return next_working_day(first or today)


# --- the job table --------------------------------------------------------------------


def _window_text(window: tuple[datetime, datetime] | None) -> str:
    return f"{planning.hhmm(window[0])}-{planning.hhmm(window[1])}" if window else ""


def sla_status(due: datetime | None, day: date) -> str:
    """Where a due time stands against the planning day (seen at its 07:00)."""
    if due is None:
        return "no SLA"
    local = due.astimezone(PARIS)
    if local < planning_now(day):
        return "breached"
    if local.date() <= day:
        return "due today"
    if local.date() == day + timedelta(days=1):
        return "due tomorrow"
    return "later"


def _metas(session: Session, day: date, region: str | None, kind: str) -> list[JobMeta]:
    if kind == "technicians":
        return [m for _, m in repair_jobs(session, day, region, Variant())]
    return list(planning.build_day(session, kind, day, region).jobs.values())


def job_rows(
    session: Session, day: date, region: str | None = None, kind: str = "technicians"
) -> list[JobRow]:
    """The jobs to plan on ``day`` (one region or the whole country): on-site visits
    for ``technicians``, delivery stops for ``couriers``; with their priority score
    and its explanation, most urgent first."""
    rows = []
    for m in _metas(session, day, region, kind):
        # a delivery has no SLA of its own: its promised window's end is its due time
        due = m.sla_due_at or (
            m.window[1] if kind != "technicians" and m.window else None
        )
        rows.append(
            JobRow(
                ref=m.ref,
                ticket_id=m.ticket_id,
                customer=m.customer,
                address=m.address,
                town=m.town,
                region=m.region,
                lat=m.lat,
                lon=m.lon,
                label=m.label,
                skill=m.skill or "",
                duration_min=m.duration_min,
                window=_window_text(m.window),
                sla_due=due.astimezone(PARIS).strftime("%Y-%m-%d %H:%M") if due else "",
                sla_status=sla_status(due, day),
                tier=m.tier,
                severity=m.severity or "",
                score=m.score,
                explanation=m.explanation,
                pinned_to=m.pinned_to or "",
            )
        )
    rows.sort(key=lambda r: (-r.score, r.ref))
    return rows


def filter_jobs(
    rows: Iterable[JobRow],
    *,
    tiers: Sequence[str] = (),
    skills: Sequence[str] = (),
    regions: Sequence[str] = (),
    sla: Sequence[str] = (),
    text: str = "",
) -> list[JobRow]:
    """Rows matching every non-empty filter (``text``: customer, town or ref, any case)."""
    needle = text.strip().lower()
    return [
        r
        for r in rows
        if (not tiers or r.tier in tiers)
        and (not skills or r.skill in skills)
        and (not regions or r.region in regions)
        and (not sla or r.sla_status in sla)
        and (not needle or needle in f"{r.customer} {r.town} {r.ref}".lower())
    ]


# --- plans -------------------------------------------------------------------------------


def current_plan_id(
    session: Session, kind: str, day: date, region: str | None
) -> int | None:
    """The day's plan to show: the newest of the published plan and the main-line drafts
    (what-if variants, which carry a label, are only shown when compared)."""
    q = (
        select(Plan.id)
        .where(
            Plan.kind == kind,
            Plan.plan_date == day,
            Plan.region.is_(None) if region is None else Plan.region == region,
            or_(
                Plan.status == "published",
                (Plan.status == "draft") & (Plan.label == ""),
            ),
        )
        .order_by(Plan.id.desc())
        .limit(1)
    )
    return session.scalars(q).first()


def stop_details(session: Session, view: planning.PlanView) -> dict[str, StopDetail]:
    """job ref -> customer, address, position... for every job of ``view`` (routed or not).

    A routed stop is drawn where the plan sent the vehicle (the coordinates and label the
    plan saved), not where the customer lives today; only what the plan did not keep
    (phone, address lines, unplaced jobs) is read from the current rows.
    """
    planned = {s.job_ref: s for r in view.routes for s in r.stops if s.lat is not None}
    if view.kind != "technicians":
        out = {}
        if view.unassigned or len(planned) < sum(len(r.stops) for r in view.routes):
            day = planning.build_day(session, view.kind, view.day, view.region)
            out = {m.ref: _detail(m) for m in day.jobs.values()}
        for ref, st in planned.items():
            base = out.get(ref)
            out[ref] = StopDetail(
                ref=ref,
                customer=base.customer if base else st.label,
                phone=base.phone if base else "",
                address=base.address if base else "",
                town=base.town if base else "",
                lat=float(st.lat or 0.0),
                lon=float(st.lon or 0.0),
                label=base.label if base else st.label,
                skill=base.skill if base else "",
                window=base.window if base else "",
                tier=base.tier if base else "Member",
            )
        return out
    ids = {s.ticket_id for r in view.routes for s in r.stops if s.ticket_id}
    ids |= {u.ticket_id for u in view.unassigned if u.ticket_id}
    out = {}
    if not ids:
        return out

    q = (
        select(RepairTicket, Customer, LoyaltyAccount.tier)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
        .where(RepairTicket.id.in_(sorted(ids)))
    )
    for t, c, tier in session.execute(q):
        win = None
        if t.window_start and t.window_end:
            win = (t.window_start, t.window_end)
        ref = f"T{t.id}"
        st = planned.get(ref)
        out[ref] = StopDetail(
            ref=ref,
            customer=c.name,
            phone=c.phone or "",
            address=c.address,
            town=c.town,
            lat=float(st.lat) if st and st.lat is not None else c.lat,
            lon=float(st.lon) if st and st.lon is not None else c.lon,
            label=f"{t.fault.replace('_', ' ')} · {t.severity}",
            skill=t.required_skill or "",
            window=_window_text(win),
            tier=tier or "Member",
        )
    return out


def _detail(m: JobMeta) -> StopDetail:
    return StopDetail(
        ref=m.ref,
        customer=m.customer,
        phone="",
        address=m.address,
        town=m.town,
        lat=m.lat,
        lon=m.lon,
        label=m.label,
        skill=m.skill or "",
        window=_window_text(m.window),
        tier=m.tier,
    )


def vehicle_info(session: Session, kind: str = "technicians") -> dict[int, VehicleInfo]:
    """Technician (or courier) id -> name, home/depot position and break length."""
    if kind == "technicians":
        return {
            t.id: VehicleInfo(
                t.id,
                t.name,
                t.home_lat,
                t.home_lon,
                t.break_minutes,
                t.region,
                t.active,
            )
            for t in session.scalars(
                select(Technician).order_by(Technician.region, Technician.name)
            )
        }
    depots = {s.id: s for s in session.scalars(select(Site))}
    out = {}
    for c in session.scalars(select(Courier).order_by(Courier.name)):
        d = depots.get(c.depot_id)
        out[c.id] = VehicleInfo(
            c.id,
            c.name,
            d.lat if d else 0.0,
            d.lon if d else 0.0,
            c.break_minutes,
            d.region if d else "",
            c.active,
        )
    return out


def route_sheet(
    view: planning.PlanView, details: dict[str, StopDetail]
) -> list[dict[str, str]]:
    """One row per stop, every route: ``planning.route_sheet_rows`` plus who and where."""

    def describe(s: planning.StopView) -> dict[str, str]:
        d = details.get(s.job_ref)
        if d is None:
            return {
                "customer": "",
                "phone": "",
                "address": "",
                "town": "",
                "job": s.job_ref,
                "skill": "",
                "window": "",
            }
        return {
            "customer": d.customer,
            "phone": d.phone,
            "address": d.address,
            "town": d.town,
            "job": d.label,
            "skill": d.skill,
            "window": d.window,
        }

    return planning.route_sheet_rows(view, describe)


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
    actor: str,
    why: str = "removed from the day by the dispatcher",
) -> date:
    """Take a visit off ``day``: it is wanted on the next working day instead, back in
    the queue (``triaged``), and its pin for ``day`` is dropped. Returns the new day.

    Raises LookupError for a job that is not a repair ticket of this database.
    """
    if not job_ref.startswith("T") or not job_ref[1:].isdigit():
        raise LookupError(f"{job_ref!r} is not a repair visit")
    ticket = session.get(RepairTicket, int(job_ref[1:]))
    if ticket is None:
        raise LookupError(f"repair ticket {job_ref[1:]} does not exist")
    new_day = next_working_day(day + timedelta(days=1))
    if ticket.status == TicketState.SCHEDULED:
        lifecycle.transition(
            session, ticket.id, TicketState.TRIAGED, actor=actor, why=f"{why} ({day})"
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
        actor,
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
    session: Session, kind: str, day: date, region: str | None
) -> list[PlanChoice]:
    """The what-if plans of a day (labelled drafts, and any published one), newest first."""
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
    session: Session, kind: str, day: date, region: str | None
) -> int | None:
    """The day's published plan, if any."""
    return planning.latest_plan_id(session, kind, day, region, status="published")


def plan_status(session: Session, plan_id: int) -> str:
    """``draft``, ``published``, ``superseded``, or ``missing``."""
    return session.scalar(select(Plan.status).where(Plan.id == plan_id)) or "missing"
