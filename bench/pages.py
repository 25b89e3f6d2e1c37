"""Page speed in a real browser: every page of every demo role, click to settled, in seconds.

Usage (a national demo database, e.g. ``tournee demo --scale national``)::

    DATABASE_URL=sqlite:///var/tournee.db python bench/pages.py [--port 8603] [--shots DIR]
        [--only ROLE_OR_USER] [--region "Auvergne-Rhône-Alpes" --region "Whole country"]

Starts ``streamlit run dashboard/app.py`` against ``DATABASE_URL``, signs in as each
demo user in headless Chromium (``/usr/bin/chromium``, never ``playwright install``),
clicks each page of the sidebar menu and measures from the click until the page has
finished updating: Streamlit's running indicator gone, no spinner, and every map
iframe's Leaflet container drawn. Prints one line per page (with the part after the
script ended: the browser drawing) and the pages above 2 s. ``--region`` also times
choosing that region on the Dispatch board and Deliveries (the demo's first region
has a published plan: its routes map, timelines and lists).
Not a test: figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("TOURNEE_CHROMIUM", "/usr/bin/chromium")
USERS = {
    "dispatcher": ("dispatch", "dispatch-demo"),
    "manager": ("manager", "manager-demo"),
    "store staff": ("store1", "store-demo"),
    "admin": ("admin", "admin-demo"),
    "agent": ("agent", "agent-demo"),
    "technician": ("tec-001", "tech-demo"),
}
LIMIT_S = 2.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TOURNEE_MAP_TILES": os.environ.get("TOURNEE_MAP_TILES", "offline"),
    }
    cmd = [
        sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
        "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
        "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"streamlit exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/_stcore/health", timeout=2
            ):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("streamlit did not start within 120 s")


def settled(page: Any, timeout_s: float = 60.0, was_url: str | None = None) -> float:
    """Wait until the new page is shown, the app stops running and every map has drawn.

    A check right after the click can see the *old* page at rest (the rerun has
    not started yet), so with ``was_url`` the address must change first, and the
    quiet state must then hold for ``QUIET_S`` in a row: the figure is an upper
    bound of what the user waits, not a lower one.

    Returns the monotonic time at which the app's script last stopped running (the
    server's part; what follows until settled is the browser drawing, maps mostly).
    """
    deadline = time.monotonic() + timeout_s
    if was_url is not None:
        while page.url == was_url and time.monotonic() < deadline:
            page.wait_for_timeout(20)
    quiet_since: float | None = None
    script_done = time.monotonic()
    was_busy = True
    while time.monotonic() < deadline:
        busy = _busy(page)
        if was_busy and not busy:
            script_done = time.monotonic()
        was_busy = busy
        if not busy and _drawn(page):
            now = time.monotonic()
            quiet_since = quiet_since or now
            if now - quiet_since >= QUIET_S:
                return min(script_done, quiet_since)
        else:
            quiet_since = None
        page.wait_for_timeout(50)
    raise TimeoutError("page did not settle")


QUIET_S = 0.3
"""How long the page must stay at rest to count as settled (subtracted from the figure)."""


def _busy(page: Any) -> bool:
    """The app's script is running, or its output is not all shown yet."""
    # the toolbar is minimal (no status widget): the app root carries the run state
    busy = (
        page.get_by_test_id("stStatusWidget").count() > 0
        or page.locator("[data-test-script-state='running']").count() > 0
    )
    spin = page.get_by_test_id("stSpinner").count() > 0
    stale = page.locator("[data-stale='true']").count() > 0
    return bool(busy or spin or stale)


def _drawn(page: Any) -> bool:
    """Every iframe loaded, and every folium map in one has its Leaflet container."""
    for frame in page.frames[1:]:
        try:
            if not frame.url or frame.url == "about:blank":
                return False  # an iframe not loaded yet
            folium = "folium" in frame.url or frame.locator("#map, .folium-map").count()
            if folium and not frame.locator(".leaflet-container").count():
                return False
        except Exception:
            return False
    return True


