"""The remote queue: checklists from the triage rules, the three outcomes, audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from data.models import AuditLog, Customer, CustomerMachine, RepairTicket, TicketEvent
from dispatch.access.roles import AccessDenied
from dispatch.views import desk, remote
from repairs.errors import TriageRulesError
from repairs.triage import load_rules
from tests.builders import Actor

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
AGENT = Actor("agent")


def _open(s, family: str, fault: str) -> int:
    busy = select(RepairTicket.customer_id)
    c, m = s.execute(
        select(Customer, CustomerMachine)
        .join(CustomerMachine, CustomerMachine.customer_id == Customer.id)
        .where(CustomerMachine.model_family == family, Customer.id.not_in(busy))
        .order_by(Customer.id.desc())
    ).first()
    t = desk.open_ticket(
        s, AGENT, c.ref, serial=m.serial, fault=fault, severity="normal", now=NOW
    )
    assert t.path == "remote"
    return t.id


def test_queue_outcomes(demo_session) -> None:
    s = demo_session
    fixed = _open(s, "bean_to_cup", "descaling")
    visit = _open(s, "espresso_manual", "noise")
    shop = _open(s, "capsule", "display_error")
    lines = {x.id: x for x in remote.queue(s, AGENT, limit=1000)}
    assert {fixed, visit, shop} <= set(lines)
    assert lines[fixed].checklist[0].startswith("Empty the water tank")
    assert lines[visit].checklist  # noise has its own list
    with pytest.raises(AccessDenied):
        remote.queue(s, Actor("manager"))

    assert "closed" in remote.outcome(
        s, AGENT, fixed, "fixed", note="descaled", now=NOW
    )
    t = s.get(RepairTicket, fixed)
    assert t.status == "closed" and t.first_time_fix is True
    states = s.scalars(
        select(TicketEvent.to_state)
        .where(TicketEvent.ticket_id == fixed)
        .order_by(TicketEvent.id)
    ).all()
    assert states == ["new", "triaged", "remote fix", "resolved", "closed"]
    assert s.scalar(
        select(AuditLog.id).where(
            AuditLog.entity == "repair_ticket", AuditLog.entity_id == str(fixed)
        )
    )

    remote.outcome(s, AGENT, visit, "visit", now=NOW)
    t = s.get(RepairTicket, visit)
    assert (t.status, t.resolution_path) == ("triaged", "onsite")

    said = remote.outcome(s, AGENT, shop, "workshop", now=NOW)
    t = s.get(RepairTicket, shop)
    assert (t.status, t.resolution_path) == ("awaiting pickup", "workshop")
    assert "courier swap" in said
    assert shop not in {x.id for x in remote.queue(s, AGENT, limit=1000)}


def test_checklists_are_checked(tmp_path) -> None:
    from repairs.triage import RULES_PATH

    bad = tmp_path / "rules.toml"
    bad.write_text(RULES_PATH.read_text() + '\nfire = ["run"]\n', encoding="utf-8")
    with pytest.raises(TriageRulesError, match="unknown fault 'fire'"):
        load_rules(bad)
