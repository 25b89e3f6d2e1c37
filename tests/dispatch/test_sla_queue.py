"""The at-risk queue and policy editions on the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from data.models import (
    AuditLog,
    Plan,
    PlanRoute,
    PlanStop,
    RepairTicket,
    Technician,
    UnassignedJob,
)
from dispatch.access.roles import AccessDenied
from dispatch.cli.main import main
from dispatch.views import sla as sla_view
from repairs.service import recompute_due
from repairs.sla import business_hours_between
from repairs.sla_policy import DEFAULT_PATH, policy_in_force
from tests.builders import open_for, paris

NOW = paris(2026, 11, 24, 9, 0)  # a Tuesday


@dataclass(frozen=True)
class User:
    username: str
    role: str
    store_id: int | None = None


MANAGER = User("manager", "manager")
ADMIN = User("admin", "admin")


def _tech(session) -> Technician:
    t = Technician(
        code="TEC-1",
        name="Ana Tech",
        region="Auvergne-Rhône-Alpes",
        home_lat=45.7,
        home_lon=4.8,
    )
    session.add(t)
    session.flush()
    return t


def _plan(
    session, day, placed: dict[RepairTicket, object], left_out: list[RepairTicket], tech
) -> int:
    plan = Plan(kind="technicians", plan_date=day, status="draft", label="")
    session.add(plan)
    session.flush()
    route = PlanRoute(plan_id=plan.id, technician_id=tech.id)
    session.add(route)
    session.flush()
    for seq, (t, arrival) in enumerate(placed.items(), 1):
        session.add(
            PlanStop(
                route_id=route.id,
                seq=seq,
                job_ref=f"T{t.id}",
                ticket_id=t.id,
                arrival_at=arrival,
                start_at=arrival,
                departure_at=arrival + timedelta(minutes=45),
            )
        )
    for t in left_out:
        session.add(
            UnassignedJob(
                plan_id=plan.id, job_ref=f"T{t.id}", ticket_id=t.id, reason="no room"
            )
        )
    session.flush()
    return plan.id


def test_queue_lists_exactly_the_tickets_that_will_breach(session) -> None:
    tech = _tech(session)
    opened = paris(2026, 11, 23, 9)
    soon = open_for(
        session, "Platinum", opened, severity="critical"
    )  # 5 h: due Mon 14:00
    soon.sla_due_at = NOW + timedelta(hours=2)
    late = open_for(session, "Gold", opened)
    late.sla_due_at = NOW + timedelta(hours=3)
    on_time = open_for(session, "Gold", opened)
    on_time.sla_due_at = NOW + timedelta(hours=5)
    far = open_for(session, "Member", opened)  # unplanned, plenty of time
    breached = open_for(session, "Gold", opened)
    breached.sla_due_at = NOW - timedelta(minutes=1)
    left = open_for(session, "Silver", opened)
    left.sla_due_at = NOW + timedelta(hours=1)
    _plan(
        session,
        NOW.date(),
        {late: NOW + timedelta(hours=4), on_time: NOW + timedelta(hours=1)},
        [left],
        tech,
    )
    session.commit()

    rows = sla_view.at_risk_tickets(session, MANAGER, within_h=4, now=NOW)
    got = {r.ticket: r for r in rows}
    assert set(got) == {soon.ref, late.ref, left.ref}
    assert got[late.ref].reason == "planned late" and got[late.ref].late_minutes == 60
    assert got[late.ref].technician == "Ana Tech"
    assert got[soon.ref].reason == "unplanned" and got[left.ref].reason == "unplanned"
    assert far.ref not in got and breached.ref not in got
    # every listed one is indeed at risk, by an independent reading of the rows
    cal = policy_in_force().calendar
    for r in rows:
        if r.reason == "unplanned":
            assert business_hours_between(NOW, r.due_at, cal) <= 4
        else:
            assert r.planned_arrival is not None and r.planned_arrival > r.due_at
    assert sla_view.count_by_region(rows) == {"Auvergne-Rhône-Alpes": 3}


def test_queue_is_for_managers_and_dispatchers(session) -> None:
    with pytest.raises(AccessDenied):
        sla_view.at_risk_tickets(session, User("store1", "store staff", 1), now=NOW)


def test_new_edition_changes_new_tickets_not_old_ones(
    session, tmp_path: Path, monkeypatch
) -> None:
    old = open_for(session, "Gold", paris(2026, 11, 23, 10))
    old_due = old.sla_due_at
    edited = (
        DEFAULT_PATH.read_text()
        .replace('version = "2026.1"', 'version = "2027.1"')
        .replace(
            "gold = { critical = 10, high = 15, normal = 20, low = 28 }",
            "gold = { critical = 9, high = 14, normal = 18, low = 26 }",
        )
    )
    path = tmp_path / "policy.toml"
    path.write_text(edited)
    monkeypatch.setenv("TOURNEE_SLA_POLICY", str(path))
    new = open_for(session, "Gold", paris(2026, 11, 23, 10))
    assert new.sla_due_at == paris(2026, 11, 24, 18)  # 18 business hours, not 20
    assert new.sla_policy_version == "2027.1" and old.sla_policy_version == "2026.1"
    session.refresh(old)
    assert old.sla_due_at == old_due

    with pytest.raises(AccessDenied):
        sla_view.recompute_open(session, MANAGER)
    assert sla_view.recompute_open(session, ADMIN) >= 1
    assert old.sla_due_at == new.sla_due_at and old.sla_policy_version == "2027.1"
    audit = session.scalars(
        select(AuditLog).where(
            AuditLog.entity == "repair_ticket", AuditLog.action == "sla recomputed"
        )
    ).all()
    assert any(a.entity_id == old.ref and a.change["policy"] == "2027.1" for a in audit)
    assert (
        recompute_due(session, old.id, actor="admin") is False
    )  # nothing left to change

    assert sla_view.record_policy_in_force(session, "admin") is True
    assert sla_view.record_policy_in_force(session, "admin") is False
    assert [e.version for e in sla_view.policy_editions(session, MANAGER)] == ["2027.1"]


def test_cli_at_risk_json(
    db_url: str, session, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    t = open_for(session, "Platinum", paris(2026, 11, 23, 9), severity="critical")
    t.sla_due_at = NOW + timedelta(hours=1)
    session.commit()
    out = tmp_path / "risk.json"
    assert (
        main(["ticket", "at-risk", "--now", NOW.isoformat(), "--json", str(out)]) == 0
    )
    data = json.loads(out.read_text())
    assert [x["ticket"] for x in data["tickets"]] == [t.ref]
    assert data["tickets"][0]["reason"] == "unplanned"
    assert data["tickets"][0]["due_at"].endswith("+01:00")
    assert t.ref in capsys.readouterr().out
