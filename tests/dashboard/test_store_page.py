"""The store pick-up page under AppTest (small demo, SQLite): bags, sheet, loaners,
mark ready / collected, and a store user reaching for another store."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components.tables import bag_records
from data.db import make_engine
from data.models import Customer, DeliveryOrder, Site
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.views import store as store_view
from tests.dashboard.conftest import APP, open_page, sign_in


@pytest.fixture
def app(app_db: str) -> AppTest:
    """The real app on a copy of the small SQLite demo (``app_db``, the same template
    as ``demo_url``'s sqlite param); a minute per run, for a busy machine."""
    return AppTest.from_file(str(APP), default_timeout=60)


SCRIPT = "<script>alert(1)</script>"
REFUSAL = "You can only see your own store's pick-ups and loaners."


def _texts(at: AppTest) -> str:
    return " ".join(
        [m.value for m in at.markdown]
        + [t.value for t in at.title]
        + [c.value for c in at.caption]
    )


def _store_ids(url: str) -> list[int]:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        ids = list(
            s.scalars(select(Site.id).where(Site.kind == "store").order_by(Site.code))
        )
    eng.dispose()
    return ids


def _status(url: str, order_id: int) -> str:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        status = s.get_one(DeliveryOrder, order_id).status
    eng.dispose()
    return status


def _ready_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith("store_ready_")]


def test_store_user_sees_their_bags_sheet_and_loaners(app, app_db):
    """store1 lands on their store: bag counts, one button per bag, the sheet, loaners."""
    sign_in(app, "store staff")
    open_page(app, "store")
    assert not app.exception
    assert app.title[0].value.startswith("Store pick-ups · ")
    labels = [m.label for m in app.metric]
    assert labels == [
        "To prepare today",
        "For tomorrow",
        "Waiting at the counter",
        "Collected today",
    ]
    assert int(app.metric[0].value) == len(_ready_buttons(app)) - int(
        app.metric[1].value
    )
    assert not app.selectbox  # store staff do not choose a store
    assert [t.label for t in app.tabs][-1] == "Loaners"
    assert any(d.value is not None for d in app.dataframe)  # loaners table


def test_mark_ready_then_collected(app, app_db):
    """The main action: a bag marked ready moves to Waiting, then collected leaves it."""
    sign_in(app, "store staff")
    open_page(app, "store")
    before = int(app.metric[0].value)
    key = _ready_buttons(app)[0]
    order_id = int(key.rsplit("_", 1)[1])
    app.button(key=key).click().run()
    assert not app.exception
    assert app.success and "marked ready" in app.success[0].value
    assert _status(app_db, order_id) == "ready"
    assert int(app.metric[0].value) == before - 1
    assert f"store_collected_{order_id}" in [b.key for b in app.button]
    app.button(key=f"store_collected_{order_id}").click().run()
    assert not app.exception
    assert "collected" in app.success[0].value
    assert _status(app_db, order_id) == "collected"
    assert f"store_collected_{order_id}" not in [b.key for b in app.button]
    assert int(app.metric[3].value) >= 1


def test_marking_an_already_ready_bag_shows_a_message_not_a_traceback(app, app_db):
    """If someone else moved the bag meanwhile, the page says so."""
    sign_in(app, "store staff")
    open_page(app, "store")
    key = _ready_buttons(app)[0]
    order_id = int(key.rsplit("_", 1)[1])
    eng = make_engine(app_db)
    with sessionmaker(bind=eng).begin() as s:
        s.get_one(DeliveryOrder, order_id).status = "ready"
    eng.dispose()
    app.button(key=key).click().run()
    assert not app.exception
    assert app.error and "was not changed" in app.error[0].value


