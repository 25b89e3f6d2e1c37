"""Service-level KPIs: a hand-checked tiny history, and the small demo on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import h3
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import (
    Customer,
    DeliveryOrder,
    Loan,
    Loaner,
    RepairTicket,
    Site,
    Technician,
    Visit,
)
from dispatch.access.roles import AccessDenied
from dispatch.views import kpis
from tests.builders import principal
from tests.conftest import DEMO_DAY

MANAGER = principal("manager")

AS_OF = date(2026, 11, 16)  # a Monday
NOW = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC)


def _seed_tiny(s: Session) -> None:
    """Two customers (Lyon 69, Ajaccio 2A), one technician, last week's history.

    Week of 9 Nov (the last whole week before AS_OF):
      Lyon:    t1 visit on time, fixed, 10 km      (closed before its SLA)
               t2 visit 30 min late, not fixed, 20 km (closed 1 h after its SLA: breach)
               t2 second visit on 12 Nov, on time (same ticket: first-time fix counts once)
      Ajaccio: t3 visit 50 min late, fixed, 30 km   (closed before its SLA)
    Open now: t4 in Lyon, due yesterday (overdue); t5 in Ajaccio, due tomorrow.
    """
    s.add_all(
        [
            Customer(
                id=1,
                ref="C1",
                name="Ana <b>Lyon</b>",
                postcode="69003",
                town="Lyon 03",
                region="Auvergne-Rhône-Alpes",
                lat=45.76,
                lon=4.85,
            ),
            Customer(
                id=2,
                ref="C2",
                name="Paul Ajaccio",
                postcode="20000",
                town="Ajaccio",
                region="Corse",
                lat=41.92,
                lon=8.74,
            ),
            Technician(
                id=1,
                code="T1",
                name="Tech",
                region="Auvergne-Rhône-Alpes",
                home_lat=45.7,
                home_lon=4.8,
            ),
            Site(
                id=1,
                code="S1",
                kind="store",
                name="Store",
                postcode="69002",
                town="Lyon",
                region="Auvergne-Rhône-Alpes",
                lat=45.75,
                lon=4.83,
            ),
        ]
    )
    s.flush()
    mon = date(2026, 11, 9)
    tickets = [
        (1, 1, "closed", _at(mon, 18), _at(mon, 12), True),
        (2, 1, "closed", _at(mon, 19), _at(mon + timedelta(days=3), 12), False),
        (
            3,
            2,
            "closed",
            _at(mon + timedelta(days=2), 18),
            _at(mon + timedelta(days=1), 12),
            True,
        ),
        (4, 1, "scheduled", _at(AS_OF, 0) - timedelta(days=1), None, None),
        (5, 2, "triaged", _at(AS_OF, 0) + timedelta(days=1), None, None),
    ]
    for tid, cid, status, due, closed, ftf in tickets:
        s.add(
            RepairTicket(
                id=tid,
                ref=f"R{tid}",
                customer_id=cid,
                fault="leak",
                severity="high",
                opened_at=_at(mon, 7) - timedelta(days=1),
                sla_due_at=due,
                status=status,
                closed_at=closed,
                first_time_fix=ftf,
            )
        )
    s.flush()
    visits = [
        (1, mon, 9, 0, True, True, 10.0),
        (2, mon, 14, 30, False, False, 20.0),
        (2, mon + timedelta(days=3), 9, 0, True, True, None),
        (3, mon + timedelta(days=1), 10, 50, False, True, 30.0),
    ]
    for tid, day, hh, late_min, on_time, fixed, km in visits:
        planned = _at(day, hh)
        s.add(
            Visit(
                ticket_id=tid,
                technician_id=1,
                visit_on=day,
                planned_start=planned,
                arrived_at=planned + timedelta(minutes=late_min),
                completed_at=None,
                on_time=on_time,
                fixed=fixed,
                km=km,
            )
        )
    s.add(
        Loaner(
            id=1, code="L1", model="M", model_family="capsule", state="lent", site_id=1
        )
    )
    s.add(
        Loaner(
            id=2, code="L2", model="M", model_family="capsule", state="lent", site_id=1
        )
    )
    s.flush()
    s.add(
        Loan(
            loaner_id=1,
            ticket_id=4,
            customer_id=1,
            from_site_id=1,
            lent_at=_at(mon, 10),
            due_on=AS_OF - timedelta(days=1),
        )
    )
    s.add(
        Loan(
            loaner_id=2,
            ticket_id=5,
            customer_id=2,
            from_site_id=1,
            lent_at=_at(mon, 11),
            due_on=AS_OF + timedelta(days=5),
        )
    )
    for i, status in enumerate(("delivered", "collected", "failed attempt", "new"), 1):
        s.add(
            DeliveryOrder(
                id=i,
                ref=f"O{i}",
                customer_id=1,
                mode="home",
                promised_on=mon + timedelta(days=1),
                status=status,
            )
        )
    s.commit()


@pytest.fixture
def tiny(session: Session) -> Session:
    _seed_tiny(session)
    return session


def test_national_kpis_known_answers(tiny):
    """Every headline figure of the tiny history, worked out by hand."""
    k = kpis.national_kpis(tiny, kpis.period_ending(AS_OF, 1), now=NOW, actor=MANAGER)
    assert k.visits == 4
    assert k.on_time_rate == pytest.approx(2 / 4)
    assert k.first_time_fix_rate == pytest.approx(
        2 / 3
    )  # t1, t3 fixed first time; t2 not
    assert k.km_per_visit == pytest.approx(60 / 3)  # the visit without km is left out
    assert k.jobs_per_tech_day == pytest.approx(
        4 / 3
    )  # one technician on 9, 10, 12 Nov
    assert k.sla_breaches == 2  # t2 closed late + t4 open past due
    assert k.open_tickets == 2
    assert (k.loans_out, k.loans_overdue) == (2, 1)
    assert k.deliveries_done_rate == pytest.approx(2 / 3)  # "new" is not final


def test_area_service_by_departement(tiny):
    """Lyon's and Ajaccio's figures land in 69 and 2A, with the late-visit delay."""
    areas = {
        a.code: a
        for a in kpis.area_service(
            tiny, kpis.period_ending(AS_OF, 1), now=NOW, actor=MANAGER
        )
    }
    assert set(areas) == {"69", "2A"}
    lyon, ajaccio = areas["69"], areas["2A"]
    assert (lyon.visits, lyon.on_time, lyon.late) == (3, 2, 1)
    assert lyon.avg_delay_min == pytest.approx(30)
    assert (lyon.sla_breaches, lyon.open_tickets, lyon.open_overdue) == (2, 1, 1)
    assert lyon.name == "Rhône"
    assert (
        ajaccio.visits,
        ajaccio.late,
        ajaccio.open_tickets,
        ajaccio.open_overdue,
    ) == (1, 1, 1, 0)
    assert ajaccio.avg_delay_min == pytest.approx(50)
    assert ajaccio.on_time_rate == 0.0


def test_area_service_by_hexagon_and_region(tiny):
    """A region filter keeps its customers only; cells are H3 cells of that resolution."""
    areas = kpis.area_service(
        tiny,
        kpis.period_ending(AS_OF, 1),
        now=NOW,
        region="Auvergne-Rhône-Alpes",
        level="hex",
        hex_resolution=4,
        actor=MANAGER,
    )
    assert len(areas) == 1
    assert h3.get_resolution(areas[0].code) == 4
    assert areas[0].code == h3.latlng_to_cell(45.76, 4.85, 4)
    assert areas[0].visits == 3
    assert areas[0].name.startswith("Area around ")


def test_weekly_trends_are_whole_weeks(tiny):
    """Eight Monday-started weeks ending before AS_OF's week; empty weeks have no rates."""
    weeks = kpis.weekly_trends(tiny, AS_OF + timedelta(days=2), weeks=8, actor=MANAGER)
    assert len(weeks) == 8
    assert all(w.week_start.weekday() == 0 for w in weeks)
    assert weeks[-1].week_start == date(2026, 11, 9)
    last = weeks[-1]
    assert (last.visits, last.sla_breaches, last.loans_lent) == (4, 1, 2)
    assert last.on_time_rate == pytest.approx(0.5)
    assert weeks[0].visits == 0 and weeks[0].on_time_rate is None


