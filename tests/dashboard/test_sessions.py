"""Sessions follow the account: each run re-checks the user row; idle sessions end."""

from __future__ import annotations

import time

from sqlalchemy.orm import sessionmaker

from dashboard.auth_ui import ENDED, IDLE
from dashboard.state import SEEN_KEY, USER_KEY
from data.db import make_engine
from dispatch.access import admin
from dispatch.access.auth import SignedIn
from tests.dashboard.conftest import nav_titles, sign_in

ROOT = SignedIn(1, "admin", "Admin", "admin", None, None, None)


def _as_admin(url: str, fn) -> None:  # type: ignore[no-untyped-def]
    eng = make_engine(url)
    with sessionmaker(bind=eng).begin() as s:
        fn(s)
    eng.dispose()


def test_a_deactivated_user_is_signed_out_on_the_next_run(app, app_db):
    sign_in(app, "dispatcher")
    assert nav_titles(app)[0] == "Today"
    _as_admin(app_db, lambda s: admin.deactivate(s, ROOT, "dispatch"))
    app.run()
    assert not app.exception
    assert USER_KEY not in app.session_state
    assert nav_titles(app) == ["Sign in"]
    assert ENDED in [i.value for i in app.info]


def test_a_password_reset_signs_out_everywhere(app, app_db):
    sign_in(app, "manager")
    _as_admin(
        app_db,
        lambda s: admin.reset_password(s, ROOT, "manager", "a brand new secret"),
    )
    app.run()
    assert nav_titles(app) == ["Sign in"]
    # The old password is gone, the new one works.
    sign_in(app, username="manager", password="manager-demo")
    assert nav_titles(app) == ["Sign in"]
    sign_in(app, username="manager", password="a brand new secret")
    assert app.session_state[USER_KEY].role == "manager"


def test_a_role_change_applies_on_the_next_run(app, app_db, folium_maps):
    sign_in(app, "dispatcher")
    assert "Service level" not in nav_titles(app)
    _as_admin(app_db, lambda s: admin.set_user(s, ROOT, "dispatch", role="manager"))
    app.run()
    assert not app.exception
    assert app.session_state[USER_KEY].role == "manager"
    assert "Service level" in nav_titles(app)
    assert "Dispatch board" not in nav_titles(app)


def test_an_idle_session_ends(app, monkeypatch):
    monkeypatch.setenv("TOURNEE_IDLE_MINUTES", "30")
    sign_in(app, "manager")
    app.session_state[SEEN_KEY] = time.time() - 31 * 60
    app.run()
    assert nav_titles(app) == ["Sign in"]
    assert IDLE in [i.value for i in app.info]


def test_an_active_session_stays(app, monkeypatch):
    monkeypatch.setenv("TOURNEE_IDLE_MINUTES", "30")
    sign_in(app, "manager")
    app.session_state[SEEN_KEY] = time.time() - 29 * 60
    app.run()
    assert app.session_state[USER_KEY].username == "manager"


def test_the_sign_in_page_says_the_demo_accounts_are_there(app):
    app.run()
    assert any("Demo database" in i.value for i in app.info)
