"""A manager in real headless Chromium: sign in, open the service-level map, see it drawn."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.conftest import assert_no_error_text, open_menu_page

pytestmark = pytest.mark.e2e

MAP_FRAME = 'iframe[data-testid="stIFrame"]'


def test_manager_sees_the_service_level_map(signed_in_page):
    """The map's frame is tall, Leaflet drew the areas, and the KPI figures are shown."""
    page = signed_in_page("manager")
    started = time.monotonic()
    open_menu_page(page, "Service level")
    page.get_by_role("heading", name="Service level").wait_for()
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container").wait_for()
    frame.locator(".leaflet-overlay-pane path").first.wait_for(state="attached")
    drawn_s = time.monotonic() - started

    box = page.locator(MAP_FRAME).bounding_box()
    assert box is not None and box["height"] > 300, box  # the 0-px iframe trap
    assert frame.locator(".leaflet-overlay-pane path").count() >= 10
    assert frame.locator(".tournee-legend").count() == 1
    for label in (
        "On-time visits",
        "First-time fix",
        "SLA breaches",
        "Open tickets",
        "Km per visit",
        "Jobs per technician-day",
    ):
        metric = page.get_by_test_id("stMetric").filter(has_text=label)
        assert metric.count() == 1, label
        assert any(
            ch.isdigit() for ch in metric.get_by_test_id("stMetricValue").inner_text()
        )
    assert_no_error_text(page)
    assert not [e for e in page.console_errors if "favicon" not in e], (
        page.console_errors
    )
    print(f"service map drawn {drawn_s:.2f} s after the menu click")


def test_store_user_has_no_service_level_page(signed_in_page):
    """Store staff land on their home page; no link anywhere leads to Service level."""
    page = signed_in_page("store staff")
    page.get_by_role("heading", name=re.compile("^Today")).wait_for()
    page.get_by_test_id("stMetric").first.wait_for()
    assert page.get_by_role("link", name="Service level").count() == 0
    assert_no_error_text(page)
