"""Planning the days ahead on the small demo: leave, weekly limits, spill-over to the
next day, every day's plan valid; and the availability rules themselves."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from data.db import make_engine
from data.models import PlanRoute, Technician, TechnicianAbsence
from dispatch.cli.main import main
from dispatch.planning.availability import parse_pattern, shift_on
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)  # a Tuesday
REGION = "Auvergne-Rhône-Alpes"


def test_weekly_pattern_holidays_and_daily_limit() -> None:
    t = Technician(
        code="T",
        name="T",
        region="R",
        home_lat=0,
        home_lon=0,
        days_off=[5, 6],
        shift_start=time(8),
        shift_end=time(17, 30),
    )
    assert shift_on(t, DAY) == (time(8), time(17, 30))
    assert shift_on(t, date(2026, 11, 28)) is None  # Saturday, a day off
    assert shift_on(t, date(2026, 12, 25)) is None  # Christmas, a public holiday
    t.max_hours_day = 6
    assert shift_on(t, DAY) == (time(8), time(14))
    t.weekly_hours = parse_pattern("Mon-Thu 09:00-16:00, Sat 09:00-12:00")
    assert shift_on(t, date(2026, 11, 28)) == (time(9), time(12))
    assert shift_on(t, date(2026, 11, 27)) is None  # Friday is not in the pattern
    with pytest.raises(ValueError, match="'Mon-Fri 9-5'"):
        parse_pattern("Mon-Fri 9-5")


def test_horizon_honours_leave_and_weekly_limits(
    demo_url: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    make = sessionmaker(bind=make_engine(demo_url))
    with make.begin() as s:
        techs = s.scalars(
            select(Technician)
            .where(Technician.region == REGION)
            .order_by(Technician.id)
        ).all()
        on_leave, limited = techs[0], techs[1]
        s.add(
            TechnicianAbsence(
                technician_id=on_leave.id, on_date=DAY + timedelta(days=1), kind="leave"
            )
        )
        limited.max_hours_week = 10
        on_leave_id, limited_name = on_leave.id, limited.name
    out = tmp_path / "h.json"
    argv = [
        "plan",
        "--from",
        DEMO_DAY,
        "--days",
        "3",
        "--region",
        REGION,
        "--seconds",
        "2",
        "--quiet",
        "--balance",
        "100",  # workload balance on: every constraint still holds
    ]
    assert main([*argv, "--json", str(out)]) == 0
    h = json.loads(out.read_text())
    assert h["from"] == DEMO_DAY and [d["date"] for d in h["days"]] == [
        (DAY + timedelta(days=k)).isoformat() for k in range(3)
    ]
    assert (
        set(h) >= {"overtime_minutes", "spread_hours"} and REGION in h["spread_hours"]
    )
    seen: set[str] = set()
    for d in h["days"]:
        assert d["stats"]["violations"] == 0
        for r in d["routes"]:
            for stop in r["stops"]:
                assert stop["job"] not in seen, "a visit placed on two days"
                seen.add(stop["job"])
    day2 = h["days"][1]
    with make() as s:
        day2_techs = set(
            s.scalars(
                select(PlanRoute.technician_id).where(
                    PlanRoute.plan_id == day2["plan_id"]
                )
            )
        )
        assert on_leave_id not in day2_techs
    worked = sum(d["hours"].get(limited_name, 0.0) for d in h["days"])
    assert worked <= 10 + 1e-6


def test_left_over_work_moves_to_the_next_day(
    demo_url: str, tmp_path: Path, monkeypatch
) -> None:
    """With two technicians, day 1 is full: visits it leaves out are placed on day 2."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    make = sessionmaker(bind=make_engine(demo_url))
    with make.begin() as s:
        for t in s.scalars(
            select(Technician)
            .where(Technician.region == REGION)
            .order_by(Technician.id)
        ).all()[2:]:
            t.active = False
    out = tmp_path / "h.json"
    argv = [
        "plan",
        "--from",
        DEMO_DAY,
        "--days",
        "2",
        "--region",
        REGION,
        "--seconds",
        "2",
        "--quiet",
    ]
    assert main([*argv, "--json", str(out), "--overtime", "0"]) == 0
    h = json.loads(out.read_text())
    day1, day2 = h["days"]
    left = {u["job"] for u in day1["unassigned"]}
    placed2 = {s["job"] for r in day2["routes"] for s in r["stops"]}
    assert left and left & placed2, "day 1's left-over visits are planned on day 2"


def test_a_horizon_plan_run_saves_each_day_and_its_summary(demo_url: str) -> None:
    """What the board starts: a run of two days, solved reading only, saved at the end;
    the board's view reads it per day and region and per technician."""
    from data.db import write_session
    from data.models import Plan, PlanRun
    from dispatch.access.roles import AccessDenied
    from dispatch.planning.runs import create_run, execute
    from dispatch.views.board_horizon import latest_horizon
    from tests.builders import dispatcher, principal

    with write_session(demo_url) as s:
        with pytest.raises(ValueError, match="technicians only"):
            create_run(
                s,
                kind="couriers",
                day=DAY,
                region=None,
                seconds=2,
                actor=dispatcher("dispatch"),
                horizon_days=2,
            )
        for days, balance, why in ((1, 100.0, "horizon's"), (2, -1.0, "0 or more")):
            with pytest.raises(ValueError, match=why):
                create_run(
                    s,
                    kind="technicians",
                    day=DAY,
                    region=REGION,
                    seconds=2,
                    actor=dispatcher("dispatch"),
                    horizon_days=days,
                    balance_per_hour=balance,
                )
        run_id = create_run(
            s,
            kind="technicians",
            day=DAY,
            region=REGION,
            seconds=2,
            actor=dispatcher("dispatch"),
            horizon_days=2,
            balance_per_hour=100,  # the board's balance term, solved by the worker
        )
    first = execute(run_id, url=demo_url)
    make = sessionmaker(bind=make_engine(demo_url))
    with make() as s:
        run = s.get(PlanRun, run_id)
        assert run is not None and run.status == "done" and run.plan_id == first
        assert run.params["balance_per_hour"] == 100
        ids = [d["plan_id"] for d in run.params["horizon"]["days"]]
        plans = [s.get(Plan, i) for i in ids]
        assert [p.plan_date for p in plans if p] == [DAY, DAY + timedelta(days=1)]
        assert all(p and p.stats["violations"] == 0 for p in plans)
        h = latest_horizon(s, DAY, REGION, actor=principal("dispatcher"))
        assert h is not None and h.run_id == run_id and h.balance_per_hour == 100
        assert [r.region for r in h.rows] == [REGION, REGION]
        assert sum(r.placed for r in h.rows) == run.jobs_placed > 0
        assert h.technicians and all(t.region == REGION for t in h.technicians)
        assert all(t.most_in_a_week_h <= t.week_limit_h for t in h.technicians)
        assert latest_horizon(s, DAY, None, actor=principal("dispatcher")) is None
        with pytest.raises(AccessDenied):
            latest_horizon(s, DAY, REGION, actor=principal("store staff", 1))
