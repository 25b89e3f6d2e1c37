"""Publishing a plan and pinning visits: what becomes the day's round, and what the dispatcher fixed by hand."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from data.audit import record
from data.base import utcnow
from data.models import (
    Plan,
    PlanPin,
    RepairTicket,
    TicketEvent,
)
from dispatch.planning.saved import PlanView, load_plan


def publish(session: Session, plan_id: int, *, actor: str) -> PlanView:
    """Make a draft the day's plan: the previous one is superseded, visits are scheduled."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise LookupError(f"plan {plan_id} does not exist")
    if plan.status != "draft":
        raise ValueError(
            f"plan {plan_id} is {plan.status}; only a draft can be published"
        )
    session.execute(
        update(Plan)
        .where(
            Plan.kind == plan.kind,
            Plan.plan_date == plan.plan_date,
            Plan.status == "published",
            Plan.id != plan.id,
            (
                Plan.region.is_(None)
                if plan.region is None
                else Plan.region == plan.region
            ),
        )
        .values(status="superseded")
    )
    plan.status, plan.published_at = "published", utcnow()
    view = load_plan(session, plan_id)
    if plan.kind == "technicians":
        _schedule_tickets(session, view, actor)
    elif (
        plan.kind == "couriers"
    ):  # the vans are loaded: their orders go out for delivery
        from dispatch.deliveries.flows import load_plan_orders

        load_plan_orders(session, plan_id, actor=actor)
    record(
        session, actor, "plan", plan_id, "publish", day=plan.plan_date, kind=plan.kind
    )
    return load_plan(session, plan_id)


def _schedule_tickets(session: Session, view: PlanView, actor: str) -> None:
    owner = {
        s.ticket_id: r.vehicle_id for r in view.routes for s in r.stops if s.ticket_id
    }
    dropped = {u.ticket_id for u in view.unassigned if u.ticket_id}
    tickets = session.scalars(
        select(RepairTicket).where(
            RepairTicket.id.in_(list(owner | dict.fromkeys(dropped)))
        )
    ).all()
    for t in tickets:
        if t.id in owner:
            tech = owner[t.id] or None
            if t.status == "triaged":
                session.add(
                    TicketEvent(
                        ticket_id=t.id,
                        actor=actor,
                        from_state=t.status,
                        to_state="scheduled",
                        why=f"plan {view.id} published for {view.day}",
                    )
                )
                t.status = "scheduled"
            t.technician_id, t.visit_on = tech, view.day
        elif t.status == "scheduled":  # dropped from the new plan: back to the queue
            session.add(
                TicketEvent(
                    ticket_id=t.id,
                    actor=actor,
                    from_state="scheduled",
                    to_state="triaged",
                    why=f"left out of plan {view.id}",
                )
            )
            t.status, t.technician_id = "triaged", None


def pin(
    session: Session,
    day: date,
    job_ref: str,
    *,
    technician_id: int | None = None,
    courier_id: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    actor: str,
    kind: str = "technicians",
) -> None:
    """Pin a visit to a vehicle and/or a time; the next plan keeps it there."""
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
            created_by=actor,
        )
    )
    record(
        session,
        actor,
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
    session: Session, day: date, job_ref: str, *, actor: str, kind: str = "technicians"
) -> None:
    session.execute(
        delete(PlanPin).where(
            PlanPin.plan_date == day, PlanPin.job_ref == job_ref, PlanPin.kind == kind
        )
    )
    record(session, actor, "pin", job_ref, "unpin", day=day)


def pins(
    session: Session, day: date, kind: str = "technicians"
) -> dict[str, tuple[int | None, datetime | None, datetime | None]]:
    return {
        p.job_ref: (p.technician_id or p.courier_id, p.not_before, p.not_after)
        for p in session.scalars(
            select(PlanPin).where(PlanPin.plan_date == day, PlanPin.kind == kind)
        )
    }