def _sign_in(page: Any, base: str, username: str, password: str) -> float | None:
    """Sign in; the seconds from the click until the landing page settled, or None."""
    page.goto(base)
    settled(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    t0 = time.monotonic()
    page.get_by_role("button", name="Sign in").click()
    try:
        page.get_by_role("button", name="Sign out").wait_for(timeout=30_000)
    except Exception:
        return None
    settled(page)
    return time.monotonic() - t0 - QUIET_S


def _show_all_links(nav: Any) -> None:
    """Open the menu's "View N more" (Streamlit folds a long menu after 10 pages)."""
    more = nav.get_by_test_id("stSidebarNavViewButton")
    if (
        more.count()
        and more.inner_text().strip().startswith("View")
        and ("less" not in more.inner_text())
    ):
        more.click()
        more.get_by_text("View less").wait_for(timeout=5_000)


def _titles(page: Any) -> list[str]:
    nav = page.get_by_test_id("stSidebarNav")
    if not nav.count():
        return []
    _show_all_links(nav)
    # a link's text is "<icon name>\n\n<title>": keep the title
    return [
        t.strip().splitlines()[-1].strip()
        for t in nav.get_by_role("link").all_inner_texts()
    ]


Row = tuple[str, str, float, float]
"""(role, page title, seconds click to settled, seconds of those after the script ended)."""


def _shot(page: Any, shots: Path | None, name: str) -> None:
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _line(role: str, title: str, took: float, drawing: float) -> str:
    flag = "  SLOW" if took > LIMIT_S else ""
    return f"{role:12} {title:28} {took:6.2f} s  (drawing {drawing:4.2f} s){flag}"


BOARDS = ("Dispatch board", "Deliveries")
"""Pages with a Region choice timed again per ``--region`` (a region with a plan shows
its routes map, timelines and lists rather than the visits to plan)."""

_WATCH_RUN = """() => { window.__ran = false; const obs = new MutationObserver(() => {
    if (document.querySelector("[data-test-script-state='running']")) window.__ran = true; });
    obs.observe(document.body, {subtree: true, attributes: true, childList: true}); }"""


def _pick_region(page: Any, region: str) -> tuple[float, float]:
    """Choose ``region`` in the page's Region box: (seconds to settled, of which drawing)."""
    page.get_by_label("Region").first.click()
    option = page.get_by_role("option", name=region, exact=True)
    option.wait_for()
    page.evaluate(_WATCH_RUN)  # a rerun can be over before a poll would see it
    t0 = time.monotonic()
    option.click()
    page.wait_for_function("() => window.__ran", timeout=10_000)
    script_done = settled(page)
    took = time.monotonic() - t0 - QUIET_S
    return took, max(0.0, t0 + took - script_done)


def _regions(
    page: Any, role: str, titles: list[str], regions: Sequence[str], out: list[Row]
) -> None:
    for title in (t for t in BOARDS if t in titles):
        nav = page.get_by_test_id("stSidebarNav")
        _show_all_links(nav)
        was = page.url
        nav.get_by_role("link", name=title, exact=False).first.click()
        settled(page, was_url=was)
        for region in regions:
            name = f"{title} · {region}"[:28]
            try:
                took, drawing = _pick_region(page, region)
            except Exception:
                took, drawing = float("inf"), 0.0
            out.append((role, name, took, drawing))
            print(_line(role, name, took, drawing), flush=True)


def run(
    base: str,
    shots: Path | None,
    roles: set[str] | None,
    regions: Sequence[str] = (),
) -> list[Row]:
    from playwright.sync_api import sync_playwright

    out: list[Row] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for role, (user, password) in USERS.items():
            if roles and role not in roles and user not in roles:
                continue
            ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = ctx.new_page()
            page.set_default_timeout(60_000)
            landed = _sign_in(page, base, user, password)
            if landed is None:
                print(f"{role:12} ({user}): cannot sign in, skipped")
                ctx.close()
                continue
            print(
                f"{role:12} {'(sign-in to landing page)':28} {landed:6.2f} s",
                flush=True,
            )
            titles = _titles(page)
            if (
                not titles
            ):  # one page, no menu (the technician's round): the landing page
                out.append((role, "(only page)", landed, 0.0))
                _shot(page, shots, f"{user}-only")
            for title in titles:
                nav = page.get_by_test_id("stSidebarNav")
                _show_all_links(nav)
                t0 = time.monotonic()
                was = page.url
                try:
                    link = nav.get_by_role("link", name=title, exact=False).first
                    same = link.get_attribute("aria-current") == "page"
                    link.click()
                    script_done = settled(page, was_url=None if same else was)
                    took = time.monotonic() - t0 - QUIET_S
                    drawing = max(0.0, t0 + took - script_done)
                except Exception:  # a page that never settles counts as failed
                    took, drawing = float("inf"), 0.0
                out.append((role, title, took, drawing))
                print(_line(role, title, took, drawing), flush=True)
                _shot(page, shots, f"{user}-{title.lower().replace(' ', '_')}")
            if regions:
                _regions(page, role, titles, regions, out)
            ctx.close()
        browser.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="default: a free port")
    ap.add_argument(
        "--shots", type=Path, default=None, help="save a screenshot per page here"
    )
    ap.add_argument(
        "--only",
        action="append",
        default=None,
        help="a role or demo user to time (repeatable; default: every role)",
    )
    ap.add_argument(
        "--region",
        action="append",
        default=[],
        help="after the menu, choose this region on the Dispatch board and Deliveries "
        "and time it too (repeatable; 'Whole country' included)",
    )
    args = ap.parse_args()
    if "DATABASE_URL" not in os.environ:
        print("set DATABASE_URL to a national demo database", file=sys.stderr)
        return 2
    port = args.port or _free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-pages-{port}.log"
    proc = _server(port, log)
    try:
        rows = run(
            f"http://127.0.0.1:{port}", args.shots, set(args.only or ()), args.region
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    slow = [r for r in rows if r[2] > LIMIT_S]
    print(f"\n{len(rows)} pages, {len(slow)} above {LIMIT_S:.0f} s")
    for role, title, took, _ in sorted(slow, key=lambda r: -r[2]):
        print(f"  {took:6.2f} s  {role} · {title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
