"""End-to-end fixtures: the real dashboard in a ``streamlit run`` subprocess, driven by
Playwright in Debian's headless Chromium (never ``playwright install``).

- ``e2e_db_url`` (session): a small demo SQLite database built in a temp directory;
- ``streamlit_server`` (session): starts ``streamlit run dashboard/app.py`` on a free
  loopback port against it, waits for ``/_stcore/health``, yields the base URL;
- ``browser`` (session): Chromium from ``/usr/bin/chromium``;
- ``page``: a fresh browser page (its console errors in ``page.console_errors``);
- ``signed_in_page(role)``: a page signed in through the form as the demo user of
  ``role`` ("dispatcher", "store staff", "manager", "admin"), back on the home page.

Without ``/usr/bin/chromium`` the tests skip with the reason, unless ``CI`` is set
(then they fail). Other e2e tests reuse these fixtures: use ``signed_in_page`` and
click through the sidebar menu (opening a URL starts a new, signed-out session).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("TOURNEE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_S = 90
DEMO_USERS: dict[str, tuple[str, str]] = {
    "dispatcher": ("dispatch", "dispatch-demo"),
    "store staff": ("store1", "store-demo"),
    "manager": ("manager", "manager-demo"),
    "admin": ("admin", "admin-demo"),
    "agent": ("agent", "agent-demo"),
}
#: Text that must never reach a user's screen.
ERROR_TEXTS = ("Traceback", "Exception:", "Error:", "StreamlitAPIException")


def _need_chromium() -> None:
    if CHROMIUM.is_file():
        return
    msg = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(msg + "; CI must run the end-to-end tests")
    pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def e2e_db_url(
    _sqlite_demo_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A small demo SQLite database of its own (the server process writes to it)."""
    path = tmp_path_factory.mktemp("e2e") / "demo.db"
    shutil.copy(_sqlite_demo_template, path)
    return f"sqlite:///{path}"


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(
        f"streamlit not healthy after {STARTUP_S} s:\n{log.read_text()[-3000:]}"
    )


@pytest.fixture(scope="session")
def streamlit_server(
    e2e_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of the dashboard on the e2e database."""
    _need_chromium()
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "DATABASE_URL": e2e_db_url, "TOURNEE_MAP_TILES": "offline"}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard/app.py",
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        stop_server(proc)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Ask the server to stop; a server still busy after 10 s is killed."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A new page in its own context, 1440×1000; ``page.console_errors`` collects errors."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    p = context.new_page()
    p.set_default_timeout(30_000)
    errors: list[str] = []
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.console_errors = errors
    yield p
    context.close()


def sign_in(page: Any, base_url: str, role: str) -> Any:
    """Open the app, sign in as ``role``'s demo user, wait for the sidebar's sign-out."""
    username, password = DEMO_USERS[role]
    page.goto(base_url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    return page


@pytest.fixture
def signed_in_page(page: Any, streamlit_server: str) -> Callable[[str], Any]:
    """``signed_in_page("manager")`` -> the Playwright page, signed in, on the home page."""

    def _sign_in(role: str) -> Any:
        return sign_in(page, streamlit_server, role)

    return _sign_in


def open_menu_page(page: Any, title: str) -> None:
    """Click ``title`` in the sidebar menu (keeps the signed-in session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()


def assert_no_error_text(page: Any) -> None:
    """No traceback or exception box anywhere on the page."""
    body = page.locator("body").inner_text()
    for text in ERROR_TEXTS:
        assert text not in body, f"{text!r} on the page:\n{body[:2000]}"
    assert page.get_by_test_id("stException").count() == 0


SETTLED = """() => !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')"""


def wait_settled(page: Any, timeout_ms: int = 30_000) -> None:
    """Wait until the script run in flight has ended: no element left over from the
    previous run (Streamlit marks those ``data-stale``) and no "running" icon. Call it
    after something shows the rerun has begun, since a rerun starts a moment later."""
    page.wait_for_function(SETTLED, timeout=timeout_ms)
