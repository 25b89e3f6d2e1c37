"""Ticket queries: at risk, breached, detail, list; plain dataclasses out."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from sqlalchemy.orm import Session

from data.models import Loan, Loaner, RepairTicket
from repairs import TicketState, transition
from repairs.queries import at_risk, breached, list_tickets, ticket_detail
from repairs.sla import SlaStatus
from tests.builders import make_customer, make_site, open_for, paris


def _ticket(
    s: Session,
    due: datetime,
    status: str = "triaged",
    *,
    region: str = "Auvergne-Rhône-Alpes",
    tier: str | None = None,
) -> RepairTicket:
    """A ticket due at ``due`` in ``status`` (set directly: these are query tests)."""
    c, m = make_customer(s, tier, region=region)
    t = RepairTicket(
        ref=f"Q{c.id}",
        customer_id=c.id,
        machine_id=m.id,
        fault="pump",
        severity="normal",
        resolution_path="onsite",
        opened_at=paris(2026, 11, 20, 9),
        sla_due_at=due,
        status=status,
    )
    s.add(t)
    s.flush()
    return t


def test_at_risk_within_four_business_hours_and_unscheduled(session):
    """Now Tuesday 10:00. Due 13:00 (3 h) unscheduled: at risk. Due 16:30 (6.5 h):
    not yet. Due 12:00 but scheduled: not at risk. Due 09:00: breached, not at risk."""
    now = paris(2026, 11, 24, 10)
    soon = _ticket(session, paris(2026, 11, 24, 13))
    _ticket(session, paris(2026, 11, 24, 16, 30))
    _ticket(session, paris(2026, 11, 24, 12), status="scheduled")
    _ticket(session, paris(2026, 11, 24, 9))
    rows = at_risk(session, now)
    assert [r.id for r in rows] == [soon.id]
    assert rows[0].business_hours_left == 3.0


def test_at_risk_counts_business_hours_across_the_weekend(session):
    """Now Friday 2026-11-27 16:00; due Monday 09:00 is 65 wall-clock hours away but
    only 3 business hours (Fri 2 h + Mon 1 h): at risk. Due Monday 12:00 (6 h): not."""
    now = paris(2026, 11, 27, 16)
    monday = _ticket(session, paris(2026, 11, 30, 9), status="new")
    noon = _ticket(session, paris(2026, 11, 30, 12))
    assert [r.id for r in at_risk(session, now)] == [monday.id]
    assert [r.id for r in at_risk(session, now, within_h=6)] == [monday.id, noon.id]


def test_breached_lists_open_tickets_past_due(session):
    """Past due and open: breached; past due but resolved or cancelled: not listed."""
    now = paris(2026, 11, 24, 10)
    late = _ticket(session, paris(2026, 11, 23, 18), status="at workshop")
    _ticket(session, paris(2026, 11, 23, 18), status="resolved")
    _ticket(session, paris(2026, 11, 23, 18), status="cancelled")
    _ticket(session, paris(2026, 11, 24, 11))
    rows = breached(session, now)
    assert [r.id for r in rows] == [late.id]
    assert rows[0].business_hours_left == -2.0  # Mon 18:00 -> Tue 10:00


def test_list_tickets_filters_by_status_and_region(session):
    """Filters combine; limit caps; rows are frozen dataclasses, not ORM objects."""
    a = _ticket(session, paris(2026, 11, 25, 9))
    _ticket(session, paris(2026, 11, 25, 10), region="Bretagne")
    _ticket(session, paris(2026, 11, 25, 11), status="scheduled")
    rows = list_tickets(
        session, status=TicketState.TRIAGED, region="Auvergne-Rhône-Alpes"
    )
    assert [r.id for r in rows] == [a.id]
    assert len(list_tickets(session, limit=2)) == 2
    assert dataclasses.is_dataclass(rows[0]) and rows[0].status is TicketState.TRIAGED


def test_ticket_detail_has_history_triage_sla_and_loan(session):
    """The detail of an opened, lent ticket: history, triage, SLA status, the loan,
    the customer's tier and contact."""
    t = open_for(session, "Gold", paris(2026, 11, 24, 9), family="capsule")
    transition(
        session, t.id, TicketState.AWAITING_PICKUP, actor="ana", why="courier booked"
    )
    site = make_site(session, "D1", 45.75, 4.84)
    ln = Loaner(
        code="LN-0001",
        model="Cap",
        model_family="capsule",
        state="lent",
        site_id=site.id,
    )
    session.add(ln)
    session.flush()
    session.add(
        Loan(
            loaner_id=ln.id,
            ticket_id=t.id,
            customer_id=t.customer_id,
            from_site_id=site.id,
            lent_at=paris(2026, 11, 24, 11),
            due_on=date(2026, 12, 8),
        )
    )
    session.commit()
    d = ticket_detail(session, t.id, now=paris(2026, 11, 24, 12))
    assert [e.to_state for e in d.history] == ["new", "triaged", "awaiting pickup"]
    assert d.history[-1].why == "courier booked"
    assert d.ticket.resolution_path == "workshop" and d.ticket.required_skill
    assert d.tier == "Gold" and d.phone and d.email
    assert d.sla is SlaStatus.OK  # Gold: due Thursday 09:00
    assert d.loan is not None and (d.loan.loaner_code, d.loan.due_on) == (
        "LN-0001",
        date(2026, 12, 8),
    )
