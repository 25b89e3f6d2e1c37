"""A horizon on the small demo (one region, 2 s for the whole horizon): leave in the
middle of the week, a visit due on day 3 with day 1 full, and the SLA-due check."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.models import Customer, PlanRoute, RepairTicket, Technician, VisitBooking
from dispatch.planning.availability_edit import add_absence
from dispatch.planning.builder import technician_day
from dispatch.planning.horizon import plan_horizon
from dispatch.planning.horizon_sla import due_first, sla_due_report
from dispatch.planning.saved import load_plan
from tests.builders import dispatcher, principal
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)  # a Tuesday
REGION = "Auvergne-Rhône-Alpes"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


def _techs(s: Session) -> list[Technician]:
    return list(
        s.scalars(
            select(Technician)
            .where(Technician.region == REGION, Technician.active.is_(True))
            .order_by(Technician.id)
        )
    )


def _open_visits(s: Session) -> list[RepairTicket]:
    return list(
        s.scalars(
            select(RepairTicket)
            .join(Customer, Customer.id == RepairTicket.customer_id)
            .where(
                Customer.region == REGION,
                RepairTicket.resolution_path == "onsite",
                RepairTicket.status.in_(("triaged", "scheduled")),
            )
            .order_by(RepairTicket.id)
        )
    )


def _placed_on(s: Session, plan_id: int) -> set[int]:
    view = load_plan(s, plan_id)
    return {st.ticket_id for r in view.routes for st in r.stops if st.ticket_id}


def test_a_technician_on_leave_mid_week_gets_no_visits_those_days(
    demo_session: Session,
) -> None:
    s = demo_session
    tech = _techs(s)[0]
    wed, thu = DAY + timedelta(days=1), DAY + timedelta(days=2)
    assert add_absence(s, principal("dispatcher"), tech.code, wed, thu) == 2
    h = plan_horizon(
        s,
        DAY,
        4,
        seconds=2,
        actor=dispatcher(),
        region=REGION,
        replan_published=True,
    )
    worked = {
        d.day
        for d in h.days
        for _ in s.scalars(
            select(PlanRoute.id).where(
                PlanRoute.plan_id == d.plan_id, PlanRoute.technician_id == tech.id
            )
        )
    }
    assert wed not in worked and thu not in worked
    assert {DAY, DAY + timedelta(days=3)} & worked, "works the days around the leave"
    assert all(d.hours.get(tech.name) is None for d in h.days if d.day in (wed, thu))
    for d in h.days:
        assert load_plan(s, d.plan_id).stats["violations"] == 0


def test_a_visit_due_on_day_3_with_day_1_full_is_placed_on_day_2(
    demo_session: Session,
) -> None:
    """One technician; day 1 is filled by visits booked with customers; the other open
    visits can wait (due after the horizon) but would fill day 2 as well: the one due on
    day 3 takes day 2, not day 3."""
    s = demo_session
    tech, *others = _techs(s)
    for t in others:
        t.active = False
    visits = [
        v
        for v in _open_visits(s)
        if v.required_skill is None or v.required_skill in (tech.skills or [])
    ]
    due, booked, rest = visits[0], visits[1:9], visits[9:]
    assert len(rest) >= 10, "enough work that can wait to fill day 2"
    for k, v in enumerate(booked):
        v.status, v.visit_on, v.duration_min = "scheduled", DAY, 90
        v.window_start, v.window_end = _at(DAY, 8), _at(DAY, 18)
        s.add(
            VisitBooking(
                ticket_id=v.id,
                attempt=100 + k,
                technician_id=tech.id,
                day=DAY,
                window_start=v.window_start,
                window_end=v.window_end,
                slot="day",
                booked_by="test",
            )
        )
    for v in rest:
        v.sla_due_at, v.window_start, v.window_end = (
            _at(DAY + timedelta(30), 12),
            None,
            None,
        )
        v.visit_on, v.status = None, "triaged"
    day3 = DAY + timedelta(days=2)
    due.sla_due_at, due.severity, due.duration_min = _at(day3, 12), "low", 45
    due.window_start = due.window_end = due.visit_on = None
    due.status = "triaged"
    s.flush()
    h = plan_horizon(
        s,
        DAY,
        4,
        seconds=2,
        actor=dispatcher(),
        region=REGION,
        overtime_minutes=0,
        replan_published=True,
    )
    day2 = _placed_on(s, h.days[1].plan_id)
    left1 = {u.ticket_id for u in load_plan(s, h.days[0].plan_id).unassigned}
    assert due.id in left1 and left1 & {v.id for v in booked}, "day 1 is full"
    assert due.id in day2
    left2 = {u.ticket_id for u in load_plan(s, h.days[1].plan_id).unassigned}
    assert left2 & {v.id for v in rest}, "day 2 had work that can wait left over"
    report = sla_due_report(s, [d.plan_id for d in h.days])
    mine = [v for v in report.visits if v.ticket_id == due.id]
    assert mine and mine[0].placed_on == DAY + timedelta(days=1)
    assert due.id not in report.displaced


def test_due_first_ranks_due_work_above_work_that_can_wait_within_its_class(
    demo_session: Session,
) -> None:
    dp = technician_day(demo_session, DAY, REGION)
    last = DAY + timedelta(days=4)
    out = due_first(dp, last)
    by_id = {j.id: j for j in dp.problem.jobs}
    due = {
        ref
        for ref, m in dp.jobs.items()
        if m.sla_due_at and m.sla_due_at.astimezone(PARIS).date() <= last
    }
    assert due and set(dp.jobs) - due, "the demo day has both kinds"
    for j in out.problem.jobs:
        assert j.priority_class == by_id[j.id].priority_class
        if j.id in due:
            assert all(
                j.priority > o.priority
                for o in dp.problem.jobs
                if o.id not in due and o.priority_class == j.priority_class
            )
        else:
            assert j.priority == by_id[j.id].priority


def test_the_sla_due_check_counts_late_and_displaced_visits(
    demo_session: Session,
) -> None:
    """Each day planned alone offers every open visit every day: the check takes each
    visit's first day, and a horizon's plans give every due visit a day in time."""
    s = demo_session
    h = plan_horizon(
        s, DAY, 3, seconds=2, actor=dispatcher(), region=REGION, replan_published=True
    )
    report = sla_due_report(s, [d.plan_id for d in h.days])
    assert report.visits and report.start == DAY
    assert report.in_time + report.late + report.unplaced == len(report.visits)
    assert report.displaced == ()
    assert "by their due day" in report.line()
    # the same plans read in another order give the same first days
    again = sla_due_report(s, [d.plan_id for d in reversed(h.days)])
    assert again.visits == report.visits
