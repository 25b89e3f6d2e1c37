"""Faults during plan runs and contradictory rows: one line, failed runs, reasons instead of tracebacks."""

from __future__ import annotations

import threading
import time as clock
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, text, update

from data.base import PARIS, utcnow
from data.db import make_engine, sessions
from data.models import Plan, PlanRun, RepairTicket, Technician
from dispatch.cli.main import main
from dispatch.planning import run_signals
from dispatch.planning import runs as jobs
from tests.builders import dispatcher, plan_inline, scarce_day
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)


def test_reversed_window_and_shift_become_reasons(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions(db_url, writer=True).begin() as s:
        ids = scarce_day(s, DAY, techs=2, tickets=6, seed=21)
    with sessions(db_url, writer=True).begin() as s:
        t = s.get_one(RepairTicket, ids[0])
        t.window_start = datetime.combine(DAY, time(14), tzinfo=PARIS)
        t.window_end = datetime.combine(DAY, time(12), tzinfo=PARIS)
        tech = s.scalars(select(Technician).order_by(Technician.id)).first()
        assert tech is not None
        tech.shift_start, tech.shift_end = time(17), time(8)
        name = tech.name
    view = plan_inline(db_url, monkeypatch, "technicians", DAY, seconds=1)
    bad = next(u for u in view.unassigned if u.ticket_id == ids[0])
    assert "window ends before it starts" in bad.detail and bad.constraint == "window"
    assert "shift ends before it starts" in view.stats["idle"][name]
    assert all(r.name != name for r in view.routes)
    assert view.stats["jobs_total"] == 6 and view.stats["violations"] == 0


def test_a_run_without_heartbeat_is_failed_when_read(db_url: str) -> None:
    with sessions(db_url, writer=True).begin() as s:
        run_id = jobs.create_run(
            s,
            kind="technicians",
            day=DAY,
            region=None,
            seconds=5,
            actor=dispatcher("test"),
        )
        s.execute(
            update(PlanRun)
            .where(PlanRun.id == run_id)
            .values(
                status="running",
                heartbeat_at=utcnow() - timedelta(seconds=jobs.STALE_S + 5),
            )
        )
    with sessions(db_url)() as s:
        view = jobs.status(s, run_id)
        assert view.status == "failed" and "no heartbeat" in (view.error or "")
    with sessions(db_url)() as s:
        assert s.get_one(PlanRun, run_id).status == "failed"
        assert [r.status for r in jobs.recent_runs(s, DAY, "technicians")] == ["failed"]


def test_losing_the_database_mid_run_is_one_line_and_no_plan(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sessions(db_url, writer=True).begin() as s:
        scarce_day(s, DAY, techs=2, tickets=30, seed=22)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(run_signals, "HEARTBEAT_S", 0.2)
    engine = make_engine(db_url)

    def cut() -> None:
        clock.sleep(1.5)
        with engine.begin() as c:  # the run's table vanishes under it
            c.execute(text("DROP TABLE plan_run"))

    threading.Thread(target=cut, daemon=True).start()
    t0 = clock.monotonic()
    code = main(["plan", "--date", DEMO_DAY, "--seconds", "30", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0 and len(err) == 1 and "database" in err[0]
    assert "Traceback" not in err[0]
    assert clock.monotonic() - t0 < 20  # stopped long before its 30 s
    with sessions(db_url)() as s:
        assert s.scalar(select(func.count(Plan.id))) == 0
