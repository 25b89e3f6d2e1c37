"""The loaners page under AppTest (small demo, SQLite): pool, overdue loans, lend,
take back, transfer, and store staff limited to their own store."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.app_pages.loaners import stock_map
from dashboard.components.tables import pool_records, state_totals
from data.db import make_engine
from data.models import Loan, Loaner, RepairTicket, Site
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.views import loaners as loaner_view
from tests.dashboard.conftest import APP, open_page, sign_in


@pytest.fixture
def app(app_db: str) -> AppTest:
    """The real app on a copy of the small SQLite demo (``app_db``, the same template
    as ``demo_url``'s sqlite param); a minute per run, for a busy machine."""
    return AppTest.from_file(str(APP), default_timeout=60)


LEND = "FormSubmitter:loaners_lend_form-Lend a loaner"
RETURN = "FormSubmitter:loaners_return_form-Take back (goes to cleaning)"
TRANSFER = "FormSubmitter:loaners_transfer_form-Send (in transit until it arrives)"
REFUSAL = "You can only see your own store's loaners."


def _db(url: str) -> Session:
    return sessionmaker(bind=make_engine(url), expire_on_commit=False)()


def _lendable_ticket(url: str) -> RepairTicket:
    """An open ticket with a machine on record and no open loan."""
    with _db(url) as s:
        open_loans = select(Loan.ticket_id).where(Loan.returned_at.is_(None))
        return s.scalars(
            select(RepairTicket)
            .where(
                RepairTicket.status.in_(("new", "triaged", "scheduled")),
                RepairTicket.machine_id.is_not(None),
                RepairTicket.id.not_in(open_loans),
            )
            .order_by(RepairTicket.id)
        ).first()


def _open(at: AppTest, role: str) -> AppTest:
    sign_in(at, role)
    return open_page(at, "loaners")


@pytest.mark.parametrize("role", ["dispatcher", "store staff", "manager", "admin"])
def test_each_role_sees_the_pool(app, role, folium_maps):
    """Metrics, the pool table and the loaner list, for every role of the page."""
    _open(app, role)
    assert not app.exception
    assert app.title[0].value.startswith("Loaners")
    assert [m.label for m in app.metric][:5] == [  # the forecast tab follows
        "Available",
        "Lent",
        "Cleaning",
        "In transit",
        "Loans overdue",
    ]
    assert sum(int(m.value) for m in app.metric[:4]) > 0
    assert app.dataframe
    # the stock map is drawn for the whole network, not for one store
    assert (len(folium_maps) == 1) == (role != "store staff")


def test_store_staff_see_only_their_store(app, app_db, folium_maps):
    """Every loaner listed is held by store1's store; no site selector."""
    _open(app, "store staff")
    own = app.session_state["auth_user"].store_id
    with _db(app_db) as s:
        code = s.get_one(Site, own).code
        held = s.scalar(
            select(Loaner.id).where(Loaner.site_id == own).limit(1).exists().select()
        )
    assert held
    assert "loaners_site" not in [sb.key for sb in app.selectbox]
    pool = app.dataframe[0].value
    assert set(pool["Site"]) == {code}
    listing = app.dataframe[-1].value
    assert len(listing) and set(listing["Site"]) == {code}


@pytest.mark.parametrize("how", ["query", "session"])
def test_store_staff_asking_for_another_site_are_refused(app, app_db, how):
    """?site=<another store> or a tampered session value: refusal and no data."""
    sign_in(app, "store staff")
    own = app.session_state["auth_user"].store_id
    with _db(app_db) as s:
        other = s.scalars(
            select(Site.id).where(Site.kind == "store", Site.id != own)
        ).first()
    if how == "query":
        app.query_params["site"] = str(other)
    else:
        app.session_state["loaners_site"] = other
    open_page(app, "loaners")
    assert not app.exception
    assert [e.value for e in app.error] == [REFUSAL]
    assert not app.metric and not app.dataframe


def test_dispatcher_lends_for_a_ticket(app, app_db, folium_maps):
    """The main action: a ticket reference gives a loan from the nearest site."""
    ticket = _lendable_ticket(app_db)
    _open(app, "dispatcher")
    app.text_input(key="loaners_lend_ticket").input(ticket.ref)
    app.button(key=LEND).click().run()
    assert not app.exception
    assert app.success, [e.value for e in app.warning] + [e.value for e in app.error]
    assert f"lent for ticket {ticket.ref}" in app.success[0].value
    with _db(app_db) as s:
        loan = s.scalar(
            select(Loan).where(Loan.ticket_id == ticket.id, Loan.returned_at.is_(None))
        )
    assert loan is not None
    # lending again for the same ticket is refused with the reason
    app.text_input(key="loaners_lend_ticket").input(ticket.ref)
    app.button(key=LEND).click().run()
    assert not app.exception
    assert "already has loaner" in app.warning[0].value


def test_store_staff_lend_from_their_store_only(app, app_db, folium_maps):
    """Store staff lend from their store (or get the reason why not)."""
    ticket = _lendable_ticket(app_db)
    _open(app, "store staff")
    own = app.session_state["auth_user"].store_id
    app.text_input(key="loaners_lend_ticket").input(str(ticket.id))
    app.button(key=LEND).click().run()
    assert not app.exception
    with _db(app_db) as s:
        loan = s.scalar(select(Loan).where(Loan.ticket_id == ticket.id))
    if app.success:
        assert loan is not None and loan.from_site_id == own
    else:
        assert loan is None and "no " in app.warning[0].value


def test_lending_for_an_unknown_ticket_says_so(app, folium_maps):
    """A message, not a traceback; what was typed is shown as text."""
    _open(app, "dispatcher")
    app.text_input(key="loaners_lend_ticket").input("[x](javascript:y)")
    app.button(key=LEND).click().run()
    assert not app.exception
    assert "does not exist" in app.error[0].value
    assert "\\[x\\]\\(javascript:y\\)" in app.error[0].value


def test_take_back_and_transfer(app, app_db, folium_maps):
    """A lent loaner taken back goes to cleaning; an available one sent is in transit."""
    _open(app, "dispatcher")
    lent_id = app.selectbox(key="loaners_return_loaner").value
    app.button(key=RETURN).click().run()
    assert not app.exception
    assert "taken back" in app.success[0].value
    sent_id = app.selectbox(key="loaners_transfer_loaner").value
    with _db(app_db) as s:
        here = s.get_one(Loaner, sent_id).site_id
    sb = app.selectbox(key="loaners_to")
    with _db(app_db) as s:
        other = s.scalars(
            select(Site.id).where(Site.kind.in_(("store", "depot")), Site.id != here)
        ).first()
    sb.set_value(other)
    app.button(key=TRANSFER).click().run()
    assert not app.exception
    assert "in transit" in app.success[0].value
    with _db(app_db) as s:
        assert s.get_one(Loaner, lent_id).state == "cleaning"
        sent = s.get_one(Loaner, sent_id)
        assert (sent.state, sent.site_id) == ("in transit", other)


# --- services, called directly ----------------------------------------------------------


def _user(role: str, store_id: int | None = None) -> SignedIn:
    return SignedIn(9, "u", "U", role, store_id, None, None)


def test_loaner_view_keeps_store_staff_in_their_store(demo_session):
    stores = list(
        demo_session.scalars(
            select(Site.id).where(Site.kind == "store").order_by(Site.id)
        )
    )
    own, other = stores[:2]
    me = _user("store staff", own)
    assert {p.site_id for p in loaner_view.pool_by_site(demo_session, me)} <= {own}
    assert all(
        r.site_id == own for r in loaner_view.loaners(demo_session, me, states=())
    )
    with pytest.raises(AccessDenied):
        loaner_view.pool_by_site(demo_session, me, other)
    with pytest.raises(AccessDenied):
        loaner_view.overdue(demo_session, me, date(2026, 11, 24), other)
    theirs = demo_session.scalars(
        select(Loaner).where(Loaner.site_id == other, Loaner.state == "available")
    ).first()
    if theirs is not None:
        with pytest.raises(AccessDenied):
            loaner_view.transfer(demo_session, me, theirs.id, own)
    with pytest.raises(AccessDenied):
        loaner_view.lend(demo_session, me, "1", other)
    # dispatchers see the whole network
    everyone = loaner_view.pool_by_site(demo_session, _user("dispatcher"))
    assert len({p.site_id for p in everyone}) > 1


def test_stock_map_escapes_site_names():
    pool = loaner_view.SitePool(
        1,
        "<b>S</b>",
        "<script>alert(1)</script>",
        "store",
        "Nowhere",
        45.7,
        4.8,
        (("available", 2), ("lent", 1)),
    )
    html = stock_map([pool]).get_root().render()
    assert "<script>alert(1)" not in html
    # what the browser's script sees once the JSON escapes are read
    html = html.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pool_records_and_totals_leave_retired_out():
    pools = [
        loaner_view.SitePool(
            1,
            "A",
            "Site A",
            "store",
            "R",
            45.0,
            4.0,
            (("available", 2), ("retired", 5)),
        ),
        loaner_view.SitePool(
            2, "B", "Site B", "depot", "R", 46.0, 5.0, (("lent", 3), ("cleaning", 1))
        ),
    ]
    rows = pool_records(pools)
    assert [r["Total"] for r in rows] == [2, 4]
    assert rows[1]["Lent"] == 3 and rows[1]["Available"] == 0
    totals = {r["State"]: r["Loaners"] for r in state_totals(pools)}
    assert totals == {
        "available": 2,
        "reserved": 0,
        "lent": 3,
        "in transit": 0,
        "cleaning": 1,
    }
