"""open_ticket on both backends: triage from the rules, SLA from tier and severity.

SLA arithmetic is worked by hand in each docstring (business hours Mon-Fri
08:00-18:00 Europe/Paris; tier targets Platinum 10 h, Gold 20 h, Silver 30 h,
Member 50 h; critical halves them).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import (
    AuditLog,
    TicketEvent,
)
from repairs import (
    MachineNotFound,
    ResolutionPath,
    TicketState,
    UnknownFault,
    open_ticket,
)
from tests.builders import make_customer, open_for, paris


def test_gold_ticket_due_across_a_weekend(session):
    """Gold (20 h) opened Friday 2026-11-27 16:00: Fri 2 h, Mon 30 10 h (12 h),
    Tue 1 Dec 8 h -> Tuesday 16:00."""
    t = open_for(session, "Gold", paris(2026, 11, 27, 16))
    assert t.sla_due_at == paris(2026, 12, 1, 16)


def test_platinum_ticket_due_across_christmas_and_a_weekend(session):
    """Platinum (10 h) opened Thursday 2026-12-24 10:00: Thu 8 h, Fri 25 is a
    public holiday, then the weekend, Mon 28 2 h -> Monday 10:00."""
    t = open_for(session, "Platinum", paris(2026, 12, 24, 10))
    assert t.sla_due_at == paris(2026, 12, 28, 10)


def test_silver_ticket_due_across_armistice_day(session):
    """Silver (30 h) opened Tuesday 2026-11-10 08:00: Tue 10 h, Wed 11 Nov holiday,
    Thu 10 h, Fri 10 h -> Friday 2026-11-13 18:00."""
    t = open_for(session, "Silver", paris(2026, 11, 10, 8))
    assert t.sla_due_at == paris(2026, 11, 13, 18)


def test_customer_without_account_is_a_member(session):
    """No loyalty account = Member (50 h); critical halves it to 25 h: Monday
    2026-11-23 08:00 + 10 + 10 + 5 -> Wednesday 13:00."""
    t = open_for(session, None, paris(2026, 11, 23, 8), severity="critical")
    assert t.sla_due_at == paris(2026, 11, 25, 13)


def test_open_ticket_triages_from_the_rules(session):
    """A capsule machine goes to the workshop (rules file): path, skill, no same-day
    fix, a loaner is needed, and the ticket is 'triaged' with ref R<id>."""
    t = open_for(
        session, "Gold", paris(2026, 11, 24, 9), family="capsule", fault="leak"
    )
    assert t.status == TicketState.TRIAGED
    assert t.resolution_path == ResolutionPath.WORKSHOP
    assert (t.required_skill, t.same_day_fix, t.loaner_needed) == (
        "espresso_unit",
        False,
        True,
    )
    assert t.ref == f"R{t.id}"


def test_open_ticket_records_open_and_triage(session):
    """Two history events (opened, triaged) and two audit rows, by the actor."""
    t = open_for(session, "Gold", paris(2026, 11, 24, 9))
    session.commit()
    events = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == t.id)
        .order_by(TicketEvent.id)
    ).all()
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, "new"),
        ("new", "triaged"),
    ]
    assert "triage rule" in events[1].why
    logs = session.scalars(
        select(AuditLog).where(AuditLog.entity_id == str(t.id))
    ).all()
    assert [(a.actor, a.action) for a in logs] == [
        ("ana", "open"),
        ("ana", "transition"),
    ]


def test_open_ticket_refuses_another_customers_machine(session):
    """The machine must belong to the customer."""
    c1, _ = make_customer(session)
    _, m2 = make_customer(session)
    with pytest.raises(
        MachineNotFound, match=f"machine {m2.id} is not a machine of customer {c1.id}"
    ):
        open_ticket(session, c1.id, "pump", "normal", machine_id=m2.id, actor="ana")


def test_open_ticket_refuses_unknown_fault_and_severity(session):
    """Unknown values are refused with the known ones listed."""
    c, m = make_customer(session)
    with pytest.raises(UnknownFault, match="known faults"):
        open_ticket(session, c.id, "smoke", "normal", machine_id=m.id, actor="ana")
    with pytest.raises(ValueError, match="'urgent'"):
        open_ticket(session, c.id, "pump", "urgent", machine_id=m.id, actor="ana")
