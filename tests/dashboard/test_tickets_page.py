"""The tickets page under AppTest (small demo, SQLite): filters, detail, moving a ticket."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from data.db import make_engine
from data.models import Customer, RepairTicket, TicketEvent
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.views import tickets as ticket_view
from tests.dashboard.conftest import APP, open_page, sign_in


@pytest.fixture
def app(app_db: str) -> AppTest:
    """The real app on a copy of the small SQLite demo (``app_db``, the same template
    as ``demo_url``'s sqlite param); a minute per run, for a busy machine."""
    return AppTest.from_file(str(APP), default_timeout=60)


MOVE = "FormSubmitter:tickets_move_form-Move ticket"
SCRIPT = "<script>alert(1)</script>"


def _db(url: str) -> Session:
    return sessionmaker(bind=make_engine(url), expire_on_commit=False)()


def _open(at: AppTest, role: str = "dispatcher") -> AppTest:
    sign_in(at, role)
    return open_page(at, "tickets")


def _triaged(url: str) -> RepairTicket:
    with _db(url) as s:
        return s.scalars(
            select(RepairTicket)
            .where(RepairTicket.status == "triaged")
            .order_by(RepairTicket.id)
        ).first()


def _find(at: AppTest, ref: str) -> AppTest:
    return at.text_input(key="tickets_find").input(ref).run()


@pytest.mark.parametrize("role", ["dispatcher", "manager", "admin"])
def test_each_role_sees_list_and_detail(app, role):
    """List, the first ticket's detail (triage, SLA, customer) and its move form."""
    _open(app, role)
    assert not app.exception
    assert app.title[0].value == "Tickets"
    listing = app.dataframe[0].value
    assert len(listing) > 0
    assert set(listing["Status"]) <= {
        "new",
        "triaged",
        "remote fix",
        "scheduled",
        "in progress",
        "awaiting pickup",
        "at workshop",
        "repaired",
        "returning",
    }  # "Open (not done)" by default
    assert app.subheader[0].value.startswith(listing["Ticket"].iloc[0])
    facts = " ".join(m.value for m in app.markdown)
    for label in ("**Triage**", "**SLA**", "**Customer**", "Path:", "Skill:", "Due "):
        assert label in facts


def test_store_staff_have_no_tickets_page(app):
    _open(app, "store staff")
    assert not app.exception
    assert "Tickets" not in [t.value for t in app.title]


@pytest.mark.parametrize("sla", ["breached", "at risk"])
def test_sla_filter(app, sla):
    """Breached / at risk: every row listed has that SLA status."""
    _open(app)
    app.selectbox(key="tickets_sla").set_value(ticket_view.SlaFilter(sla)).run()
    assert not app.exception
    if app.dataframe:
        assert set(app.dataframe[0].value["SLA"]) == {sla}
    else:
        assert "No ticket matches" in app.info[0].value


def test_status_and_region_filters(app):
    _open(app)
    app.selectbox(key="tickets_status").set_value("triaged").run()
    assert set(app.dataframe[0].value["Status"]) == {"triaged"}
    app.selectbox(key="tickets_region").set_value("Bretagne").run()
    assert not app.exception
    assert not app.dataframe  # the small demo is in Auvergne-Rhône-Alpes
    assert "No ticket matches" in app.info[0].value


def test_move_a_ticket_with_a_reason(app, app_db):
    """The main action: triaged -> the next state its path allows, reason in history."""
    ticket = _triaged(app_db)
    _open(app)
    _find(app, ticket.ref)
    assert app.subheader[0].value.startswith(ticket.ref)
    history_before = len(app.dataframe[-1].value)
    target = app.selectbox(key=f"tickets_to_{ticket.id}").options[0]
    app.selectbox(key=f"tickets_to_{ticket.id}").set_value(target)
    app.text_input(key=f"tickets_why_{ticket.id}").input("customer called back")
    app.button(key=MOVE).click().run()
    assert not app.exception
    assert app.success and f"is now {target}" in app.success[0].value
    with _db(app_db) as s:
        assert s.get_one(RepairTicket, ticket.id).status == target
        why = s.scalar(
            select(TicketEvent.why)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id.desc())
        )
    assert why == "customer called back"
    assert len(app.dataframe[-1].value) == history_before + 1


def test_move_without_reason_or_after_someone_else_is_refused(app, app_db):
    """No reason: a message. Moved by someone else meanwhile: a message. No traceback."""
    ticket = _triaged(app_db)
    _open(app)
    _find(app, ticket.ref)
    app.button(key=MOVE).click().run()
    assert not app.exception
    assert "say why" in app.error[0].value
    with _db(app_db) as s:  # someone else changes it
        s.get_one(RepairTicket, ticket.id).description = "edited elsewhere"
        s.commit()
    app.text_input(key=f"tickets_why_{ticket.id}").input("go")
    app.button(key=MOVE).click().run()
    assert not app.exception
    assert "changed by someone else" in app.error[0].value
    with _db(app_db) as s:
        assert s.get_one(RepairTicket, ticket.id).status == "triaged"


def test_unknown_reference_is_a_warning(app):
    _open(app)
    _find(app, "R-NOPE [x](javascript:y)")
    assert not app.exception
    assert app.warning[0].value == "No ticket R\\-NOPE \\[x\\]\\(javascript:y\\)."


def test_customer_typed_values_are_escaped(app, app_db):
    ticket = _triaged(app_db)
    with _db(app_db) as s:
        s.get_one(Customer, ticket.customer_id).name = SCRIPT + " [x](javascript:y)"
        s.get_one(RepairTicket, ticket.id).description = "**loud** <img src=x>"
        s.commit()
    _open(app)
    _find(app, ticket.ref)
    assert not app.exception
    text = " ".join([m.value for m in app.markdown] + [h.value for h in app.subheader])
    assert "\\<script\\>" in text and "\\[x\\]\\(javascript:y\\)" in text
    assert "\\*\\*loud\\*\\* \\<img src=x\\>" in text
    assert "<script>" not in text.replace("\\<script\\>", "")


# --- services ---------------------------------------------------------------------------


def test_ticket_view_checks_roles_and_counts(demo_session):
    store = SignedIn(9, "s", "S", "store staff", 1, None, None)
    dispatcher = SignedIn(8, "d", "D", "dispatcher", None, None, None)
    now = datetime(2026, 11, 24, 9, tzinfo=UTC)
    with pytest.raises(AccessDenied):
        ticket_view.tickets(demo_session, store, now=now)
    page = ticket_view.tickets(
        demo_session, dispatcher, now=now, status=ticket_view.OPEN
    )
    open_n = demo_session.scalar(
        select(func.count(RepairTicket.id)).where(
            RepairTicket.status.not_in(("resolved", "closed", "cancelled"))
        )
    )
    assert page.matching == open_n
    dues = [x.row.sla_due_at for x in page.lines if x.row.sla_due_at is not None]
    assert dues == sorted(dues)
    with pytest.raises(ValueError, match="say why"):
        ticket_view.move(
            demo_session, dispatcher, page.lines[0].row.id, "cancelled", why=" "
        )
