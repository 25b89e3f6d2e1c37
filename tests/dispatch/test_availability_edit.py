"""Changing a technician's availability through the one service (and the CLI that calls
it): weekly pattern and limits, absences added and removed, audited; bad input refused on
one line naming the field; roles checked."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditLog, Technician, TechnicianAbsence
from dispatch.access.roles import AccessDenied
from dispatch.cli.main import main
from dispatch.planning import availability_edit as avail
from dispatch.planning.availability import shift_on
from tests.builders import principal

DAY = date(2026, 11, 24)  # a Tuesday


def _first(s: Session) -> Technician:
    t = s.scalars(select(Technician).order_by(Technician.id)).first()
    assert t is not None
    return t


def test_show_set_hours_and_absences(demo_session: Session) -> None:
    s, who = demo_session, principal("dispatcher")
    t = _first(s)
    options = avail.technician_options(s, who)
    assert any(o.code == t.code and o.label.startswith(t.name) for o in options)
    view = avail.availability_of(s, who, t.code, DAY)
    assert not view.own_pattern and view.pattern_text  # days off and the shift
    assert (
        avail.set_hours(
            s,
            who,
            t.code,
            pattern="Mon-Thu 08:00-16:00, Fri 08:00-12:00",
            max_week_h=36,
        )
        == t.name
    )
    view = avail.availability_of(s, who, t.code, DAY)
    assert view.own_pattern and view.max_week_h == 36
    assert view.pattern_text == "Mon-Thu 08:00-16:00, Fri 08:00-12:00"
    assert [p.hours for p in view.pattern][3:] == [
        "08:00–16:00",
        "08:00–12:00",
        "Off",
        "Off",
    ]
    assert shift_on(t, DAY) == (time(8), time(16))

    assert (
        avail.add_absence(s, who, t.code, DAY, DAY + timedelta(days=2), kind="training")
        == 3
    )
    assert avail.add_absence(s, who, t.code, DAY + timedelta(days=2), kind="sick") == 1
    view = avail.availability_of(s, who, t.code, DAY)
    assert [a.kind for a in view.absences] == ["Training", "Training", "Sick"]
    assert avail.remove_absence(s, who, t.code, DAY) == 1
    assert len(avail.availability_of(s, who, t.code, DAY).absences) == 2
    actions = s.scalars(
        select(AuditLog.action).where(
            AuditLog.entity == "technician", AuditLog.entity_id == t.code
        )
    ).all()
    assert actions == ["availability", "absent", "absent", "present"]
    assert all(
        a == "test-dispatcher"
        for a in s.scalars(
            select(AuditLog.actor).where(AuditLog.entity == "technician")
        )
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s, c: avail.add_absence(
                s, principal(), c, DAY, DAY - timedelta(days=1)
            ),
            "absence: the last day 2026-11-23 is before the first 2026-11-24",
        ),
        (
            lambda s, c: avail.add_absence(s, principal(), "TEC-NOPE", DAY),
            "technician 'TEC-NOPE': no such technician",
        ),
        (
            lambda s, c: avail.add_absence(s, principal(), c, DAY, kind="holiday"),
            "absence kind 'holiday': one of leave, training, sick",
        ),
        (lambda s, c: avail.remove_absence(s, principal(), c, DAY), "absence: "),
        (
            lambda s, c: avail.set_hours(s, principal(), c, pattern="Mon-Fri 9-5"),
            "weekly pattern: cannot read 'Mon-Fri 9-5'",
        ),
        (
            lambda s, c: avail.set_hours(s, principal(), c, max_day_h=0),
            "maximum hours per day: 0 is not a number of hours",
        ),
        (
            lambda s, c: avail.set_hours(s, principal(), c, max_day_h=8, max_week_h=6),
            "maximum hours per week: 6 is less than the daily maximum 8",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_field(
    demo_session: Session, call, message
) -> None:
    t = _first(demo_session)
    with pytest.raises(avail.AvailabilityError) as err:
        call(demo_session, t.code)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert (
        demo_session.scalar(
            select(TechnicianAbsence.id).where(TechnicianAbsence.on_date < DAY)
        )
        is None
    )  # nothing written


def test_only_dispatchers_and_admins(demo_session: Session) -> None:
    t = _first(demo_session)
    with pytest.raises(AccessDenied):
        avail.add_absence(demo_session, principal("store staff", 1), t.code, DAY)
    with pytest.raises(AccessDenied):
        avail.availability_of(demo_session, principal("manager"), t.code, DAY)
    assert avail.add_absence(demo_session, principal("admin"), t.code, DAY) == 1


def test_cli_calls_the_service(demo_url: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    absent = "tech absent --technician TEC-001 --from 2026-11-25 --to"
    assert main(f"{absent} 2026-11-26 --kind sick".split()) == 0
    assert "2 days of sick recorded" in capsys.readouterr().out
    assert (
        main(["tech", "present", "--technician", "TEC-001", "--from", "2026-11-26"])
        == 0
    )
    assert main(f"{absent} 2026-11-24".split()) != 0
    assert "before the first" in capsys.readouterr().err
    assert main(["tech", "hours", "--technician", "TEC-001", "--max-week", "30"]) == 0
