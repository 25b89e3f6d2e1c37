"""The technician's day end to end, at a phone's size: a demo technician signs in, sees
only their round, reports on my way -> arrived -> done on one visit and could not fix
(part needed) on another; the dispatcher's board then shows both, the histories too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from data.base import PARIS
from data.db import make_engine
from data.models import RepairTicket, TicketEvent, Visit
from tests.builders import DEMO_DATE, day_tickets, publish_round
from tests.e2e.conftest import (
    REPO,
    _need_chromium,
    _wait_healthy,
    free_port,
    stop_server,
    wait_settled,
)

PHONE = {"width": 390, "height": 844}
REGION = "Auvergne-Rhône-Alpes"


@pytest.fixture(scope="module")
def field_day(
    _sqlite_demo_template: Path, tmp_path_factory
) -> Iterator[tuple[str, str, list[int], list[int]]]:
    """A demo copy whose visits are wanted today, two rounds published, and its server."""
    _need_chromium()
    path = tmp_path_factory.mktemp("field_e2e") / "demo.db"
    shutil.copy(_sqlite_demo_template, path)
    url = f"sqlite:///{path}"
    today = datetime.now(PARIS).date()
    eng = make_engine(url)
    with sessionmaker(bind=eng).begin() as s:
        s.execute(
            update(RepairTicket)
            .where(RepairTicket.visit_on == DEMO_DATE)
            .values(visit_on=today)
        )
        ids = day_tickets(s, today, 5)
        publish_round(s, today, {1: ids[:3], 2: ids[3:]}, region=REGION)
    eng.dispose()
    port = free_port()
    log = path.parent / "server.log"
    env = {**os.environ, "DATABASE_URL": url, "TOURNEE_MAP_TILES": "offline"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
             "--server.headless=true", "--server.address=127.0.0.1",
             f"--server.port={port}", "--browser.gatherUsageStats=false",
             "--server.fileWatcherType=none"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, log)
        yield base, url, ids[:3], ids[3:]
    finally:
        stop_server(proc)


def _open(page, card, summary: str, inside) -> None:  # type: ignore[no-untyped-def]
    """Open an expander in a card, again if a rerun still in flight re-drew it closed."""
    for _ in range(5):
        card.get_by_text(summary).first.click()
        try:
            inside.wait_for(state="visible", timeout=3_000)
            page.wait_for_timeout(300)  # the expander stays open once the rerun is done
            if inside.is_visible():
                return
        except Exception:
            continue
    inside.wait_for(state="visible")


def _stop_order(page) -> list[int]:
    """The tickets of the round's cards, in the order the page shows them."""
    page.locator("[class*='st-key-stop_']").first.wait_for()
    classes = page.locator("[class*='st-key-stop_']").evaluate_all(
        "els => els.map(e => e.className)"
    )
    return [int(re.search(r"st-key-stop_(\d+)", c).group(1)) for c in classes]


def _card(page, ticket: int):  # type: ignore[no-untyped-def]
    return page.locator(f".st-key-stop_{ticket}")


def _tap(page, card, button: str, badge: str) -> None:  # type: ignore[no-untyped-def]
    """Tap a card's button, then wait for the card's new badge and for the rerun to end."""
    card.get_by_role("button", name=button).click()
    card.get_by_text(badge, exact=True).wait_for()
    wait_settled(page)


def _sign_in(page, base: str, user: str, password: str) -> None:
    page.goto(base)
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def _call_buttons_show_the_whole_number(p) -> None:  # type: ignore[no-untyped-def]
    """Every "Call …" button shows its whole number: nothing inside it is cut ("…")."""
    calls = p.locator("a[data-testid^='stBaseLinkButton']").filter(has_text="Call")
    calls.first.wait_for()
    assert calls.count() >= 1
    for i in range(calls.count()):
        call = calls.nth(i)
        text = call.inner_text().replace("\u00a0", " ").splitlines()[-1]
        assert re.fullmatch(r"Call 0\d( \d\d){4}", text), text
        cut = call.evaluate(
            "e => Array.from(e.querySelectorAll('*'))"
            ".filter(c => c.scrollWidth > c.clientWidth + 1).length"
        )
        assert cut == 0, f"{text!r} is cut short"


