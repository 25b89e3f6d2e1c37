"""A store user in real headless Chromium: mark a bag ready, then collected."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.conftest import assert_no_error_text, open_menu_page

pytestmark = pytest.mark.e2e

REF = re.compile(r"\bO\d{4,}\b")


def _button(page, action: str, order_id: str):
    """The bag's button: Streamlit tags each keyed element with ``st-key-<key>``."""
    return page.locator(f".st-key-store_{action}_{order_id}").get_by_role("button")


def test_store_user_marks_a_bag_ready_then_collected(signed_in_page):
    """The bag leaves Today when ready, shows under Waiting, and leaves it when collected."""
    page = signed_in_page("store staff")
    started = time.monotonic()
    open_menu_page(page, "Store pick-ups")
    page.get_by_role("heading", name=re.compile("^Store pick-ups")).wait_for()
    first = page.locator("[class*='st-key-store_ready_']").first
    first.wait_for()
    shown_s = time.monotonic() - started
    assert_no_error_text(page)

    key = re.search(r"st-key-store_ready_(\d+)", first.get_attribute("class")).group(1)
    card = (
        page.get_by_test_id("stVerticalBlock")
        .filter(has=page.locator(f".st-key-store_ready_{key}"))
        .filter(has_text=REF)
        .last
    )
    ref = REF.search(card.inner_text()).group(0)
    today_tab = page.get_by_role("tab", name=re.compile(r"^Today \("))
    before = int(re.search(r"\((\d+)\)", today_tab.inner_text()).group(1))
    _button(page, "ready", key).click()

    page.get_by_text(f"Bag {ref} marked ready").wait_for()
    page.get_by_role("tab", name=f"Today ({before - 1})").wait_for()
    # gone once the rerun ends (a stale copy stays on screen until then)
    _button(page, "ready", key).wait_for(state="detached", timeout=20_000)

    waiting_tab = page.get_by_role("tab", name=re.compile(r"^Waiting \("))
    waiting_tab.click()
    collect = _button(page, "collected", key)
    collect.wait_for()
    waiting = int(re.search(r"\((\d+)\)", waiting_tab.inner_text()).group(1))
    collect.click()

    page.get_by_text(f"Bag {ref} marked collected").wait_for()
    # the message is drawn first in the rerun, the tabs after it: wait for them
    page.get_by_role("tab", name=f"Waiting ({waiting - 1})").wait_for()
    _button(page, "collected", key).wait_for(state="detached", timeout=20_000)
    collected = page.get_by_test_id("stMetric").filter(has_text="Collected today")
    assert int(collected.get_by_test_id("stMetricValue").inner_text()) >= 1
    assert_no_error_text(page)
    print(f"store page shown {shown_s:.2f} s after the menu click")
