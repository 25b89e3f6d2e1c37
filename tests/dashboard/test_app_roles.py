"""Sign-in, each role's menu, and refusals: the real app under AppTest (small demo)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app_pages import PAGES, ROLE_PAGES, PageSpec, specs_for
from dashboard.auth_ui import REFUSED
from dashboard.state import USER_KEY
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.access.roles import (
    AccessDenied,
    check_role,
    check_store_access,
    store_scope,
)
from tests.dashboard.conftest import DEMO_USERS, nav_titles, open_page, sign_in


def test_wrong_password_shows_an_error_and_no_menu(app):
    """A wrong password gives one message that does not say which field was wrong."""
    sign_in(app, username="manager", password="not-the-password")
    assert not app.exception
    assert [e.value for e in app.error] == [
        "Sign-in failed: check your username and password, or try again in a few minutes."
    ]
    assert USER_KEY not in app.session_state
    assert nav_titles(app) == ["Sign in"]


def test_unknown_user_gets_the_same_message(app):
    """An unknown username reads exactly like a wrong password."""
    sign_in(app, username="nobody", password="x")
    assert app.error[0].value.startswith("Sign-in failed")


@pytest.mark.parametrize("role", list(DEMO_USERS))
def test_each_role_sees_exactly_its_pages(app, role, folium_maps):
    """Through the form, each demo user lands on Today and the menu lists its pages only."""
    sign_in(app, role)
    assert not app.exception
    assert app.session_state[USER_KEY].role == role
    expected = [spec.title for spec in specs_for(role)]
    assert nav_titles(app) == expected
    assert expected[0] == "Today"
    assert ("Service level" in expected) == (role in ("manager", "admin"))
    assert app.title[0].value.startswith("Today")
    sidebar = " ".join(m.value for m in app.sidebar.markdown)
    assert role in sidebar.lower()


def test_store_user_sees_their_store_in_the_sidebar(app):
    """Store staff see which store they are bound to."""
    sign_in(app, "store staff")
    assert "Staff" in app.sidebar.markdown[0].value
    assert app.session_state[USER_KEY].store_id is not None


def test_store_user_forcing_the_manager_url_is_refused(app, folium_maps):
    """/service_map is not in a store user's navigation: they get their home page."""
    sign_in(app, "store staff")
    open_page(app, "service_map")
    assert not app.exception
    assert "Service level" not in [t.value for t in app.title]
    assert not app.metric or "On-time visits" not in [m.label for m in app.metric]
    assert folium_maps == []


def test_service_map_page_refuses_a_store_user_even_when_called():
    """Defence in depth: the page itself stops for a role it does not serve."""

    def script() -> None:
        import streamlit as st

        from dashboard.app_pages import service_map
        from dispatch.access.auth import SignedIn

        st.session_state["auth_user"] = SignedIn(
            2, "store1", "Staff", "store staff", 1, "Store", None
        )
        service_map.render()

    at = AppTest.from_function(script, default_timeout=30).run()
    assert not at.exception
    assert [e.value for e in at.error] == [REFUSED]
    assert not at.title and not at.metric


def test_tampered_session_state_is_nobody(app):
    """Anything but a SignedIn under the user key counts as signed out."""
    app.session_state[USER_KEY] = {"role": "manager", "username": "manager"}
    app.run()
    assert not app.exception
    assert nav_titles(app) == ["Sign in"]


def test_sign_out_forgets_the_user(app):
    """The sidebar's Sign out button brings the sign-in form back."""
    sign_in(app, "manager")
    app.sidebar.button(key="auth_sign_out").click().run()
    assert not app.exception
    assert USER_KEY not in app.session_state
    assert nav_titles(app) == ["Sign in"]


# --- the registry and the access rules -------------------------------------------------


def test_registry_skips_pages_not_written_yet(monkeypatch):
    """A page listed for a role but without its module is left out of the menu."""
    monkeypatch.setitem(
        PAGES, "nowhere", PageSpec("nowhere", "Nowhere", ":material/help:", "nowhere")
    )
    monkeypatch.setitem(ROLE_PAGES, Role.MANAGER, ("home", "nowhere", "service_map"))
    assert [s.module for s in specs_for("manager")] == ["home", "service_map"]
    assert specs_for("intruder") == []


def test_registry_url_paths_are_unique():
    """Each page has its own URL path, and every role's list names known pages."""
    paths = [s.url_path for s in PAGES.values()]
    assert len(paths) == len(set(paths))
    for keys in ROLE_PAGES.values():
        assert set(keys) <= set(PAGES)


def _user(role: str, store_id: int | None = None) -> SignedIn:
    return SignedIn(1, "u", "U", role, store_id, None, None)


def test_store_staff_reach_only_their_store():
    """check_store_access refuses another store (and no store); others see all stores."""
    check_store_access(_user("store staff", 3), 3)
    with pytest.raises(AccessDenied):
        check_store_access(_user("store staff", 3), 4)
    with pytest.raises(AccessDenied):
        check_store_access(_user("store staff", None), 3)
    for role in ("dispatcher", "manager", "admin"):
        check_store_access(_user(role), 4)
    with pytest.raises(AccessDenied):
        check_store_access(_user("intruder"), 4)
    assert store_scope(_user("store staff", 3)) == 3
    assert store_scope(_user("manager")) is None


def test_check_role_lets_admin_through():
    """Roles are checked in services too; admin passes every check."""
    check_role(_user("admin"), Role.MANAGER)
    check_role(_user("manager"), Role.MANAGER)
    with pytest.raises(AccessDenied):
        check_role(_user("store staff", 1), Role.MANAGER, Role.DISPATCHER)
