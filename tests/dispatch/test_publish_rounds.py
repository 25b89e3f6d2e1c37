"""Pins honoured or refused at once; re-plans never lose work; one published round per technician-day."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from data.base import PARIS
from data.db import sessions
from data.enums import PlanStatus
from data.models import Plan, PublishedRound, RepairTicket, Technician
from dispatch.cli.main import main
from dispatch.planning import plans as planning
from dispatch.planning import runs as jobs
from dispatch.planning.builder import technician_day
from tests.builders import dispatcher, plan_inline, scarce_day
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)


def test_a_pin_is_refused_at_once_with_its_reason(db_url: str) -> None:
    with sessions(db_url)() as s:
        ids = scarce_day(s, DAY, techs=2, tickets=8, seed=11)
    with sessions(db_url, writer=True).begin() as s:
        t = s.get_one(RepairTicket, ids[0])
        t.required_skill = "grinder"
        t.window_start = t.window_end = None
        lacking = next(
            x for x in s.scalars(select(Technician)) if "grinder" not in x.skills
        )
        s.flush()
        with pytest.raises(planning.PinRefused, match="lacks the skill"):
            planning.pin(
                s, DAY, f"T{t.id}", technician_id=lacking.id, actor=dispatcher("test")
            )
        able = next(x for x in s.scalars(select(Technician)) if "grinder" in x.skills)
        with pytest.raises(planning.PinRefused, match="no shift reaches"):
            planning.pin(
                s, DAY, f"T{t.id}", technician_id=able.id, actor=dispatcher("test"),
                not_before=datetime.combine(DAY, time(20), tzinfo=PARIS),
                not_after=datetime.combine(DAY, time(21), tzinfo=PARIS),
            )  # fmt: skip
        able.days_off = [DAY.weekday()]
        s.flush()
        with pytest.raises(planning.PinRefused, match="does not work"):
            planning.pin(
                s, DAY, f"T{t.id}", technician_id=able.id, actor=dispatcher("test")
            )
        assert planning.pins(s, DAY) == {}


def test_a_low_priority_pin_is_honoured_on_a_scarce_day(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions(db_url)() as s:
        scarce_day(s, DAY, techs=2, tickets=30, seed=12)
        dp = technician_day(s, DAY)
    low = min(
        (j for j in dp.problem.jobs if not j.windows),
        key=lambda j: j.priority,
    )
    with sessions(db_url, writer=True).begin() as s:
        tech = next(
            x
            for x in s.scalars(select(Technician))
            if next(iter(low.skills)) in x.skills
        )
        planning.pin(s, DAY, low.id, technician_id=tech.id, actor=dispatcher("test"))
    view = plan_inline(db_url, monkeypatch, "technicians", DAY, seconds=1.5)
    assert view.owner()[low.id] == f"tech:{tech.id}"
    assert view.stats["violations"] == 0


def test_replan_never_places_fewer_and_publishing_supersedes_explicitly(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sessions(db_url)() as s:
        scarce_day(s, DAY, techs=3, tickets=40, seed=13)
    first = plan_inline(db_url, monkeypatch, "technicians", DAY, seconds=1.5)
    with sessions(db_url, writer=True).begin() as s:
        planning.publish(s, first.id, actor=dispatcher("test"))
    with sessions(db_url, writer=True).begin() as s:
        run_id = jobs.create_run(
            s, kind="technicians", day=DAY, region=None, seconds=0.5, actor=dispatcher("test"),
            based_on=first.id, replan=True,
        )  # fmt: skip
    second_id = jobs.execute(run_id, url=db_url)
    assert second_id is not None
    with sessions(db_url)() as s:
        second = planning.load_plan(s, second_id)
        assert second.stats["jobs_placed"] >= first.stats["jobs_placed"]
        assert second.stats["priority_served_pct"] >= first.stats["priority_served_pct"]
        assert second.stats["replan"].startswith(
            f"started from {first.stats['jobs_placed']}"
        )
        # nothing changed since the first plan: its replay (breaks where planned)
        # keeps every visit, so nothing is said to be forced out
        assert "forced out" not in second.stats["replan"], second.stats["replan"]
    # the regional plan covers the same technicians: publishing it needs a yes
    regional = plan_inline(
        db_url, monkeypatch, "technicians", DAY, seconds=1.5, region="Bretagne"
    )
    with sessions(db_url)() as s:
        check = planning.publish_check(s, regional.id)
        assert [o.plan_id for o in check.overlaps] == [first.id]
    with (
        sessions(db_url, writer=True).begin() as s,
        pytest.raises(planning.PublishConflict, match="supersede"),
    ):
        planning.publish(s, regional.id, actor=dispatcher("test"))
    with sessions(db_url, writer=True).begin() as s:
        planning.publish(s, regional.id, actor=dispatcher("test"), supersede=True)
    with sessions(db_url)() as s:
        assert s.get_one(Plan, first.id).status == PlanStatus.SUPERSEDED
        rounds = s.execute(
            select(PublishedRound.plan_id, PublishedRound.vehicle_ref)
        ).all()
        assert {p for p, _ in rounds} == {regional.id}
        refs = [v for _, v in rounds]
        assert len(refs) == len(set(refs)) == len(regional.routes)
    # the database itself refuses a second round for one technician-day
    with sessions(db_url, writer=True).begin() as s, pytest.raises(IntegrityError):
        s.add(
            PublishedRound(
                plan_id=second_id,
                kind="technicians",
                plan_date=DAY,
                vehicle_ref=refs[0],
            )
        )
        s.flush()


def test_cli_publish_refuses_an_overlap_without_supersede(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sessions(db_url)() as s:
        scarce_day(s, DAY, techs=2, tickets=10, seed=14)
    monkeypatch.setenv("DATABASE_URL", db_url)
    base = ["plan", "--date", DEMO_DAY, "--seconds", "1", "--quiet", "--publish"]
    assert main(base) == 0
    assert main([*base, "--region", "Bretagne"]) != 0
    err = capsys.readouterr().err
    assert "supersede" in err and len(err.strip().splitlines()) == 1
    assert main([*base, "--region", "Bretagne", "--supersede"]) == 0
    with sessions(db_url)() as s:
        statuses = sorted(s.scalars(select(Plan.status)))
    assert statuses.count("published") == 1 and "superseded" in statuses
