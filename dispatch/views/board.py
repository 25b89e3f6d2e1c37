"""Services behind the dispatcher board: the job table, stop details, route sheets,
"remove a visit from the day", which plan is the day's current one, what-if rows.

Everything returns small frozen dataclasses or plain dicts (the dashboard caches
them with ``st.cache_data``, which pickles). The planner itself lives in
``dispatch.planning.plans`` / ``dispatch.planning.runs``; this module only reads around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.enums import Role
from data.models import (
    Courier,
    Customer,
    LoyaltyAccount,
    Plan,
    RepairTicket,
    Site,
    Technician,
)
from dispatch import labels
from dispatch.access.roles import Principal, check_role
from dispatch.planning import plans as planning
from dispatch.planning.builder import (
    PARIS,
    PLANNABLE_STATES,
    JobMeta,
    Variant,
    repair_jobs,
)
from dispatch.priority.score import class_name, planning_now
from dispatch.views.board_plans import (
    WEIGHT_PRESETS as WEIGHT_PRESETS,
)
from dispatch.views.board_plans import (
    PlanChoice as PlanChoice,
)
from dispatch.views.board_plans import (
    compare_rows as compare_rows,
)
from dispatch.views.board_plans import (
    diff_rows as diff_rows,
)
from dispatch.views.board_plans import (
    plan_status as plan_status,
)
from dispatch.views.board_plans import (
    published_plan_id as published_plan_id,
)
from dispatch.views.board_plans import (
    remove_from_day as remove_from_day,
)
from dispatch.views.board_plans import (
    variant_plans as variant_plans,
)
from dispatch.views.board_types import (
    SLA_STATUSES as SLA_STATUSES,
)
from dispatch.views.board_types import (
    JobRow as JobRow,
)
from dispatch.views.board_types import (
    StopDetail as StopDetail,
)
from dispatch.views.board_types import (
    VehicleInfo as VehicleInfo,
)
from dispatch.views.board_types import (
    next_working_day as next_working_day,
)

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


def default_day(session: Session, today: date, *, actor: Principal) -> date:
    """The day a dispatcher most likely wants: the first working day from ``today``
    with visits wanted, else the next working day."""
    check_role(actor, Role.DISPATCHER)
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
    session: Session,
    day: date,
    region: str | None = None,
    kind: str = "technicians",
    *,
    actor: Principal,
) -> list[JobRow]:
    """The jobs to plan on ``day`` (one region or the whole country): on-site visits
    for ``technicians``, delivery stops for ``couriers``; with their priority score
    and its explanation, most urgent first."""
    check_role(actor, Role.DISPATCHER)
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
                skill=labels.skill(m.skill) if m.skill else "",
                duration_min=m.duration_min,
                window=_window_text(m.window),
                sla_due=labels.when(due),
                sla_status=sla_status(due, day),
                tier=m.tier,
                severity=m.severity or "",
                score=m.score,
                explanation=m.explanation,
                pinned_to=m.pinned_to or "",
                reference=m.shown,
                priority_class=class_name(m.priority_class),
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
        and (
            not needle
            or needle in f"{r.customer} {r.town} {r.reference} {r.ref}".lower()
        )
    ]


# --- plans -------------------------------------------------------------------------------


def current_plan_id(
    session: Session, kind: str, day: date, region: str | None, *, actor: Principal
) -> int | None:
    """The day's plan to show: the newest of the published plan and the main-line drafts
    (what-if variants, which carry a label, are only shown when compared)."""
    check_role(actor, Role.DISPATCHER)
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


def stop_details(
    session: Session,
    view: planning.PlanView,
    *,
    actor: Principal,
    jobs: Sequence[JobRow] | None = None,
) -> dict[str, StopDetail]:
    """job ref -> customer, address, position... for every job of ``view`` (routed or not).

    A routed stop is drawn where the plan sent the vehicle (the coordinates and label the
    plan saved), not where the customer lives today; only what the plan did not keep
    (phone, address lines, unplaced jobs) is read from the current rows.

    ``jobs``: :func:`job_rows` of the plan's kind, day and region when the caller has
    them; a courier plan's day is then not built a second time (0.25 s of a region's
    Deliveries page).
    """
    check_role(actor, Role.DISPATCHER)
    planned = {s.job_ref: s for r in view.routes for s in r.stops if s.lat is not None}
    if view.kind != "technicians":
        out = {}
        if view.unassigned or len(planned) < sum(len(r.stops) for r in view.routes):
            if jobs is not None:
                out = {r.ref: _row_detail(r) for r in jobs}
            else:
                day = planning.build_day(session, view.kind, view.day, view.region)
                out = {m.ref: _detail(m) for m in day.jobs.values()}
        for ref, st in planned.items():
            base = out.get(ref)
            out[ref] = StopDetail(
                ref=ref,
                reference=base.reference if base else st.label,
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
        kept = planned.get(ref)
        out[ref] = StopDetail(
            ref=ref,
            reference=t.ref or f"R{t.id}",
            customer=c.name,
            phone=labels.phone(c.phone),
            address=c.address,
            town=c.town,
            lat=float(kept.lat) if kept and kept.lat is not None else c.lat,
            lon=float(kept.lon) if kept and kept.lon is not None else c.lon,
            label=f"{labels.fault(t.fault)} · {labels.severity(t.severity)}",
            skill=labels.skill(t.required_skill),
            window=_window_text(win),
            tier=tier or "Member",
        )
    return out


def _detail(m: JobMeta) -> StopDetail:
    return StopDetail(
        ref=m.ref,
        reference=m.shown,
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


def _row_detail(r: JobRow) -> StopDetail:
    """What :func:`_detail` gives, from the job table's row of the same job."""
    return StopDetail(
        ref=r.ref,
        reference=r.reference,
        customer=r.customer,
        phone="",
        address=r.address,
        town=r.town,
        lat=r.lat,
        lon=r.lon,
        label=r.label,
        skill=r.skill,
        window=r.window,
        tier=r.tier,
    )


def vehicle_info(
    session: Session, kind: str = "technicians", *, actor: Principal
) -> dict[int, VehicleInfo]:
    """Technician (or courier) id -> name, home/depot position and break length."""
    check_role(actor, Role.DISPATCHER)
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
                "job": s.label or "",
                "skill": "",
                "window": "",
            }
        return {
            "customer": d.customer,
            "phone": d.phone,
            "address": d.address,
            "town": d.town,
            "job": f"{d.reference} · {d.label}" if d.reference else d.label,
            "skill": d.skill,
            "window": d.window,
        }

    return planning.route_sheet_rows(view, describe)
