"""My round (the technician's phone page) under AppTest: own round only, status buttons."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from data.db import make_engine
from data.models import RepairTicket, Visit
from tests.builders import DEMO_DATE, day_tickets, publish_round
from tests.dashboard.conftest import nav_titles, open_page, sign_in


@pytest.fixture
def rounds(app_db: str) -> tuple[list[int], list[int]]:
    eng = make_engine(app_db)
    with sessionmaker(bind=eng).begin() as s:
        ids = day_tickets(s, DEMO_DATE, 5)
        publish_round(s, DEMO_DATE, {1: ids[:3], 2: ids[3:]})
    eng.dispose()
    return ids[:3], ids[3:]


def _visit(app_db: str, ticket_id: int) -> Visit | None:
    eng = make_engine(app_db)
    with sessionmaker(bind=eng, expire_on_commit=False)() as s:
        v = s.scalars(select(Visit).where(Visit.ticket_id == ticket_id)).first()
        t = s.get_one(RepairTicket, ticket_id)
        ticket_status = t.status
    eng.dispose()
    if v is not None:
        v.ticket_status = ticket_status  # type: ignore[attr-defined]
    return v


def test_technician_sees_only_their_round(app, app_db, rounds):
    mine, theirs = rounds
    sign_in(app, username="tec-001", password="tech-demo")
    assert not app.exception
    assert nav_titles(app) == ["My round"]
    assert app.title[0].value == "My round"
    text = " ".join(m.value for m in app.markdown) + " ".join(
        c.value for c in app.caption
    )
    eng = make_engine(app_db)
    with sessionmaker(bind=eng)() as s:
        refs = {t: s.get_one(RepairTicket, t).ref for t in mine + theirs}
    eng.dispose()
    for t in mine:
        assert f"Ticket {refs[t]}" in text
    for t in theirs:
        assert refs[t] not in text
    assert "3 of 3 visits left" in text
    # the board is not theirs: asking for it lands on their round
    open_page(app, "board")
    assert app.title[0].value == "My round"


def test_buttons_move_the_visit(app, app_db, rounds):
    mine, _ = rounds
    sign_in(app, username="tec-001", password="tech-demo")
    app.button(key=f"field_{mine[0]}_way").click().run()
    assert not app.exception
    assert "on the way" in app.success[0].value
    v = _visit(app_db, mine[0])
    assert v is not None and v.status == "on_my_way" and v.eta_at is not None
    app.button(key=f"field_{mine[0]}_arrived").click().run()
    assert _visit(app_db, mine[0]).ticket_status == "in progress"
    app.text_input(key=f"field_{mine[0]}_code").input("PUMP-01")
    app.button(key=f"FormSubmitter:field_{mine[0]}_done_form-Mark done").click().run()
    v = _visit(app_db, mine[0])
    assert v.status == "done" and v.fix_code == "PUMP-01"
    assert v.ticket_status == "resolved"
    # could not fix, part needed, on the second visit
    app.button(key=f"field_{mine[1]}_arrived").click().run()
    app.radio(key=f"field_{mine[1]}_reason").set_value("part_needed")
    app.button(key=f"FormSubmitter:field_{mine[1]}_fail_form-Report").click().run()
    assert not app.exception
    v = _visit(app_db, mine[1])
    assert v.status == "failed" and v.failure_reason == "part_needed"
    assert v.ticket_status == "triaged"  # a second visit to book
    assert "second visit" in app.success[0].value
    assert "1 of 3 visits left" in " ".join(c.value for c in app.caption)


def test_a_user_without_a_technician_is_told(app, rounds):
    sign_in(app, "dispatcher")
    assert "My round" not in nav_titles(app)


def test_a_message_does_not_move_the_cards(app, rounds):
    """The message after a report takes a place that is there anyway: the cards keep
    their positions, so a tap while the page redraws stays on the card it was meant for."""
    mine, _ = rounds
    sign_in(app, username="tec-001", password="tech-demo")
    assert not app.success
    before = len(app.main.children)
    app.button(key=f"field_{mine[0]}_way").click().run()
    assert "on the way" in app.success[0].value
    assert len(app.main.children) == before
    app.run()  # the message is shown once
    assert not app.success and len(app.main.children) == before
