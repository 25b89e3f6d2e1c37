"""Publishing a plan: what becomes the day's rounds (pins live in ``pins``, rounds in ``rounds``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.base import utcnow
from data.enums import PlanKind, PlanStatus, Role
from data.models import (
    Plan,
    RepairTicket,
)
from dispatch.access.roles import Principal, acting
from dispatch.planning.pins import PinRefused as PinRefused
from dispatch.planning.pins import pin as pin
from dispatch.planning.pins import pins as pins
from dispatch.planning.pins import unpin as unpin
from dispatch.planning.rounds import PublishCheck as PublishCheck
from dispatch.planning.rounds import PublishConflict as PublishConflict
from dispatch.planning.rounds import publish_check as publish_check
from dispatch.planning.rounds import take_rounds
from dispatch.planning.saved import PlanView, load_plan
from repairs import lifecycle
from repairs.states import TicketState


def publish(
    session: Session, plan_id: int, *, actor: Principal, supersede: bool = False
) -> PlanView:
    """Make a draft the day's plan: its technicians' rounds are published, its visits scheduled.

    Another published plan of the day sharing a technician (or the region) is
    superseded only with ``supersede=True``; otherwise ``PublishConflict`` says
    which (see ``dispatch.planning.rounds``). One transaction, the caller's. ``actor``: the
    acting user, a dispatcher (``AccessDenied`` otherwise).
    """
    name = acting(actor, Role.DISPATCHER)
    plan = session.get(Plan, plan_id, with_for_update=True)
    if plan is None:
        raise LookupError(f"plan {plan_id} does not exist")
    if plan.status != PlanStatus.DRAFT:
        raise ValueError(
            f"plan {plan_id} is {plan.status}; only a draft can be published"
        )
    superseded = take_rounds(session, plan, supersede=supersede)
    plan.status, plan.published_at = PlanStatus.PUBLISHED.value, utcnow()
    view = load_plan(session, plan_id)
    if plan.kind == PlanKind.TECHNICIANS:
        _schedule_tickets(session, view, name)
    elif (
        plan.kind == PlanKind.COURIERS
    ):  # the vans are loaded: their orders go out for delivery
        from dispatch.deliveries.flows import load_plan_orders

        load_plan_orders(session, plan_id, actor=actor)
    record(
        session,
        name,
        "plan",
        plan_id,
        "publish",
        day=plan.plan_date,
        kind=plan.kind,
        superseded=superseded,
    )
    return load_plan(session, plan_id)


def _schedule_tickets(session: Session, view: PlanView, actor: str) -> None:
    """Placed visits become scheduled with their technician; dropped ones go back to the queue.

    Status changes go through ``repairs.lifecycle.transition`` (checked, with
    history and audit); the technician and day are the plan's own fields.
    """
    owner = {
        s.ticket_id: r.vehicle_id for r in view.routes for s in r.stops if s.ticket_id
    }
    dropped = {u.ticket_id for u in view.unassigned if u.ticket_id}
    tickets = session.scalars(
        select(RepairTicket)
        .where(RepairTicket.id.in_(list(owner | dict.fromkeys(dropped))))
        .order_by(RepairTicket.id)
        .with_for_update()
    ).all()
    for t in tickets:
        if t.id in owner and t.visit_on is not None and t.visit_on > view.day:
            continue  # a visit kept by a re-plan that could not fix: booked later
        if t.id in owner:
            if t.status == TicketState.TRIAGED:
                lifecycle.transition(
                    session,
                    t.id,
                    TicketState.SCHEDULED,
                    actor=actor,
                    why=f"plan {view.id} published for {view.day}",
                )
            t.technician_id, t.visit_on = owner[t.id] or None, view.day
        elif t.status == TicketState.SCHEDULED:  # dropped from the new plan
            lifecycle.transition(
                session,
                t.id,
                TicketState.TRIAGED,
                actor=actor,
                why=f"left out of plan {view.id}",
            )
            t.technician_id = None