def test_technician_day_on_a_phone(field_day, browser) -> None:
    """One browser per test session (a second sync Playwright in the same process fails)."""
    base, url, mine, theirs = field_day
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    p = ctx.new_page()
    p.set_default_timeout(60_000)
    p.goto(base)
    p.get_by_label("Username").fill("tec-001")
    p.get_by_label("Password", exact=True).fill("tech-demo")
    p.get_by_role("button", name="Sign in").click()
    p.get_by_role("heading", name="My round").wait_for()
    p.get_by_text("3 of 3 visits left").wait_for()  # their round only: 3, not 5
    _call_buttons_show_the_whole_number(p)
    p.set_viewport_size({"width": 700, "height": 390})  # the phone turned sideways
    p.wait_for_timeout(300)
    _call_buttons_show_the_whole_number(p)
    # a narrower column (a phone's larger text): two buttons side by side cut the number
    style = p.add_style_tag(content=".block-container {max-width: 24rem !important}")
    p.wait_for_timeout(300)
    _call_buttons_show_the_whole_number(p)
    style.evaluate("e => e.remove()")
    p.set_viewport_size(PHONE)
    # each step inside one stop's card, waiting for that card to show the new state: a
    # page-wide ``.first`` could land on a card a rerun was still redrawing
    done_t, failed_t, untouched_t = _stop_order(p)
    assert sorted((done_t, failed_t, untouched_t)) == sorted(mine)
    first, second = _card(p, done_t), _card(p, failed_t)
    _tap(p, first, "On my way", "On the way")
    _tap(p, first, "Arrived", "On site")
    _open(p, first, "Done — fixed", first.get_by_label("Fix code"))
    first.get_by_label("Fix code").fill("PUMP-01")
    _tap(p, first, "Mark done", "Done")
    _tap(p, second, "Arrived", "On site")
    _open(p, second, "Could not fix", second.get_by_text("Part needed"))
    second.get_by_text("Part needed").click()
    second.get_by_role("button", name="Report").click()
    p.get_by_text("second visit to book").wait_for()
    second.get_by_role("button", name="Report").wait_for(state="detached")
    p.screenshot(path="/tmp/tournee_field_phone.png")
    ctx.close()

    ctx = browser.new_context(viewport={"width": 1440, "height": 1000})
    p = ctx.new_page()
    p.set_default_timeout(60_000)
    _sign_in(p, base, "dispatch", "dispatch-demo")
    p.get_by_test_id("stSidebarNav").get_by_role("link", name="Dispatch board").click()
    p.get_by_text("As reported from the field").wait_for()
    p.get_by_test_id("stMetricLabel").filter(has_text="Could not fix").wait_for()
    metrics = {
        m.get_by_test_id("stMetricLabel").inner_text(): m.get_by_test_id(
            "stMetricValue"
        ).inner_text()
        for m in p.get_by_test_id("stMetric").all()
    }
    assert metrics.get("Done") == "1" and metrics.get("Could not fix") == "1", metrics
    # the ticket histories show the moves, and the other round was never touched
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        status = dict(s.execute(select(Visit.ticket_id, Visit.status)).tuples().all())
        assert (status.get(done_t), status.get(failed_t)) == ("done", "failed")
        assert untouched_t not in status
        assert not set(theirs) & set(status)

        def moves(t: int) -> list[str]:
            q = select(TicketEvent.to_state).where(TicketEvent.ticket_id == t)
            return list(s.scalars(q.order_by(TicketEvent.id)))

        assert moves(done_t)[-3:] == ["scheduled", "in progress", "resolved"]
        assert moves(failed_t)[-2:] == ["in progress", "triaged"]  # to book
    eng.dispose()
    ctx.close()
