"""A dispatcher in real headless Chromium: sign in, plan the small day, see the plan."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import assert_no_error_text, open_menu_page

pytestmark = pytest.mark.e2e

MAP_FRAME = 'iframe[data-testid="stIFrame"]'
SOLVE_S = "3"


def _map_is_drawn(page) -> None:
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".leaflet-container").wait_for()
    deadline = time.monotonic() + 20
    box = None
    while time.monotonic() < deadline:
        box = page.locator(MAP_FRAME).first.bounding_box()
        if box and box["height"] > 300:
            return
        time.sleep(0.1)
    raise AssertionError(
        f"map frame not drawn tall enough: {box}"
    )  # the 0-px iframe trap


def test_dispatcher_plans_the_day_and_sees_map_routes_and_unassigned(signed_in_page):
    """Jobs map first; "Plan the day" shows live progress; then the route map with
    numbered stops, the route list and the unassigned list; no error text."""
    page = signed_in_page("dispatcher")
    started = time.monotonic()
    open_menu_page(page, "Dispatch board")
    page.get_by_role("heading", name="Dispatch board").wait_for()
    page.get_by_role("heading", name="Visits to plan").wait_for()
    _map_is_drawn(page)
    print(
        f"board with its map drawn {time.monotonic() - started:.2f} s after the menu click"
    )

    seconds = page.get_by_role("spinbutton", name="Solve time (s)")
    seconds.fill(SOLVE_S)
    seconds.press("Enter")
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Plan the day").click()
    page.get_by_test_id("stStatusWidget").or_(
        page.get_by_text("Jobs placed")
    ).first.wait_for()

    page.get_by_role("heading", name="Unassigned visits").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Routes").wait_for()
    _map_is_drawn(page)
    frame = page.frame_locator(MAP_FRAME).first
    frame.locator(".tournee-stop").first.wait_for()
    assert frame.locator(".tournee-stop").count() >= 10
    assert (
        frame.locator(".leaflet-overlay-pane canvas").count() >= 1
    )  # route lines (prefer_canvas)
    assert (
        page.get_by_text("Plan ready").or_(page.get_by_text("Cancelled after")).count()
        >= 1
    )
    assert (
        page.get_by_test_id("stDataFrame").count() >= 2
    )  # route list + unassigned list
    assert_no_error_text(page)
    assert not [e for e in page.console_errors if "favicon" not in e], (
        page.console_errors
    )
