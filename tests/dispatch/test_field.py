"""The technician's day: their round, status reports, outcomes, and another's visit refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditLog, RepairTicket, TicketEvent, Visit
from dispatch.access.auth import authenticate
from dispatch.access.roles import AccessDenied
from dispatch.cli.main import main
from dispatch.field.rounds import my_round
from dispatch.field.status import VisitRefused, set_status
from tests.builders import DEMO_DATE, day_tickets, paris, publish_round


@dataclass(frozen=True)
class Who:
    username: str
    role: str = "technician"
    store_id: int | None = None


TEC1, TEC2 = Who("tec-001"), Who("tec-002")
DISPATCHER = Who("dispatch", "dispatcher")


@pytest.fixture
def day(demo_session: Session) -> tuple[Session, list[int], list[int]]:
    """Technicians 1 and 2 each with three published visits on the demo day."""
    ids = day_tickets(demo_session, DEMO_DATE, 6)
    publish_round(demo_session, DEMO_DATE, {1: ids[:3], 2: ids[3:]})
    demo_session.commit()
    return demo_session, ids[:3], ids[3:]


def test_demo_technicians_sign_in(demo_session: Session) -> None:
    who = authenticate(demo_session, "tec-001", "tech-demo")
    assert who is not None and who.role == "technician" and who.technician_id == 1


def test_round_shows_only_own_visits_in_order(day) -> None:
    s, mine, theirs = day
    view = my_round(s, TEC1, today=DEMO_DATE)
    assert view.day == DEMO_DATE
    assert [x.ticket_id for x in view.stops] == mine
    first = view.stops[0]
    assert first.planned == "09:00" and first.status == "planned"
    assert first.phone.startswith("0") and " " in first.phone
    assert first.map_url.startswith("https://www.openstreetmap.org/?mlat=")
    assert first.geo_url.startswith("geo:")
    assert first.fault and first.machine
    assert not set(theirs) & {x.ticket_id for x in view.stops}


def test_on_my_way_arrived_done(day) -> None:
    s, mine, _ = day
    t = mine[0]
    r = set_status(s, TEC1, t, "on_my_way", at=paris(2026, 11, 24, 8, 40))
    assert r.eta_at is not None and r.eta_at > paris(2026, 11, 24, 8, 40)
    set_status(s, TEC1, t, "arrived", at=paris(2026, 11, 24, 9, 5))
    r = set_status(
        s,
        TEC1,
        t,
        "done",
        at=paris(2026, 11, 24, 9, 50),
        fix_code="PUMP-01",
        notes="ok",
    )
    s.commit()
    v = s.scalars(select(Visit).where(Visit.ticket_id == t)).one()
    assert v.status == "done" and v.fixed is True and v.fix_code == "PUMP-01"
    assert v.on_my_way_at == paris(2026, 11, 24, 8, 40)
    assert v.arrived_at == paris(2026, 11, 24, 9, 5)
    assert v.completed_at == paris(2026, 11, 24, 9, 50)
    assert v.technician_id == 1 and v.km is not None and v.on_time is not None
    ticket = s.get_one(RepairTicket, t)
    assert ticket.status == "resolved" and ticket.first_time_fix is True
    moves = [
        (e.from_state, e.to_state)
        for e in s.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == t)
            .order_by(TicketEvent.id)
        )
    ]
    assert moves[-3:] == [
        ("scheduled", "scheduled"),
        ("scheduled", "in progress"),
        ("in progress", "resolved"),
    ]
    audited = s.scalars(
        select(AuditLog.change).where(
            AuditLog.entity == "visit", AuditLog.entity_id == str(v.id)
        )
    ).all()
    assert [a["to_status"] for a in audited] == ["on_my_way", "arrived", "done"]


def test_could_not_fix_part_needed_books_a_second_visit(day) -> None:
    s, mine, _ = day
    t = mine[1]
    s.get_one(RepairTicket, t).severity = "critical"
    set_status(s, TEC1, t, "arrived", at=paris(2026, 11, 24, 10, 0))
    r = set_status(
        s, TEC1, t, "failed", reason="part_needed", at=paris(2026, 11, 24, 10, 30)
    )
    s.commit()
    ticket = s.get_one(RepairTicket, t)
    assert ticket.status == "triaged"  # a second visit to book (tests/desk)
    assert ticket.visit_on == date(2026, 11, 26)  # Thursday: the part must come
    assert ticket.first_time_fix is False and ticket.loaner_needed is True
    assert "second visit" in r.next_step and "loaner" in r.next_step
    v = s.scalars(select(Visit).where(Visit.ticket_id == t)).one()
    assert v.status == "failed" and v.failure_reason == "part_needed"


def test_could_not_fix_needs_workshop(day) -> None:
    s, mine, _ = day
    t = mine[2]
    set_status(s, TEC1, t, "arrived", at=paris(2026, 11, 24, 11, 0))
    r = set_status(
        s, TEC1, t, "failed", reason="needs_workshop", at=paris(2026, 11, 24, 11, 20)
    )
    ticket = s.get_one(RepairTicket, t)
    assert ticket.resolution_path == "workshop" and ticket.status == "awaiting pickup"
    assert ticket.loaner_needed is True
    assert "workshop" in r.next_step


def test_another_technicians_visit_is_refused(day) -> None:
    s, mine, theirs = day
    with pytest.raises(AccessDenied):
        set_status(s, TEC1, theirs[0], "on_my_way")
    with pytest.raises(AccessDenied):
        set_status(s, TEC2, mine[0], "arrived")
    s.rollback()
    assert s.scalar(select(Visit.id).where(Visit.ticket_id.in_(mine + theirs))) is None
    # a dispatcher may report on anyone's visit
    set_status(s, DISPATCHER, theirs[0], "on_my_way")


def test_refusals_name_the_reason(day) -> None:
    s, mine, _ = day
    with pytest.raises(VisitRefused, match="needs a reason"):
        set_status(s, TEC1, mine[0], "failed")
    with pytest.raises(VisitRefused, match="unknown status"):
        set_status(s, TEC1, mine[0], "teleported")
    set_status(s, TEC1, mine[0], "arrived")
    set_status(s, TEC1, mine[0], "done")
    with pytest.raises(VisitRefused, match="is done: it cannot become on the way"):
        set_status(s, TEC1, mine[0], "on_my_way")
    store = Who("store1", "store staff")
    with pytest.raises(AccessDenied):
        set_status(s, store, mine[1], "arrived")


def test_cli_visit_status(day, demo_url: str, monkeypatch, capsys) -> None:
    s, mine, _ = day
    ref = s.get_one(RepairTicket, mine[0]).ref
    s.close()
    monkeypatch.setenv("DATABASE_URL", demo_url)
    argv = ["visit", "status", "--ticket", ref, "--set", "on_my_way"]
    assert main([*argv, "--at", "2026-11-24T08:45"]) == 0
    assert "on the way at Tue 24 Nov 08:45" in capsys.readouterr().out
    assert main(["visit", "status", "--ticket", ref, "--set", "failed"]) == 2
    assert "needs a reason" in capsys.readouterr().err
    assert main(["visit", "status", "--ticket", "R0", "--set", "arrived"]) == 2
    assert "does not exist" in capsys.readouterr().err
