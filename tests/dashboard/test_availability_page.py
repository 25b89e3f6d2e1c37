"""The technician availability page under AppTest (small demo, SQLite): a dispatcher
picks a technician by name, sees the week and absences, records an absence, removes it,
changes the hours; bad input and an unknown technician get one line."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from streamlit.testing.v1 import AppTest

from data.base import PARIS
from data.db import make_engine
from data.models import AuditLog, Technician, TechnicianAbsence
from tests.dashboard.conftest import nav_titles, open_page, sign_in

TODAY = datetime.now(PARIS).date()


def _open(app: AppTest, role: str = "dispatcher") -> AppTest:
    sign_in(app, role)
    at = open_page(app, "availability")
    assert not at.exception
    assert at.title[0].value == "Technician availability"
    return at


def _absences(url: str) -> list[tuple[str, str, str]]:
    with sessionmaker(bind=make_engine(url))() as s:
        return [
            (code, d.isoformat(), kind)
            for code, d, kind in s.execute(
                select(
                    Technician.code, TechnicianAbsence.on_date, TechnicianAbsence.kind
                )
                .join(Technician, Technician.id == TechnicianAbsence.technician_id)
                .where(TechnicianAbsence.on_date >= TODAY)
                .order_by(TechnicianAbsence.on_date)
            )
        ]


def test_dispatcher_sees_a_technician_by_name(app: AppTest) -> None:
    at = _open(app)
    assert "Technician availability" in nav_titles(at)
    picker = at.selectbox(key="availability_technician")
    assert "·" in picker.format_func(picker.value)  # "Name · Region", never a code
    assert picker.options and all("TEC-" not in o and "·" in o for o in picker.options)
    week = at.dataframe[0].value
    assert list(week.columns) == ["Day", "Hours"]
    assert list(week["Day"]) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert [m.label for m in at.metric] == ["Max hours per day", "Max hours per week"]


def test_record_and_remove_an_absence(app: AppTest, app_db: str) -> None:
    at = _open(app)
    code = at.selectbox(key="availability_technician").value
    start = TODAY + timedelta(days=3)
    at.date_input(key="availability_abs_from").set_value(start)
    at.date_input(key="availability_abs_to").set_value(start + timedelta(days=1))
    at.selectbox(key="availability_abs_kind").set_value("training")
    at = (
        at.button(key="FormSubmitter:availability_absence_form-Record absence")
        .click()
        .run()
    )
    assert not at.exception and not at.error
    assert "2 days of training recorded" in at.success[0].value
    assert _absences(app_db) == [
        (code, start.isoformat(), "training"),
        (code, (start + timedelta(days=1)).isoformat(), "training"),
    ]
    table = at.dataframe[1].value
    assert list(table.columns) == ["Day", "Kind", "Note"]
    assert list(table["Kind"]) == ["Training", "Training"]
    at = at.button(key="availability_remove").click().run()
    assert not at.exception
    assert "removed" in at.success[0].value
    assert len(_absences(app_db)) == 1
    with sessionmaker(bind=make_engine(app_db))() as s:
        assert s.scalars(
            select(AuditLog.action).where(
                AuditLog.entity == "technician", AuditLog.actor == "dispatch"
            )
        ).all() == ["absent", "present"]


def test_end_before_start_is_refused_on_one_line(app: AppTest, app_db: str) -> None:
    at = _open(app)
    at.date_input(key="availability_abs_from").set_value(TODAY + timedelta(days=5))
    at.date_input(key="availability_abs_to").set_value(TODAY + timedelta(days=4))
    at = (
        at.button(key="FormSubmitter:availability_absence_form-Record absence")
        .click()
        .run()
    )
    assert not at.exception
    assert len(at.error) == 1
    assert "is before the first" in at.error[0].value
    assert "\n" not in at.error[0].value
    assert _absences(app_db) == []


def test_bad_weekly_pattern_is_refused_and_a_good_one_saved(
    app: AppTest, app_db: str
) -> None:
    at = _open(app, "admin")
    code = at.selectbox(key="availability_technician").value
    at.text_input(key=f"availability_pattern_{code}").input("Mon-Fri 9-5")
    at = (
        at.button(key=f"FormSubmitter:availability_hours_form_{code}-Save hours")
        .click()
        .run()
    )
    assert len(at.error) == 1 and at.error[0].value.startswith(
        "weekly pattern: cannot read"
    )
    at.text_input(key=f"availability_pattern_{code}").input("Mon-Thu 08:00-16:00")
    at.number_input(key=f"availability_max_week_{code}").set_value(32.0)
    at = (
        at.button(key=f"FormSubmitter:availability_hours_form_{code}-Save hours")
        .click()
        .run()
    )
    assert not at.error and "saved" in at.success[0].value
    week = at.dataframe[0].value
    assert list(week["Hours"]) == ["08:00–16:00"] * 4 + ["Off"] * 3
    with sessionmaker(bind=make_engine(app_db))() as s:
        t = s.scalar(select(Technician).where(Technician.code == code))
        assert t is not None and t.max_hours_week == 32.0


def test_unknown_technician_in_the_address_is_one_line(app: AppTest) -> None:
    sign_in(app, "dispatcher")
    app.query_params["technician"] = "TEC-999"
    at = open_page(app, "availability")
    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.error]  # markdown escapes
    assert shown == ["No technician 'TEC-999': pick one in the list."]


def test_store_staff_cannot_open_it(app: AppTest) -> None:
    sign_in(app, "store staff")
    at = open_page(app, "availability")
    assert not any(t.value == "Technician availability" for t in at.title)
