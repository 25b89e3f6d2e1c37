"""Field progress notices: the technician on the way (with the ETA told) and failed visits."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from data.models import Visit
from dispatch.notices.due_service import visit_progress
from dispatch.notices.kinds import Kind
from tests.builders import make_loan_customer, make_technician, make_ticket, paris

NOW = paris(2026, 11, 24, 10, 0)
TODAY = date(2026, 11, 24)


def _visit(
    s: Session,
    tech_id: int,
    day: date,
    status: str,
    *,
    eta: datetime | None = None,
    start: datetime | None = None,
    next_day: date | None = None,
) -> int:
    t = make_ticket(s, make_loan_customer(s), status="scheduled")
    t.visit_on = next_day
    v = Visit(
        ticket_id=t.id,
        technician_id=tech_id,
        visit_on=day,
        status=status,
        eta_at=eta,
        planned_start=start,
    )
    s.add(v)
    s.flush()
    return v.id


def test_on_the_way_and_failed_visits_are_owed(session: Session) -> None:
    tech = make_technician(session, code="TECH-P")
    yesterday = TODAY - timedelta(days=1)
    told = _visit(session, tech.id, TODAY, "on_my_way", eta=paris(2026, 11, 24, 10, 40))
    planned = _visit(
        session, tech.id, TODAY, "on_my_way", start=paris(2026, 11, 24, 11, 0)
    )
    _visit(session, tech.id, TODAY, "on_my_way")  # no ETA nor start: nothing to tell
    _visit(session, tech.id, yesterday, "on_my_way", eta=NOW)  # not today
    moved = _visit(
        session, tech.id, yesterday, "failed", next_day=TODAY + timedelta(days=2)
    )
    stays = _visit(session, tech.id, TODAY, "failed", next_day=TODAY)
    _visit(session, tech.id, TODAY - timedelta(days=3), "failed")  # too old
    _visit(session, tech.id, TODAY, "done")
    session.commit()

    due = {d.dedupe_key: d for d in visit_progress(session, NOW)}

    assert set(due) == {
        f"on-the-way:{told}",
        f"on-the-way:{planned}",
        f"visit-failed:{moved}",
        f"visit-failed:{stays}",
    }
    way = due[f"on-the-way:{told}"]
    assert way.kind is Kind.VISIT_ON_THE_WAY and way.entity_type == "visit"
    assert way.context["eta"] == paris(2026, 11, 24, 10, 40)
    assert way.context["technician"] == "Tech"
    assert due[f"on-the-way:{planned}"].context["eta"] == paris(2026, 11, 24, 11, 0)
    failed = due[f"visit-failed:{moved}"]
    assert failed.kind is Kind.VISIT_FAILED and failed.entity_id == str(moved)
    assert failed.context["visit_day"] == yesterday
    assert failed.context["new_day"] == TODAY + timedelta(days=2)
    assert due[f"visit-failed:{stays}"].context["new_day"] is None