@pytest.mark.parametrize("how", ["query id", "query code", "query junk", "session"])
def test_store_user_asking_for_another_store_is_refused(app, app_db, how):
    """?store=<other id|code> or a tampered session value: refusal, no bag, no table."""
    own, other = _store_ids(app_db)[:2]
    sign_in(app, "store staff")
    assert app.session_state["auth_user"].store_id == own
    if how == "query id":
        app.query_params["store"] = str(other)
    elif how == "query code":
        app.query_params["store"] = "STO-002"
    elif how == "query junk":
        app.query_params["store"] = "'; drop table site"
    else:
        app.session_state["store_site"] = other
    open_page(app, "store")
    assert not app.exception
    assert [e.value for e in app.error] == [REFUSAL]
    assert not app.metric and not app.dataframe and not app.title
    assert not _ready_buttons(app)


def test_store_user_asking_for_their_own_store_by_url_is_fine(app, app_db):
    own = _store_ids(app_db)[0]
    sign_in(app, "store staff")
    app.query_params["store"] = str(own)
    open_page(app, "store")
    assert not app.exception and not app.error
    assert app.metric


def test_admin_chooses_the_store(app, app_db):
    """Admin gets a store selectbox; choosing the second store shows its bags."""
    sign_in(app, "admin")
    open_page(app, "store")
    assert not app.exception
    first = app.title[0].value
    other = _store_ids(app_db)[1]
    app.selectbox(key="store_site").set_value(other).run()
    assert not app.exception
    assert app.title[0].value != first


@pytest.mark.parametrize("role", ["dispatcher", "manager"])
def test_roles_without_the_store_page_do_not_get_it(app, role):
    sign_in(app, role)
    open_page(app, "store")
    assert not app.exception
    assert not any(t.value.startswith("Store pick-ups") for t in app.title)


def test_customer_typed_values_are_escaped(app, app_db):
    """A customer named like a script or a markdown link shows as text."""
    own = _store_ids(app_db)[0]
    eng = make_engine(app_db)
    with sessionmaker(bind=eng).begin() as s:
        order = s.scalars(
            select(DeliveryOrder).where(
                DeliveryOrder.destination_site_id == own,
                DeliveryOrder.status == "to prepare",
            )
        ).first()
        assert order is not None
        s.get_one(Customer, order.customer_id).name = SCRIPT + " [x](javascript:y)"
        order.items = "**bold** <b>x</b>"
    eng.dispose()
    sign_in(app, "store staff")
    open_page(app, "store")
    assert not app.exception
    text = _texts(app)
    assert "<script>" not in text.replace("\\<script\\>", "")
    assert "\\<script\\>" in text and "\\[x\\]\\(javascript:y\\)" in text
    assert "\\*\\*bold\\*\\*" in text


# --- the services, called directly -----------------------------------------------------


def _user(role: str, store_id: int | None) -> SignedIn:
    return SignedIn(9, "u", "U", role, store_id, None, None)


def test_store_view_refuses_another_store(demo_session):
    """The service refuses store staff reading or changing another store's bags."""
    stores = list(
        demo_session.scalars(
            select(Site.id).where(Site.kind == "store").order_by(Site.id)
        )
    )
    own, other = stores[:2]
    day = date(2026, 11, 24)
    me = _user("store staff", own)
    assert store_view.store_day(demo_session, me, own, day).store.id == own
    with pytest.raises(AccessDenied):
        store_view.store_day(demo_session, me, other, day)
    with pytest.raises(AccessDenied):
        store_view.store_loaners(demo_session, me, other, day)
    theirs = store_view.store_day(demo_session, _user("admin", None), other, day)
    if theirs.today:
        with pytest.raises(AccessDenied):
            store_view.mark_bag_ready(demo_session, me, other, theirs.today[0].order_id)
    with pytest.raises(AccessDenied):
        store_view.resolve_store(me, other)
    assert store_view.resolve_store(me, None) == own
    with pytest.raises(AccessDenied):
        store_view.store_day(demo_session, _user("dispatcher", None), own, day)


def test_bag_records_flag_late_bags(demo_session):
    own = demo_session.scalars(select(Site.id).where(Site.kind == "store")).first()
    data = store_view.store_day(
        demo_session, _user("admin", None), own, date(2026, 11, 25)
    )
    rows = bag_records(data.today, data.day)
    assert all(
        r["Late"] == (b.promised_on < data.day)
        for r, b in zip(rows, data.today, strict=True)
    )
