"""Database rows of one day -> a pure ``routing.Problem``, plus the way back to rows.

The builder is where datetimes become seconds from the day's 00:00 (Paris time),
priorities become solver weights, and technicians/tickets become string ids. A
:class:`DayProblem` carries the :class:`JobMeta`/:class:`VehicleMeta` needed to
persist and display the answer without asking the database again.

One file because the technician day's vehicles and jobs and the conversions both the
courier builder and the saved plans use (seconds, priorities, metas) are read together;
it stays a little over 500 lines rather than split the conversions from their one user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.base import PARIS as PARIS
from data.models import (
    Customer,
    LoyaltyAccount,
    PlanPin,
    RepairTicket,
    Site,
    Technician,
    TechnicianAbsence,
    VisitBooking,
)
from dispatch import labels
from dispatch.planning.availability import shift_on
from dispatch.priority import score as prio
from dispatch.priority.score import planning_now
from repairs.triage import SKILLS
from routing import Break, Job, Problem, TimeWindow, Vehicle

PLANNABLE_STATES = ("triaged", "scheduled")
TIEBREAK = 100  # solver weight = priority weight x 100 + slack rank (0..99)
PINNED_CLASS = len(prio.CLASS_NAMES)
"""The routing class of a pinned visit: above every priority class of a score.
A visit booked with the customer (``VisitBooking``, window on the day) has it too:
a promised window is the last thing a plan drops."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobMeta:
    """What the dispatcher sees of a routing job."""

    ref: str  # routing job id: "T<ticket id>", "D<order id>", "S<site id>"...
    reference: str = (
        ""  # what people read: the ticket's reference "R100004", the order's
    )
    ticket_id: int | None = None
    delivery_ids: tuple[int, ...] = ()
    site_id: int | None = None
    label: str = ""  # "Leak · Maestro B2C 7"
    customer: str = ""
    address: str = ""
    town: str = ""
    region: str = ""
    lat: float = 0.0
    lon: float = 0.0
    skill: str | None = None
    duration_min: int = 0
    window: tuple[datetime, datetime] | None = None
    sla_due_at: datetime | None = None
    tier: str = "Member"
    severity: str | None = None
    score: int = 0
    priority_class: int = 0
    explanation: str = ""
    pinned_to: str | None = None
    refused: str = ""  # contradictory data: left out with this reason, never solved

    @property
    def shown(self) -> str:
        """The name readers see: the reference, else the label (never the routing id)."""
        return self.reference or self.label or self.ref


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleMeta:
    ref: str  # routing vehicle id: "tech:<id>" / "van:<id>"
    technician_id: int | None = None
    courier_id: int | None = None
    name: str = ""
    region: str = ""
    home: tuple[float, float] = (0.0, 0.0)
    idle: str = ""  # contradictory shift or break: idle all day, for this reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    """A what-if: more or fewer technicians, other priority weights."""

    label: str = ""
    extra_technicians: int = 0
    extra_region: str = ""  # where the extra technicians work ("": the busiest region)
    absent: tuple[int, ...] = ()  # technician ids off sick
    weights: Mapping[str, Any] = field(
        default_factory=dict
    )  # overrides of priority.toml tables

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Variant:
        d = dict(d or {})
        return cls(
            label=str(d.get("label", "")),
            extra_technicians=int(d.get("extra_technicians", 0)),
            extra_region=str(d.get("extra_region", "") or ""),
            absent=tuple(int(x) for x in d.get("absent", ())),
            weights=dict(d.get("weights", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "extra_technicians": self.extra_technicians,
            "extra_region": self.extra_region,
            "absent": list(self.absent),
            "weights": dict(self.weights),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DayProblem:
    day: date
    kind: str
    region: str | None
    problem: Problem
    jobs: Mapping[str, JobMeta]
    vehicles: Mapping[str, VehicleMeta]
    labels: Mapping[str, str] = field(
        default_factory=dict
    )  # vehicle ref -> region (for partitioning)
    refused: Mapping[str, str] = field(
        default_factory=dict
    )  # job ref -> why (bad data)
    idle: Mapping[str, str] = field(
        default_factory=dict
    )  # vehicle ref -> why (bad data)

    def to_local(self, seconds: int) -> datetime:
        return seconds_to_local(self.day, seconds)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=PARIS)


def to_seconds(day: date, at: datetime | time) -> int:
    """Seconds from ``day``'s 00:00 Paris time (wall clock, so DST days stay right)."""
    if isinstance(at, time):
        return at.hour * 3600 + at.minute * 60 + at.second
    local = at.astimezone(PARIS)
    return int(
        (local.replace(tzinfo=None) - datetime.combine(day, time(0))).total_seconds()
    )


def seconds_to_local(day: date, seconds: int) -> datetime:
    return (datetime.combine(day, time(0)) + timedelta(seconds=seconds)).replace(
        tzinfo=PARIS
    )


def weights_for(variant: Variant) -> prio.PriorityWeights:
    base = prio.load_weights()
    return prio.with_weights(base, **variant.weights) if variant.weights else base


def solver_weight(p: prio.Priority, slack: timedelta | None) -> int:
    """Strictly increasing in score; among equal scores, less SLA slack weighs more."""
    hours = 10_000.0 if slack is None else slack.total_seconds() / 3600
    rank = max(0, min(TIEBREAK - 1, int(TIEBREAK - 1 - max(hours, 0) / 2)))
    return p.weight * TIEBREAK + rank


def technician_vehicles(
    session: Session, day: date, region: str | None, variant: Variant
) -> list[tuple[Vehicle, VehicleMeta, tuple[float, float]]]:
    """The technicians working ``day`` (shift, break, skills, home), as routing vehicles."""
    q = select(Technician).where(Technician.active.is_(True)).order_by(Technician.id)
    if region:
        q = q.where(Technician.region == region)
    absent = set(
        session.scalars(
            select(TechnicianAbsence.technician_id).where(
                TechnicianAbsence.on_date == day
            )
        )
    )
    absent |= set(variant.absent)
    sites = {s.id: s for s in session.scalars(select(Site).where(Site.kind == "depot"))}
    shifts = {
        t.id: shift
        for t in session.scalars(q)
        if (shift := shift_on(t, day)) is not None
    }
    techs = [t for t in session.scalars(q) if t.id in shifts and t.id not in absent]
    out = []
    for t in techs:
        home = (
            (sites[t.home_site_id].lat, sites[t.home_site_id].lon)
            if t.home_site_id in sites
            else (t.home_lat, t.home_lon)
        )
        out.append(_tech_vehicle(t, f"tech:{t.id}", t.name, home, shifts[t.id]))
    # What-if extra technicians: clones of the busiest regions' profile, based at their depots.
    pool = techs
    if variant.extra_technicians and techs:
        wanted = variant.extra_region or _busiest_region(session, day, region)
        pool = [t for t in techs if t.region == wanted] or techs
    for k in range(variant.extra_technicians):
        if not pool:
            break
        model = pool[k % len(pool)]
        depot = next((s for s in sites.values() if s.region == model.region), None)
        home = (depot.lat, depot.lon) if depot else (model.home_lat, model.home_lon)
        v, meta, loc = _tech_vehicle(
            model, f"tech:new{k + 1}", f"Extra technician {k + 1}", home
        )
        out.append((replace(v, skills=frozenset(SKILLS)), meta, loc))
    return out


def _busiest_region(session: Session, day: date, region: str | None) -> str:
    """The region with the most on-site visits wanted ``day`` (where an extra pair of hands helps)."""
    from sqlalchemy import func

    q = (
        select(Customer.region, func.count(RepairTicket.id))
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .where(
            RepairTicket.resolution_path == "onsite",
            RepairTicket.status.in_(PLANNABLE_STATES),
            RepairTicket.visit_on == day,
        )
        .group_by(Customer.region)
        .order_by(func.count(RepairTicket.id).desc())
    )
    if region:
        q = q.where(Customer.region == region)
    row = session.execute(q.limit(1)).first()
    return str(row[0]) if row else (region or "")


def _tech_vehicle(
    t: Technician,
    ref: str,
    name: str,
    home: tuple[float, float],
    hours: tuple[time, time] | None = None,
) -> tuple[Vehicle, VehicleMeta, tuple[float, float]]:
    """The technician as a vehicle; a contradictory shift or break makes them idle, saying why."""
    try:
        return _checked_vehicle(t, ref, name, home, hours)
    except ValueError:
        why = (
            f"shift ends before it starts ({t.shift_start:%H:%M}–{t.shift_end:%H:%M})"
            if t.shift_end <= t.shift_start
            else f"break {t.break_earliest:%H:%M}–{t.break_latest:%H:%M} of "
            f"{t.break_minutes} min does not fit the shift {t.shift_start:%H:%M}–{t.shift_end:%H:%M}"
        )
        v = Vehicle(id=ref, start=0, end=0, shift=TimeWindow(start_s=0, end_s=0))
        meta = VehicleMeta(
            ref=ref,
            technician_id=t.id if ref == f"tech:{t.id}" else None,
            name=name,
            region=t.region,
            home=home,
            idle=why,
        )
        return v, meta, home


def _checked_vehicle(
    t: Technician,
    ref: str,
    name: str,
    home: tuple[float, float],
    hours: tuple[time, time] | None = None,
) -> tuple[Vehicle, VehicleMeta, tuple[float, float]]:
    start, end = hours or (t.shift_start, t.shift_end)
    shift = TimeWindow(
        start_s=to_seconds(date.min, start),
        end_s=to_seconds(date.min, end),
    )
    # The break as set; on a day the weekly pattern shortens (a Saturday morning, the
    # daily limit) it is clipped to the shift, and a shift under 6 h has none. A
    # contradictory break on the normal shift still raises (the technician stays idle).
    b_start = to_seconds(date.min, t.break_earliest)
    b_end = to_seconds(date.min, t.break_latest)
    if hours is not None and hours != (t.shift_start, t.shift_end):
        b_start, b_end = max(b_start, shift.start_s), min(b_end, shift.end_s)
        keep = b_end - b_start >= t.break_minutes * 60 and (
            shift.end_s - shift.start_s >= 6 * 3600
        )
    else:
        keep = True
    breaks = (
        (
            Break(
                window=TimeWindow(start_s=b_start, end_s=b_end),
                duration_s=t.break_minutes * 60,
            ),
        )
        if t.break_minutes and keep  # a 0-minute Break is invalid
        else ()
    )
    v = Vehicle(
        id=ref,
        start=0,
        end=0,  # locations are wired by assemble()
        shift=shift,
        breaks=breaks,
        skills=frozenset(t.skills or ()),
        cost_per_km=t.cost_per_km,
        cost_per_hour=t.cost_per_hour,
        max_visits=t.max_visits,
        group=t.region,  # workload balance evens hours within a region
    )
    meta = VehicleMeta(
        ref=ref,
        technician_id=t.id if ref == f"tech:{t.id}" else None,
        name=name,
        region=t.region,
        home=home,
    )
    return v, meta, home


def repair_jobs(
    session: Session,
    day: date,
    region: str | None,
    variant: Variant,
    *,
    only: int | None = None,
) -> list[tuple[Job, JobMeta]]:
    """On-site tickets to plan on ``day``: wanted that day, or overdue and still unplanned."""
    weights = weights_for(variant)
    now = planning_now(day)
    q = (
        select(RepairTicket, Customer, LoyaltyAccount.tier)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
        .where(
            RepairTicket.resolution_path == "onsite",
            RepairTicket.status.in_(PLANNABLE_STATES),
            or_(
                RepairTicket.visit_on == day,
                RepairTicket.visit_on.is_(None),
                (RepairTicket.visit_on < day) & (RepairTicket.status == "triaged"),
            ),
        )
        .order_by(RepairTicket.id)
    )
    if region:
        q = q.where(Customer.region == region)
    if only is not None:
        q = q.where(RepairTicket.id == only)
    pins = {
        p.job_ref: p
        for p in session.scalars(
            select(PlanPin).where(
                PlanPin.plan_date == day, PlanPin.kind == "technicians"
            )
        )
    }
    booked = set(
        session.scalars(select(VisitBooking.ticket_id).where(VisitBooking.day == day))
    )
    out = []
    for t, c, tier in session.execute(q):
        tier = tier or "Member"
        inp = prio.PriorityInput(
            kind="repair",
            tier=tier,
            severity=t.severity,
            sla_due_at=t.sla_due_at,
            waiting_since=min(t.opened_at, now),
            now=now,
        )
        p = prio.score(inp, weights)
        ref = f"T{t.id}"
        windows: tuple[TimeWindow, ...] = ()
        win = None
        refused = ""
        if t.window_start and t.window_end and t.window_end <= t.window_start:
            refused = (
                f"its window ends before it starts ({labels.when(t.window_start)} – "
                f"{labels.when(t.window_end)})"
            )
        elif (
            t.window_start
            and t.window_end
            and t.window_start.astimezone(PARIS).date() == day
        ):
            win = (t.window_start, t.window_end)
            windows = (
                TimeWindow(
                    start_s=to_seconds(day, t.window_start),
                    end_s=to_seconds(day, t.window_end),
                ),
            )
        pin = pins.get(ref)
        pinned_start = None
        if pin and (pin.not_before or pin.not_after):
            lo = to_seconds(day, pin.not_before) if pin.not_before else 0
            hi = to_seconds(day, pin.not_after) if pin.not_after else 24 * 3600
            pinned_start = TimeWindow(start_s=max(lo, 0), end_s=max(lo, hi, 0))
        pinned_vehicle = (
            f"tech:{pin.technician_id}" if pin and pin.technician_id else None
        )
        job = Job(
            id=ref,
            location=0,
            service_s=t.duration_min * 60,
            windows=windows,
            skills=frozenset({t.required_skill}) if t.required_skill else frozenset(),
            priority=solver_weight(p, inp.slack),
            # a dispatcher's pin, or a window booked with the customer, outranks
            # every score: it is planned first
            priority_class=PINNED_CLASS
            if pin or (win is not None and t.id in booked)
            else p.priority_class,
            pinned_vehicle=pinned_vehicle,
            pinned_start=pinned_start,
        )
        meta = JobMeta(
            ref=ref,
            reference=t.ref or f"R{t.id}",
            ticket_id=t.id,
            label=f"{labels.fault(t.fault)} · {labels.severity(t.severity)}",
            customer=c.name,
            address=c.address,
            town=c.town,
            region=c.region,
            lat=c.lat,
            lon=c.lon,
            skill=t.required_skill,
            duration_min=t.duration_min,
            window=win,
            sla_due_at=t.sla_due_at,
            tier=tier,
            severity=t.severity,
            score=p.score,
            priority_class=p.priority_class,
            explanation=p.explanation,
            pinned_to=pinned_vehicle,
            refused=refused,
        )
        out.append((job, meta))
    return out


def assemble(
    day: date,
    kind: str,
    region: str | None,
    vehicles: list[tuple[Vehicle, VehicleMeta, tuple[float, float]]],
    jobs: list[tuple[Job, JobMeta]],
    job_locations: Mapping[str, tuple[float, float]] | None = None,
) -> DayProblem:
    """Number the locations and wire vehicles and jobs to them; drop pins to absent vehicles."""
    locations: list[tuple[float, float]] = []
    index: dict[tuple[float, float], int] = {}

    def loc(p: tuple[float, float]) -> int:
        key = (round(p[0], 6), round(p[1], 6))
        if key not in index:
            index[key] = len(locations)
            locations.append(key)
        return index[key]

    vs = []
    for v, vm, home in vehicles:
        if vm.idle:
            continue
        i = loc(home)
        vs.append(replace(v, start=i, end=i))
    known = {v.id for v in vs}
    js = []
    for j, m in jobs:
        if m.refused:
            continue
        where = (job_locations or {}).get(j.id, (m.lat, m.lon))
        pv = j.pinned_vehicle if j.pinned_vehicle in known else None
        js.append(replace(j, location=loc(where), pinned_vehicle=pv))
    problem = Problem(
        locations=tuple(locations),
        vehicles=tuple(vs),
        jobs=tuple(js),
        name=f"{kind} {day}{' ' + region if region else ''}",
    )
    return DayProblem(
        day=day,
        kind=kind,
        region=region,
        problem=problem,
        jobs={m.ref: m for _, m in jobs},
        vehicles={m.ref: m for _, m, _ in vehicles},
        labels={m.ref: m.region for _, m, _ in vehicles if not m.idle},
        refused={m.ref: m.refused for _, m in jobs if m.refused},
        idle={m.ref: m.idle for _, m, _ in vehicles if m.idle},
    )


def technician_day(
    session: Session,
    day: date,
    region: str | None = None,
    variant: Variant | None = None,
) -> DayProblem:
    """The technicians' rounds problem for ``day`` (optionally one region, optionally a what-if)."""
    variant = variant or Variant()
    vehicles = technician_vehicles(session, day, region, variant)
    jobs = repair_jobs(session, day, region, variant)
    return assemble(day, "technicians", region, vehicles, jobs)
