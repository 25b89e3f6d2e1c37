"""Pins: what the dispatcher fixed by hand, honoured by the next plan or refused at once.

A pin is checked when it is made, against the day's own rows: the technician
works that day, holds the skill, and can reach the pinned (and the customer's)
window and be home within the shift. A pin that no plan could honour is
refused with that reason (``PinRefused``) and nothing is written; an accepted
pin puts the visit in a class above every priority score, so the next plan
places it there unless the technician's other pinned work leaves no room.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.audit import record
from data.enums import Role
from data.models import PlanPin, RepairTicket, Technician, TechnicianAbsence
from dispatch import labels
from dispatch.access.roles import Principal, acting
from dispatch.planning.builder import (
    Variant,
    assemble,
    repair_jobs,
    technician_vehicles,
    to_seconds,
)
from routing import TimeWindow
from routing.matrix import problem_matrix
from routing.reasons import structural_reasons


class PinRefused(ValueError):
    """No plan could honour this pin; the message says why."""


def check_pin(
    session: Session,
    day: date,
    job_ref: str,
    *,
    technician_id: int | None,
    not_before: datetime | None,
    not_after: datetime | None,
) -> None:
    """Raise ``PinRefused`` with the reason if no plan could honour this technician pin."""
    if not job_ref.startswith("T") or not job_ref[1:].isdigit():
        return
    ticket = session.get(RepairTicket, int(job_ref[1:]))
    if ticket is None:
        raise PinRefused(f"{job_ref}: no such visit")
    ref = ticket.ref
    if not_before and not_after and not_after <= not_before:
        raise PinRefused(f"{ref}: “not after” must be later than “not before”")
    tech = session.get(Technician, technician_id) if technician_id else None
    if technician_id and tech is None:
        raise PinRefused(f"{ref}: no technician {technician_id}")
    if tech is not None:
        off = day.weekday() in (tech.days_off or []) or session.scalar(
            select(TechnicianAbsence.id).where(
                TechnicianAbsence.technician_id == tech.id,
                TechnicianAbsence.on_date == day,
            )
        )
        if off or not tech.active:
            raise PinRefused(f"{ref}: {tech.name} does not work on {labels.day(day)}")
        if ticket.required_skill and ticket.required_skill not in (tech.skills or []):
            raise PinRefused(
                f"{ref}: {tech.name} lacks the skill "
                f"“{labels.skill(ticket.required_skill)}” this visit needs"
            )
    jobs = [
        (j, m)
        for j, m in repair_jobs(session, day, None, Variant(), only=ticket.id)
        if j.id == job_ref
    ]
    if not jobs:
        raise PinRefused(f"{ref} is not a visit to plan on {labels.day(day)}")
    vehicles = [
        v
        for v in technician_vehicles(session, day, None, Variant())
        if tech is None or v[0].id == f"tech:{tech.id}"
    ]
    job, meta = jobs[0]
    lo = to_seconds(day, not_before) if not_before else 0
    hi = to_seconds(day, not_after) if not_after else 24 * 3600
    job = replace(
        job,
        pinned_vehicle=f"tech:{tech.id}" if tech else None,
        pinned_start=TimeWindow(start_s=lo, end_s=hi)
        if not_before or not_after
        else None,
    )
    dp = assemble(day, "technicians", None, vehicles, [(job, meta)])
    matrix = problem_matrix(dp.problem.locations, None, None)
    why = structural_reasons(dp.problem, matrix).get(job_ref)
    if why is not None:
        who = tech.name if tech else "no technician"
        raise PinRefused(f"{ref}: {why.reason.value} ({who}; {why.detail})")


def pin(
    session: Session,
    day: date,
    job_ref: str,
    *,
    technician_id: int | None = None,
    courier_id: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    actor: Principal,
    kind: str = "technicians",
) -> None:
    """Pin a visit to a vehicle and/or a time, or refuse it (``PinRefused``) with the reason."""
    name = acting(actor, Role.DISPATCHER)
    if kind == "technicians":
        check_pin(
            session,
            day,
            job_ref,
            technician_id=technician_id,
            not_before=not_before,
            not_after=not_after,
        )
    session.execute(
        delete(PlanPin).where(
            PlanPin.plan_date == day, PlanPin.job_ref == job_ref, PlanPin.kind == kind
        )
    )
    session.add(
        PlanPin(
            plan_date=day,
            kind=kind,
            job_ref=job_ref,
            technician_id=technician_id,
            courier_id=courier_id,
            not_before=not_before,
            not_after=not_after,
            created_by=name,
        )
    )
    record(
        session,
        name,
        "pin",
        job_ref,
        "pin",
        day=day,
        technician=technician_id,
        courier=courier_id,
        not_before=not_before,
        not_after=not_after,
    )


def unpin(
    session: Session,
    day: date,
    job_ref: str,
    *,
    actor: Principal,
    kind: str = "technicians",
) -> None:
    name = acting(actor, Role.DISPATCHER)
    session.execute(
        delete(PlanPin).where(
            PlanPin.plan_date == day, PlanPin.job_ref == job_ref, PlanPin.kind == kind
        )
    )
    record(session, name, "pin", job_ref, "unpin", day=day)


def pins(
    session: Session, day: date, kind: str = "technicians"
) -> dict[str, tuple[int | None, datetime | None, datetime | None]]:
    return {
        p.job_ref: (p.technician_id or p.courier_id, p.not_before, p.not_after)
        for p in session.scalars(
            select(PlanPin).where(PlanPin.plan_date == day, PlanPin.kind == kind)
        )
    }