def test_overdue_tickets_escaping_is_left_to_the_display(tiny):
    """Overdue tickets come back as typed (the map escapes them), most overdue first."""
    rows = kpis.overdue_tickets(tiny, now=NOW, actor=MANAGER)
    assert [r.ref for r in rows] == ["R4"]
    assert rows[0].customer == "Ana <b>Lyon</b>"
    assert rows[0].overdue_h == pytest.approx(32.0)


def test_today_counts_limited_to_a_store(tiny):
    """Store figures follow store_id; ticket figures are the network's."""
    all_stores = kpis.today_counts(tiny, day=AS_OF, now=NOW, actor=MANAGER)
    other = kpis.today_counts(tiny, day=AS_OF, now=NOW, store_id=999, actor=MANAGER)
    assert all_stores.loans_overdue == 1 and other.loans_overdue == 0
    assert all_stores.open_tickets == other.open_tickets == 2


@pytest.mark.parametrize(
    ("postcode", "dep"),
    [("69003", "69"), ("20000", "2A"), ("20200", "2B"), ("01000", "01")],
)
def test_departement_of_postcode(postcode, dep):
    """Corsica's postcodes (20xxx) split into 2A and 2B."""
    assert kpis.departement_of_postcode(postcode) == dep


def test_service_level_on_the_small_demo(demo_session):
    """The demo's history adds up: areas sum to the national visits, on both backends."""
    as_of = date.fromisoformat(DEMO_DAY)
    sl = kpis.service_level(demo_session, as_of=as_of, weeks=2, actor=MANAGER)
    n_visits = demo_session.scalar(
        select(func.count(Visit.id)).where(
            Visit.visit_on >= as_of - timedelta(weeks=2), Visit.visit_on < as_of
        )
    )
    assert sl.national.visits == n_visits > 0
    assert sum(a.visits for a in sl.areas) == n_visits
    assert sl.level == "departement"
    assert 0.5 < (sl.national.on_time_rate or 0) <= 1
    assert sl.national.loans_out > 0
    assert len(sl.weeks) == 8 and sum(w.visits for w in sl.weeks) > 0
    assert sum(w.sla_breaches for w in sl.weeks) > 0  # exercises the per-day SQL
    region = kpis.service_level(
        demo_session, as_of=as_of, weeks=2, region="Auvergne-Rhône-Alpes", actor=MANAGER
    )
    assert region.level == "hex"
    assert (
        sum(a.visits for a in region.areas) == n_visits
    )  # the small demo is one region


def test_access_denied_names_user_and_action():
    """AccessDenied is a PermissionError that says who and what."""
    err = AccessDenied("store1", "see store 2")
    assert isinstance(err, PermissionError)
    assert "store1" in str(err) and "see store 2" in str(err)
