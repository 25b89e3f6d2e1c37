"""The service desk services: find by any phone form, card, create, open + triage, CLI."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from data.models import AuditLog, Customer, RepairTicket
from dispatch.access.roles import AccessDenied
from dispatch.views import desk
from tests.builders import Actor, make_customer

AGENT = Actor("agent")


def test_find_by_phone_written_three_ways_and_by_email(session) -> None:
    c, _ = make_customer(session, "Gold")
    national = "0" + c.phone[3:]
    spaced = " ".join(national[i : i + 2] for i in range(0, 10, 2))
    for typed in (spaced, "+33 " + national[1:], national.replace("", ".")[1:-1]):
        assert desk.find(session, AGENT, typed) == (c.id,), typed
    assert desk.find(session, AGENT, c.email.upper()) == (c.id,)
    assert desk.find(session, AGENT, c.ref) == (c.id,)
    assert desk.find(session, AGENT, "06 99 99 99 99") == ()
    with pytest.raises(desk.DeskError, match="no reference, phone"):
        desk.find(session, AGENT, "hello")


def test_roles(session) -> None:
    with pytest.raises(AccessDenied):
        desk.find(session, Actor("manager"), "0612345678")
    with pytest.raises(AccessDenied):  # store staff bound to no store
        desk.find(session, Actor("store staff"), "0612345678")
    assert desk.find(session, Actor("store staff", 1), "0612345678") == ()


def test_card_shows_machines_tickets_and_tier(session) -> None:
    c, m = make_customer(session, "Gold")
    t = desk.open_ticket(
        session, AGENT, c.ref, serial=m.serial, fault="leak", severity="high"
    )
    card = desk.card(session, AGENT, c.id)
    assert [x.serial for x in card.machines] == [m.serial]
    assert [x.ref for x in card.open_tickets] == [t.ref]
    assert card.phone.startswith("06 ")


def test_create_checks_the_address(session) -> None:
    with pytest.raises(desk.DeskError, match="address"):
        desk.create_customer(
            session,
            AGENT,
            name="A",
            phone="0611223344",
            postcode="69003",
            town="Nowhereville",
        )
    with pytest.raises(desk.DeskError, match="phone"):
        desk.create_customer(
            session, AGENT, name="A", phone="12", postcode="69003", town="Lyon"
        )
    cid = desk.create_customer(
        session,
        AGENT,
        name="Anne",
        phone="06 11 22 33 44",
        postcode="69003",
        town="lyon",
    )
    row = session.get(Customer, cid)
    assert row.phone == "+33611223344" and row.region == "Auvergne-Rhône-Alpes"
    assert abs(row.lat - 45.76) < 0.1
    assert session.scalar(
        select(AuditLog.id).where(
            AuditLog.entity == "customer", AuditLog.entity_id == str(cid)
        )
    )


def test_open_ticket_triages_at_once_with_the_sla_reason(session) -> None:
    c, m = make_customer(session, "Gold")
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 Paris
    t = desk.open_ticket(
        session,
        AGENT,
        c.phone,
        serial=m.serial,
        fault="leak",
        severity="critical",
        now=at,
    )
    assert t.path == "onsite"
    assert "Gold member, critical, technician visit: 10 business hours" in t.sla_reason
    row = session.get(RepairTicket, t.id)
    assert row.status == "triaged" and row.sla_due_at == t.sla_due_at
    with pytest.raises(desk.DeskError, match="severity"):
        desk.open_ticket(
            session, AGENT, c.ref, serial=m.serial, fault="leak", severity="bad"
        )
    with pytest.raises(desk.DeskError, match="fault"):
        desk.open_ticket(
            session, AGENT, c.ref, serial=m.serial, fault="fire", severity="low"
        )
    _, m2 = make_customer(session)
    with pytest.raises(desk.DeskError, match="not a machine of this customer"):
        desk.open_ticket(
            session, AGENT, c.ref, serial=m2.serial, fault="leak", severity="low"
        )


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "dispatch.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_ticket_open(db_url, session) -> None:
    c, m = make_customer(session, "Silver")
    session.commit()
    national = "0" + c.phone[3:]
    ok = _cli(
        db_url,
        "ticket",
        "open",
        "--customer",
        national,
        "--machine",
        m.serial,
        "--fault",
        "pump",
        "--severity",
        "normal",
        "--description",
        "no water",
    )
    assert ok.returncode == 0, ok.stderr
    ref = ok.stdout.splitlines()[0]
    assert ref.startswith("R")
    bad = _cli(
        db_url,
        "ticket",
        "open",
        "--customer",
        national,
        "--machine",
        m.serial,
        "--fault",
        "pump",
        "--severity",
        "loud",
    )
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "severity" in bad.stderr
    session.expire_all()
    assert (
        session.scalar(select(RepairTicket.description).where(RepairTicket.ref == ref))
        == "no water"
    )
