"""The Users page (admins): list, create, change role, deactivate, reset a password."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from data.db import make_engine
from data.models import User
from dispatch.access.auth import sign_in as attempt
from tests.dashboard.conftest import nav_titles, open_page, sign_in


def _user(url: str, name: str) -> User | None:
    eng = make_engine(url)
    with sessionmaker(bind=eng, expire_on_commit=False)() as s:
        row = s.scalar(select(User).where(User.username == name))
    eng.dispose()
    return row


def test_admin_creates_a_store_user_and_deactivates_them(app, app_db):
    sign_in(app, "admin")
    assert "Users" in nav_titles(app)
    open_page(app, "users")
    assert not app.exception
    assert app.title[0].value == "Users"
    table = app.dataframe[0].value
    assert "dispatch" in set(table["Username"])
    app.text_input(key="users_new_username").input("Zoe")
    app.selectbox(key="users_new_role").select("store staff")
    app.selectbox(key="users_new_store").select_index(1)  # the first store
    app.text_input(key="users_new_password").input("a long enough secret")
    app.text_input(key="users_new_again").input("a long enough secret")
    app.button(key="FormSubmitter:users_create-Create user").click().run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert "Created zoe (store staff)." in [s.value for s in app.success]
    zoe = _user(app_db, "zoe")
    assert zoe is not None and zoe.store_id is not None and not zoe.demo
    assert attempt("zoe", "a long enough secret", url=app_db).user is not None
    # Deactivate from the edit form.
    app.selectbox(key="users_chosen").select("zoe").run()
    app.checkbox(key="users_active_zoe").uncheck()
    app.button(key="FormSubmitter:users_edit-Save changes").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert _user(app_db, "zoe").active is False  # type: ignore[union-attr]


def test_a_demo_password_is_refused_on_the_page(app, app_db):
    sign_in(app, "admin")
    open_page(app, "users")
    app.text_input(key="users_new_username").input("yann")
    app.text_input(key="users_new_password").input("dispatch-demo")
    app.text_input(key="users_new_again").input("dispatch-demo")
    app.button(key="FormSubmitter:users_create-Create user").click().run()
    assert any("demo password" in e.value for e in app.error)
    assert _user(app_db, "yann") is None


def test_non_admins_do_not_reach_the_users_page(app, folium_maps):
    sign_in(app, "manager")
    assert "Users" not in nav_titles(app)
    open_page(app, "users")
    assert not app.exception
    assert "Users" not in [t.value for t in app.title]
