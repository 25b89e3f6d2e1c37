"""The board's horizon under AppTest (small demo): two days planned together by the
real worker process, shown per day and region and per technician against the limits."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data.db import write_session
from data.models import PlanRun
from dispatch import labels
from tests.conftest import DEMO_DAY
from tests.dashboard.conftest import APP, open_page, sign_in

REGION = "Auvergne-Rhône-Alpes"
WAIT_S = 120
DAY = date.fromisoformat(DEMO_DAY)


def _markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_board_plans_two_days_together(
    app_db: str, monkeypatch: pytest.MonkeyPatch, folium_maps: list[Any]
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    sign_in(at, "dispatcher")
    at = open_page(at, "board")
    at.date_input(key="board_day").set_value(DAY).run()
    at.selectbox(key="board_region").set_value(REGION).run()
    at.number_input(key="board_seconds").set_value(2).run()
    assert "board_balance" not in {n.key for n in at.number_input}  # a day: no balance
    at.selectbox(key="board_horizon").set_value(2).run()
    at.number_input(key="board_balance").set_value(100).run()
    assert not at.exception
    assert at.button(key="board_plan").label == "Plan 2 days"
    assert any("No horizon planned" in i.value for i in at.info)
    at.button(key="board_plan").click().run()
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        assert not at.exception, [e.value for e in at.exception]
        if "board_run_id" not in at.session_state and (
            "**Per day and region**" in _markdown(at)
        ):
            break
        time.sleep(1)
        at.run()
    else:
        raise AssertionError(f"no horizon after {WAIT_S} s: {_markdown(at)}")
    frames = {tuple(df.value.columns): df.value for df in at.dataframe}
    per_day = next(
        v for k, v in frames.items() if "Overtime (min)" in k and "Plan" in k
    )
    assert list(per_day.columns) == [
        "Day",
        "Region",
        "Placed",
        "Unplaced",
        "Overtime (min)",
        "Plan",
    ]
    assert list(per_day["Region"]) == [REGION, REGION]
    days = [labels.day(DAY), labels.day(DAY + timedelta(days=1))]
    assert list(per_day["Day"]) == days
    assert per_day["Placed"].sum() > 0 and set(per_day["Plan"]) == {"Draft"}
    techs = next(v for k, v in frames.items() if "Weekly limit (h)" in k)
    assert {
        "Technician",
        "Region",
        *days,
        "Total (h)",
        "Busiest week (h)",
        "Week used",
        "Daily limit (h)",
    } <= set(techs.columns)
    assert (techs["Busiest week (h)"] <= techs["Weekly limit (h)"]).all()
    assert (
        techs["Longest day (h)"] <= techs["Daily limit (h)"] + 1.01
    ).all()  # + overtime
    assert set(techs["Region"]) == {REGION}
    assert not techs["Technician"].str.contains("tech:").any()
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    # the first day's plan is the board's day below
    assert any(s.value.startswith("Routes") for s in at.subheader)
    # the balance term chosen on the board reached the worker's run
    assert any("workload balance 100 per hour" in c.value for c in at.caption)
    with write_session(app_db) as s:
        run = s.scalars(select(PlanRun).order_by(PlanRun.id.desc())).first()
        assert run is not None and run.params["balance_per_hour"] == 100
        assert run.params["horizon_days"] == 2
