"""Services behind the dispatcher board (dispatch/board.py), on both backends."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import sessions
from data.models import AuditLog, RepairTicket
from dispatch.planning import plans as planning
from dispatch.planning import runs as jobs
from dispatch.planning.builder import PARIS, Variant
from dispatch.planning.saved import UnassignedView
from dispatch.views import board
from tests.builders import dispatcher, job_row, principal
from tests.conftest import DEMO_DAY

DISPATCHER = principal("dispatcher")

DAY = date.fromisoformat(DEMO_DAY)  # a Tuesday
REGION = "Auvergne-Rhône-Alpes"


# --- pure helpers -----------------------------------------------------------------------------


def test_next_working_day_skips_the_weekend() -> None:
    """Saturday and Sunday roll to Monday; weekdays stay."""
    assert board.next_working_day(date(2026, 11, 24)) == date(2026, 11, 24)
    assert board.next_working_day(date(2026, 11, 28)) == date(2026, 11, 30)
    assert board.next_working_day(date(2026, 11, 29)) == date(2026, 11, 30)


def test_sla_status_buckets_against_the_planning_day() -> None:
    """Before 07:00 on the day is breached; later that day, tomorrow, later, none."""
    assert board.sla_status(None, DAY) == "no SLA"
    assert (
        board.sla_status(datetime(2026, 11, 24, 6, 0, tzinfo=PARIS), DAY) == "breached"
    )
    assert (
        board.sla_status(datetime(2026, 11, 24, 18, 0, tzinfo=PARIS), DAY)
        == "due today"
    )
    assert (
        board.sla_status(datetime(2026, 11, 25, 9, 0, tzinfo=PARIS), DAY)
        == "due tomorrow"
    )
    assert board.sla_status(datetime(2026, 11, 27, 9, 0, tzinfo=PARIS), DAY) == "later"


def test_filter_jobs_combines_every_filter() -> None:
    """Each non-empty filter narrows; text matches customer, town or ref in any case."""
    rows = [
        job_row("T1", tier="Gold", sla_status="breached"),
        job_row("T2", tier="Member", town="Annecy"),
        job_row("T3", tier="Gold", skill="grinder", region="Occitanie", customer="Zoé"),
    ]
    assert [r.ref for r in board.filter_jobs(rows)] == ["T1", "T2", "T3"]
    assert [r.ref for r in board.filter_jobs(rows, tiers=["Gold"])] == ["T1", "T3"]
    assert [
        r.ref for r in board.filter_jobs(rows, tiers=["Gold"], skills=["grinder"])
    ] == ["T3"]
    assert [r.ref for r in board.filter_jobs(rows, sla=["breached"])] == ["T1"]
    assert [r.ref for r in board.filter_jobs(rows, regions=["Occitanie"])] == ["T3"]
    assert [r.ref for r in board.filter_jobs(rows, text="annecy")] == ["T2"]
    assert [r.ref for r in board.filter_jobs(rows, text="t3")] == ["T3"]


# --- on the small demo -----------------------------------------------------------------------


def test_job_rows_are_explained_and_most_urgent_first(demo_session: Session) -> None:
    """The demo day's 90 visits, each with a score and its explanation, sorted by score."""
    rows = board.job_rows(demo_session, DAY, None, actor=DISPATCHER)
    assert len(rows) == 90
    assert all(r.explanation and r.score >= 1 for r in rows)
    assert [r.score for r in rows] == sorted((r.score for r in rows), reverse=True)
    assert {r.sla_status for r in rows} <= set(board.SLA_STATUSES)
    assert all(r.region == REGION for r in rows)
    assert board.job_rows(demo_session, DAY, "Bretagne", actor=DISPATCHER) == []
    windowed = [r for r in rows if r.window]
    assert windowed and all(len(r.window) == 11 for r in windowed)  # "08:00-12:00"


def test_default_day_is_the_first_day_with_visits(demo_session: Session) -> None:
    """From a weekend before the demo day, the demo's first day with visits wanted."""
    assert board.default_day(demo_session, date(2026, 11, 22), actor=DISPATCHER) <= DAY
    assert board.default_day(demo_session, DAY, actor=DISPATCHER) == DAY


