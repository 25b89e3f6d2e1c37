"""The dispatcher board (and the deliveries page) under AppTest, on the small demo.

``map_view.show`` is patched (``folium_maps`` collects the maps); plans are solved by the
real worker process, which the tests wait for by re-running the app.
"""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app_pages.board import SECTIONS
from tests.dashboard.conftest import APP, open_page, sign_in

PLAN_WAIT_S = 90


def _board(
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    page: str = "board",
    role: str = "dispatcher",
) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    sign_in(at, role)
    return open_page(at, page)


def _subheaders(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


def _frame(at: AppTest, column: str) -> Any:
    """The first dataframe that has ``column``."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(
        f"no table with a {column!r} column; subheaders: {_subheaders(at)}"
    )


def _plan(at: AppTest, seconds: int = 2) -> AppTest:
    """Press "Plan the day" and re-run the app until the plan is shown."""
    at.number_input(key="board_seconds").set_value(seconds).run()
    at.button(key="board_plan").click().run()
    assert not at.exception, [e.value for e in at.exception]
    deadline = time.monotonic() + PLAN_WAIT_S
    while time.monotonic() < deadline:
        done = "board_run_id" not in at.session_state
        if done and any(h.startswith("Routes") for h in _subheaders(at)):
            return at
        time.sleep(1)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    raise AssertionError(f"no plan after {PLAN_WAIT_S} s: {_subheaders(at)}")


def test_board_lists_the_jobs_with_explanations(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, folium_maps: list[Any]
) -> None:
    """Before planning: the day's 90 visits with score, SLA, skill, window, tier and why."""
    at = _board(monkeypatch, demo_url)
    assert not at.exception
    assert [t.value for t in at.title] == ["Dispatch board"]
    assert "Visits to plan (90)" in _subheaders(at)
    df = _frame(at, "Why this priority")
    assert len(df) == 90
    assert {"Score", "SLA due", "SLA", "Skill", "Window", "Tier"} <= set(df.columns)
    assert df["Why this priority"].str.contains("member", case=False).all()
    assert len(folium_maps) == 1  # the jobs map


def test_plan_the_day_shows_routes_and_unassigned(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, folium_maps: list[Any]
) -> None:
    """ "Plan the day" runs the worker; the map, the route list and the unassigned list show."""
    at = _plan(_board(monkeypatch, demo_url))
    heads = _subheaders(at)
    assert any(h.startswith("Routes (") for h in heads)
    assert any(h.startswith("Unassigned visits (") for h in heads)
    routes = _frame(at, "Technician")
    assert len(routes) >= 1 and (routes["Visits"] > 0).all()
    assert any(
        "Plan ready" in s.value or "Cancelled" in s.value
        for s in [*at.success, *at.warning]
    )
    assert any(b.label == "Publish" for b in at.button)
    assert folium_maps, "the plan map was drawn"
    at.button(key="board_publish").click().run()
    assert not at.exception
    assert any("Published" in c.value for c in at.caption)


def test_filters_narrow_the_job_table(
    app_db: str, monkeypatch: pytest.MonkeyPatch, folium_maps: list[Any]
) -> None:
    """Tier and search filters apply to the table (and the map)."""
    at = _board(monkeypatch, app_db)
    at.multiselect(key="board_f_tier").set_value(["Gold"]).run()
    df = _frame(at, "Why this priority")
    assert 0 < len(df) < 90 and set(df["Tier"]) == {"Gold"}
    first = df["Customer"].iloc[0]
    at.text_input(key="board_f_text").input(first).run()
    assert set(_frame(at, "Why this priority")["Customer"]) == {first}
    assert not at.exception


def test_pin_remove_replan_and_what_if(
    app_db: str, monkeypatch: pytest.MonkeyPatch, folium_maps: list[Any]
) -> None:
    """After a plan: pin a visit, remove one from the day, re-plan (diff shown), what-if."""
    at = _plan(_board(monkeypatch, app_db))
    at.session_state["board_section"] = "Pins & re-plan"
    at.run()
    jobs = at.selectbox(key="board_pin_job").options
    at.selectbox(key="board_pin_tech").select_index(1)
    at.button(key="FormSubmitter:board_pin_form-Pin").click().run()
    assert not at.exception
    pins = _frame(at, "Visit")
    assert len(pins) == 1 and pins.iloc[0]["Technician"] != "any"
    victim = at.selectbox(key="board_pin_job").options[-1]
    assert victim.startswith("R")  # visits are named by their ticket's reference
    at.selectbox(key="board_pin_job").select_index(len(jobs) - 1)
    at.button(key="FormSubmitter:board_pin_form-Remove from the day").click().run()
    assert not at.exception
    assert len(at.selectbox(key="board_pin_job").options) == len(jobs) - 1
    at.button(key="board_replan").click().run()
    deadline = time.monotonic() + PLAN_WAIT_S
    while time.monotonic() < deadline and not any(
        "Changes from plan" in e.label for e in at.expander
    ):
        time.sleep(1)
        at.run()
    assert any("Changes from plan" in e.label for e in at.expander)
    at.session_state["board_section"] = "What-if"
    at.run()
    at.button(key="FormSubmitter:board_whatif_form-Run the what-if").click().run()
    deadline = time.monotonic() + PLAN_WAIT_S
    while time.monotonic() < deadline:
        time.sleep(1)
        at.run()
        try:
            table = _frame(at, "Measure")
            break
        except AssertionError:
            continue
    assert table["Measure"].iloc[0] == "Jobs placed"
    assert not at.exception


def test_other_sections_render(
    app_db: str, monkeypatch: pytest.MonkeyPatch, folium_maps: list[Any]
) -> None:
    """Timeline, to-plan table and route sheets open without error after a plan."""
    at = _plan(_board(monkeypatch, app_db))
    for section in SECTIONS:
        at.session_state["board_section"] = section
        at.run()
        assert not at.exception, (section, [e.value for e in at.exception])
    at.session_state["board_section"] = "Route sheets"
    at.run()
    assert {"Download CSV", "Print-friendly page (HTML)"} <= {
        b.proto.label for b in at.get("download_button")
    }


def test_store_staff_is_refused_the_board(
    app_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store user sent to the board's address does not see it."""
    at = _board(monkeypatch, app_db, role="store staff")
    assert "Dispatch board" not in [t.value for t in at.title]
    assert not any(h.startswith("Visits to plan") for h in _subheaders(at))


def test_deliveries_page_plans_courier_routes(
    app_db: str, monkeypatch: pytest.MonkeyPatch, folium_maps: list[Any]
) -> None:
    """The couriers' board: stops to plan, then routes and unassigned stops."""
    at = _board(monkeypatch, app_db, page="deliveries")
    assert not at.exception
    assert [t.value for t in at.title] == ["Deliveries"]
    assert any(h.startswith("Stops to plan (") for h in _subheaders(at))
    at.number_input(key="deliveries_seconds").set_value(2).run()
    at.button(key="deliveries_plan").click().run()
    deadline = time.monotonic() + PLAN_WAIT_S
    while time.monotonic() < deadline and not any(
        h.startswith("Routes") for h in _subheaders(at)
    ):
        time.sleep(1)
        at.run()
    assert any(h.startswith("Unassigned stops (") for h in _subheaders(at))
    assert not at.exception


def test_deliveries_page_without_the_courier_builder(
    app_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the courier planner is missing, the page says so instead of failing."""
    with mock.patch(
        "dashboard.app_pages.deliveries.courier_builder_available", return_value=False
    ):
        at = _board(monkeypatch, app_db, page="deliveries")
        assert not at.exception
        assert any("cannot be planned yet" in i.value for i in at.info)


def test_cancel_keeps_the_best_plan_so_far(
    app_db: str, monkeypatch: pytest.MonkeyPatch, folium_maps: list[Any]
) -> None:
    """A long run shows its progress; Cancel stops it and the best plan so far is shown."""
    at = _board(monkeypatch, app_db)
    at.number_input(key="board_seconds").set_value(120).run()
    at.button(key="board_plan").click().run()
    deadline = time.monotonic() + PLAN_WAIT_S
    while time.monotonic() < deadline:  # wait until the solver has placed jobs
        time.sleep(1)
        at.run()
        placed = [m.value for m in at.metric if m.label == "Jobs placed"]
        if placed and not placed[0].startswith("0 "):
            break
    assert at.status and at.status[0].state == "running"
    started = time.monotonic()
    at.button(key="board_cancel").click().run()
    while time.monotonic() < deadline and "board_run_id" in at.session_state:
        time.sleep(1)
        at.run()
    assert time.monotonic() - started < 60, "cancel did not stop a 120 s run early"
    assert any("Cancelled after" in w.value for w in at.warning)
    assert any(h.startswith("Routes (") for h in _subheaders(at))
    assert not at.exception
