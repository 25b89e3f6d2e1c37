"""AppTest fixtures: the real ``dashboard/app.py`` on a copy of the small demo database.

- ``app_db``: a fresh SQLite copy of the small demo, exported as ``DATABASE_URL``;
- ``app``: an ``AppTest`` of ``dashboard/app.py`` on it (not run yet);
- ``sign_in(at, role)``: signs in through the form as the demo user of ``role``;
- ``open_page(at, url_path)``: what typing ``/<url_path>`` in the address bar does;
- ``folium_maps``: patches ``dashboard.components.map_view.show`` and collects the maps drawn.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"

#: Demo users created by ``tournee demo`` (data/demo.py), by role.
DEMO_USERS: dict[str, tuple[str, str]] = {
    "dispatcher": ("dispatch", "dispatch-demo"),
    "store staff": ("store1", "store-demo"),
    "manager": ("manager", "manager-demo"),
    "admin": ("admin", "admin-demo"),
    "agent": ("agent", "agent-demo"),
}


@pytest.fixture
def app_db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A private SQLite copy of the small demo, as ``DATABASE_URL``."""
    path = tmp_path / "demo.db"
    shutil.copy(request.getfixturevalue("_sqlite_demo_template"), path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def new_app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=30)


@pytest.fixture
def app(app_db: str) -> AppTest:
    return new_app()


def sign_in(
    at: AppTest,
    role: str | None = None,
    *,
    username: str | None = None,
    password: str | None = None,
) -> AppTest:
    """Run the app and sign in through the form (as ``role``'s demo user by default)."""
    if role is not None:
        username, password = DEMO_USERS[role]
    at.run()
    at.text_input(key="login_username").input(username or "")
    at.text_input(key="login_password").input(password or "")
    at.button(key="FormSubmitter:login_form-Sign in").click()
    return at.run()


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Ask for the page at ``/<url_path>``, as a browser would, and run.

    Streamlit identifies an ``st.Page`` by the hash of its URL path; AppTest's own
    ``switch_page`` only knows file pages, so set that hash directly.
    """
    at._page_hash = calc_hash(url_path)
    return at.run()


def nav_titles(at: AppTest) -> list[str]:
    """Titles of the pages in the sidebar menu, in order."""
    return [p["page_name"] for p in at._registered_pages.values()]


@pytest.fixture
def folium_maps() -> Iterator[list[Any]]:
    """Every folium map handed to ``map_view.show`` while the fixture is active."""
    maps: list[Any] = []

    def fake(fig: Any, *args: Any, **kwargs: Any) -> None:
        maps.append(fig)

    with mock.patch("dashboard.components.map_view.show", side_effect=fake):
        yield maps
