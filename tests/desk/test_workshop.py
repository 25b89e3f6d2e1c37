"""The workshop path without manual steps, on the small demo: loaner lent and one swap
stop at once, each leg delivered moves the ticket, the loaner back closes the loan."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from data.models import (
    Customer,
    CustomerMachine,
    DeliveryOrder,
    Loan,
    Loaner,
    RepairTicket,
)
from dispatch.deliveries import flows
from dispatch.planning.couriers import courier_day
from dispatch.views import desk, journey
from dispatch.views import tickets as ticket_view
from routing import SolveParams, solve, validate
from tests.builders import Actor, dispatcher

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
AGENT = Actor("agent")
DISPATCH = Actor("dispatcher")


def _capsule_customer(s) -> tuple[Customer, CustomerMachine]:
    busy = select(RepairTicket.customer_id)
    return s.execute(
        select(Customer, CustomerMachine)
        .join(CustomerMachine, CustomerMachine.customer_id == Customer.id)
        .where(CustomerMachine.model_family == "capsule", Customer.id.not_in(busy))
        .order_by(Customer.id)
    ).first()


def test_workshop_journey_from_call_to_closed(demo_session) -> None:
    s = demo_session
    c, m = _capsule_customer(s)
    opened = desk.open_ticket(
        s, AGENT, c.ref, serial=m.serial, fault="pump", severity="high", now=NOW
    )
    assert opened.path == "workshop" and "courier swap" in opened.next_step
    t = s.get(RepairTicket, opened.id)
    assert t.status == "awaiting pickup"
    loan = s.scalar(
        select(Loan).where(Loan.ticket_id == t.id, Loan.returned_at.is_(None))
    )
    assert loan is not None
    legs = s.scalars(
        select(DeliveryOrder)
        .where(DeliveryOrder.ticket_id == t.id)
        .order_by(DeliveryOrder.id)
    ).all()
    assert [o.kind for o in legs] == ["loaner out", "repair pick-up"]
    day = legs[0].promised_on

    # ONE swap stop with both actions in the courier problem, and a valid solve
    dp = courier_day(s, day)
    swaps = [
        m_ for m_ in dp.jobs.values() if set(m_.delivery_ids) == {o.id for o in legs}
    ]
    assert len(swaps) == 1 and swaps[0].ref.startswith("W")
    assert not any(f"D{o.id}" in dp.jobs for o in legs)
    sol = solve(dp.problem, SolveParams(time_limit_s=2, workers=1))
    assert validate(dp.problem, sol) == []

    # each leg delivered moves the ticket on
    at = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    for o in legs:
        flows.load_on_van(s, o.id, actor=dispatcher("van"), at=at)
    for o in legs:
        flows.deliver(s, o.id, actor=dispatcher("van"), at=at)
    s.refresh(t)
    assert t.status == "at workshop"
    ticket_view.move(s, DISPATCH, t.id, "repaired", why="pump replaced", now=at)
    back = s.scalars(
        select(DeliveryOrder)
        .where(DeliveryOrder.ticket_id == t.id, DeliveryOrder.status == "new")
        .order_by(DeliveryOrder.id)
    ).all()
    assert [o.kind for o in back] == ["repair return", "loaner back"]
    dp = courier_day(s, back[0].promised_on)
    assert any(set(m_.delivery_ids) == {o.id for o in back} for m_ in dp.jobs.values())
    for o in back:
        flows.load_on_van(s, o.id, actor=dispatcher("van"), at=at)
    s.refresh(t)
    assert t.status == "returning"
    for o in back:
        flows.deliver(s, o.id, actor=dispatcher("van"), at=at)
    s.refresh(t)
    assert t.status == "closed"
    s.refresh(loan)
    assert loan.returned_at is not None
    assert s.get(Loaner, loan.loaner_id).state == "cleaning"
    assert not s.scalars(
        select(DeliveryOrder).where(
            DeliveryOrder.ticket_id == t.id, DeliveryOrder.status == "out for delivery"
        )
    ).all()
    j = journey.journey(s, DISPATCH, t.id)
    kinds = {x.kind for x in j.steps}
    assert {"ticket", "courier", "loan"} <= kinds
    assert [x.at for x in j.steps] == sorted(x.at for x in j.steps)
    assert any("to cleaning" in x.what for x in j.steps)
    assert any("delivered" in x.what for x in j.steps)
    assert j.next_step.startswith("Nothing")


def test_journey_says_what_is_next(demo_session) -> None:
    s = demo_session
    c, m = _capsule_customer(s)
    opened = desk.open_ticket(
        s, AGENT, c.ref, serial=m.serial, fault="pump", severity="high", now=NOW
    )
    j = journey.journey(s, DISPATCH, opened.id)
    assert j.next_step.startswith("Courier collects the machine on")
    assert any("lent from" in x.what for x in j.steps)