def test_remove_from_day_moves_the_visit_and_drops_its_pin(demo_url: str) -> None:
    """The visit leaves the day's table, is wanted next working day, unpinned, audited."""
    with sessions(demo_url, writer=True).begin() as s:
        ref = board.job_rows(s, DAY, None, actor=DISPATCHER)[0].ref
        planning.pin(
            s,
            DAY,
            ref,
            technician_id=None,
            not_before=datetime(2026, 11, 24, 9, tzinfo=PARIS),
            actor=dispatcher("test"),
        )
    with sessions(demo_url, writer=True).begin() as s:
        new_day = board.remove_from_day(s, DAY, ref, actor=dispatcher("test"))
    assert new_day == date(2026, 11, 25)
    with sessions(demo_url)() as s:
        assert ref not in {
            r.ref for r in board.job_rows(s, DAY, None, actor=DISPATCHER)
        }
        assert ref in {
            r.ref for r in board.job_rows(s, new_day, None, actor=DISPATCHER)
        }
        t = s.get(RepairTicket, int(ref[1:]))
        assert t is not None and t.visit_on == new_day and t.status == "triaged"
        assert ref not in planning.pins(s, DAY)
        actions = s.scalars(
            select(AuditLog.action).where(AuditLog.entity_id == ref[1:])
        ).all()
        assert "remove_from_day" in actions


def test_remove_from_day_refuses_unknown_jobs(demo_session: Session) -> None:
    """Not a repair ticket reference, or no such ticket: LookupError."""
    with pytest.raises(LookupError):
        board.remove_from_day(demo_session, DAY, "D12", actor=dispatcher("test"))
    with pytest.raises(LookupError):
        board.remove_from_day(demo_session, DAY, "T999999999", actor=dispatcher("test"))


def test_plan_views_for_the_board(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Current plan ignores what-ifs; stop details, route sheet, timeline inputs, comparison."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    main_id = jobs.run_inline(
        kind="technicians", day=DAY, region=None, seconds=2, actor=dispatcher("test")
    )
    alt_id = jobs.run_inline(
        kind="technicians",
        day=DAY,
        region=None,
        seconds=2,
        actor=dispatcher("test"),
        variant=Variant(label="One more", extra_technicians=1),
    )
    assert main_id and alt_id
    with sessions(demo_url)() as s:
        assert (
            board.current_plan_id(s, "technicians", DAY, None, actor=DISPATCHER)
            == main_id
        )
        assert [
            c.id
            for c in board.variant_plans(s, "technicians", DAY, None, actor=DISPATCHER)
        ] == [alt_id]
        assert board.plan_status(s, main_id, actor=DISPATCHER) == "draft"
        assert board.plan_status(s, 10**9, actor=DISPATCHER) == "missing"
        view, other = planning.load_plan(s, main_id), planning.load_plan(s, alt_id)
        details = board.stop_details(s, view, actor=DISPATCHER)
        vehicles = board.vehicle_info(s, actor=DISPATCHER)
    refs = {st.job_ref for r in view.routes for st in r.stops} | {
        u.job_ref for u in view.unassigned
    }
    assert refs == set(details)
    sheet = board.route_sheet(view, details)
    assert len(sheet) == sum(len(r.stops) for r in view.routes)
    assert all(row["customer"] and row["address"] and row["arrival"] for row in sheet)
    assert {r.vehicle_id for r in view.routes} <= set(vehicles)
    rows = board.compare_rows(view, other)
    assert rows[0]["measure"] == "Jobs placed"
    assert any(r["measure"].startswith("SLA met · ") for r in rows)
    diff = planning.diff_plans(view, other)
    table = board.diff_rows(diff, details)
    assert len(table) == len(diff.moved) + len(diff.added) + len(diff.dropped)


def test_courier_rows_and_vehicles(demo_session: Session) -> None:
    """The deliveries page's job table and vans come from the courier problem."""
    rows = board.job_rows(demo_session, DAY, None, kind="couriers", actor=DISPATCHER)
    assert rows and all(r.ref[0] in "DSH" for r in rows)
    vans = board.vehicle_info(demo_session, "couriers", actor=DISPATCHER)
    assert vans and all(v.home_lat and v.region for v in vans.values())


def test_courier_stop_details_from_the_job_rows_are_the_same(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given the day's job rows, a courier plan's details are what building the day gives."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    plan_id = jobs.run_inline(
        kind="couriers", day=DAY, region=REGION, seconds=2, actor=dispatcher("test")
    )
    assert plan_id
    with sessions(demo_url)() as s:
        rows = board.job_rows(s, DAY, REGION, "couriers", actor=DISPATCHER)
        view = planning.load_plan(s, plan_id)
        # one job left out for sure, so the details need the day's jobs
        out = UnassignedView(rows[-1].ref, None, None, "room", "")
        view = dataclasses.replace(view, unassigned=(*view.unassigned, out))
        built = board.stop_details(s, view, actor=DISPATCHER)
        given = board.stop_details(s, view, actor=DISPATCHER, jobs=rows)
    assert rows[-1].ref in given
    assert given == built
