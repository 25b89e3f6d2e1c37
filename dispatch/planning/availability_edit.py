"""Reading and changing a technician's availability: weekly pattern, hour limits, absences.

The one place these rows change (the *Availability* page and ``tournee tech hours|absent``
both call it): each function checks the actor's role (dispatcher or admin), refuses bad
input with :class:`AvailabilityError` (one line naming the field), records the change in
the audit log and leaves the transaction to the caller (one transaction per change).
The rules that use these rows (what a day's shift is) live in ``availability``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.audit import record
from data.enums import Role
from data.models import Technician, TechnicianAbsence
from dispatch import labels
from dispatch.access.roles import Principal, acting
from dispatch.planning.availability import (
    DAY_NAMES,
    DEFAULT_MAX_DAY_H,
    DEFAULT_MAX_WEEK_H,
    is_public_holiday,
    parse_pattern,
)

__all__ = [
    "ABSENCE_KINDS",
    "Absence",
    "AvailabilityError",
    "AvailabilityView",
    "PatternDay",
    "TechnicianOption",
    "add_absence",
    "availability_of",
    "pattern_text",
    "remove_absence",
    "set_hours",
    "technician_options",
    "upcoming_holidays",
]

ABSENCE_KINDS = ("leave", "training", "sick")
MAX_ABSENCE_DAYS = 366


class AvailabilityError(ValueError):
    """Bad availability input; the message is one line naming the field."""


@dataclass(frozen=True, slots=True)
class TechnicianOption:
    code: str
    label: str  # "Camille Durand · Auvergne-Rhône-Alpes"


@dataclass(frozen=True, slots=True)
class PatternDay:
    day: str  # "Mon"
    hours: str  # "08:00–17:30" or "Off"


@dataclass(frozen=True, slots=True)
class Absence:
    on_date: date
    day: str  # "Tue 24 Nov"
    kind: str  # "Leave"
    note: str


@dataclass(frozen=True, slots=True)
class AvailabilityView:
    code: str
    name: str
    region: str
    own_pattern: bool  # False: days off and the default shift
    pattern: tuple[PatternDay, ...]
    pattern_text: str  # editable: "Mon-Fri 08:00-17:30"
    max_day_h: float
    max_week_h: float
    own_limits: bool
    absences: tuple[Absence, ...]  # from today on, by day


def technician_options(session: Session, actor: Principal) -> list[TechnicianOption]:
    """Active technicians by name (then region), for a picker."""
    acting(actor, Role.DISPATCHER)
    rows = session.scalars(
        select(Technician)
        .where(Technician.active.is_(True))
        .order_by(Technician.name, Technician.region, Technician.code)
    )
    return [TechnicianOption(t.code, f"{t.name} · {t.region}") for t in rows]


def _tech(session: Session, code: str) -> Technician:
    t = session.scalar(select(Technician).where(Technician.code == code))
    if t is None:
        raise AvailabilityError(f"technician {code!r}: no such technician")
    return t


def _week(t: Technician) -> dict[int, tuple[str, str] | None]:
    if t.weekly_hours:
        return {
            d: (tuple(t.weekly_hours[str(d)]) if str(d) in t.weekly_hours else None)  # type: ignore[misc]
            for d in range(7)
        }
    off = set(t.days_off or [])
    span = (f"{t.shift_start:%H:%M}", f"{t.shift_end:%H:%M}")
    return {d: (None if d in off else span) for d in range(7)}


def pattern_text(week: dict[int, tuple[str, str] | None]) -> str:
    """``Mon-Thu 08:00-17:00, Fri 08:00-12:00``: runs of days with the same hours
    (what :func:`availability.parse_pattern` reads back)."""
    parts: list[str] = []
    d = 0
    while d < 7:
        span = week.get(d)
        if span is None:
            d += 1
            continue
        last = d
        while last + 1 < 7 and week.get(last + 1) == span:
            last += 1
        days = DAY_NAMES[d] if last == d else f"{DAY_NAMES[d]}-{DAY_NAMES[last]}"
        parts.append(f"{days} {span[0]}-{span[1]}")
        d = last + 1
    return ", ".join(parts)


def availability_of(
    session: Session, actor: Principal, code: str, today: date
) -> AvailabilityView:
    """The technician's week, limits and absences from ``today`` on."""
    acting(actor, Role.DISPATCHER)
    t = _tech(session, code)
    week = _week(t)
    absences = session.scalars(
        select(TechnicianAbsence)
        .where(
            TechnicianAbsence.technician_id == t.id,
            TechnicianAbsence.on_date >= today,
        )
        .order_by(TechnicianAbsence.on_date)
    )
    return AvailabilityView(
        code=t.code,
        name=t.name,
        region=t.region,
        own_pattern=bool(t.weekly_hours),
        pattern=tuple(
            PatternDay(
                DAY_NAMES[d],
                "Off" if week[d] is None else f"{week[d][0]}–{week[d][1]}",  # type: ignore[index]
            )
            for d in range(7)
        ),
        pattern_text=pattern_text(week),
        max_day_h=t.max_hours_day or DEFAULT_MAX_DAY_H,
        max_week_h=t.max_hours_week or DEFAULT_MAX_WEEK_H,
        own_limits=t.max_hours_day is not None or t.max_hours_week is not None,
        absences=tuple(
            Absence(a.on_date, labels.day(a.on_date), labels.absence(a.kind), a.reason)
            for a in absences
        ),
    )


def _hours_value(field: str, value: float | None, top: float) -> float | None:
    if value is None:
        return None
    if not 0 < value <= top:
        raise AvailabilityError(
            f"{field}: {value:g} is not a number of hours (more than 0, at most {top:g})"
        )
    return float(value)


def set_hours(
    session: Session,
    actor: Principal,
    code: str,
    *,
    pattern: str | None = None,
    max_day_h: float | None = None,
    max_week_h: float | None = None,
) -> str:
    """Set what is given: the weekly pattern (``''`` clears it: days off and the default
    shift again), the daily and weekly limits. Audited; returns the technician's name."""
    who = acting(actor, Role.DISPATCHER)
    t = _tech(session, code)
    day = _hours_value("maximum hours per day", max_day_h, 24)
    week = _hours_value("maximum hours per week", max_week_h, 24 * 7)
    if day is not None and week is not None and week < day:
        raise AvailabilityError(
            f"maximum hours per week: {week:g} is less than the daily maximum {day:g}"
        )
    change: dict[str, object] = {}
    if pattern is not None:
        try:
            parsed = parse_pattern(pattern)
        except ValueError as exc:
            raise AvailabilityError(f"weekly pattern: {exc}") from None
        t.weekly_hours = parsed or None
        change["weekly_hours"] = t.weekly_hours
    if day is not None:
        t.max_hours_day = day
        change["max_hours_day"] = day
    if week is not None:
        t.max_hours_week = week
        change["max_hours_week"] = week
    if not change:
        raise AvailabilityError("nothing to change: give a pattern or a limit")
    record(session, who, "technician", t.code, "availability", **change)
    return t.name


def add_absence(
    session: Session,
    actor: Principal,
    code: str,
    start: date,
    end: date | None = None,
    *,
    kind: str = "leave",
    note: str = "",
) -> int:
    """Record ``kind`` for every day from ``start`` to ``end`` (inclusive; a day already
    recorded takes the new kind and note). Audited; returns the number of days."""
    who = acting(actor, Role.DISPATCHER)
    end = end or start
    if end < start:
        raise AvailabilityError(
            f"absence: the last day {end.isoformat()} is before the first {start.isoformat()}"
        )
    if (end - start).days >= MAX_ABSENCE_DAYS:
        raise AvailabilityError(
            f"absence: {(end - start).days + 1} days is more than a year"
        )
    if kind not in ABSENCE_KINDS:
        raise AvailabilityError(
            f"absence kind {kind!r}: one of {', '.join(ABSENCE_KINDS)}"
        )
    if len(note) > 80:
        raise AvailabilityError("absence note: at most 80 characters")
    t = _tech(session, code)
    existing = {
        a.on_date: a
        for a in session.scalars(
            select(TechnicianAbsence).where(
                TechnicianAbsence.technician_id == t.id,
                TechnicianAbsence.on_date >= start,
                TechnicianAbsence.on_date <= end,
            )
        )
    }
    n, day = 0, start
    while day <= end:
        row = existing.get(day)
        if row is None:
            session.add(
                TechnicianAbsence(
                    technician_id=t.id, on_date=day, kind=kind, reason=note
                )
            )
        else:
            row.kind, row.reason = kind, note
        n += 1
        day += timedelta(days=1)
    record(
        session,
        who,
        "technician",
        t.code,
        "absent",
        kind=kind,
        start=start.isoformat(),
        end=end.isoformat(),
        note=note,
    )
    return n


def remove_absence(
    session: Session,
    actor: Principal,
    code: str,
    start: date,
    end: date | None = None,
) -> int:
    """Remove the absences recorded from ``start`` to ``end`` (inclusive). Audited;
    returns the number of days removed (none recorded there: refused)."""
    who = acting(actor, Role.DISPATCHER)
    end = end or start
    if end < start:
        raise AvailabilityError(
            f"absence: the last day {end.isoformat()} is before the first {start.isoformat()}"
        )
    t = _tech(session, code)
    n = session.execute(
        delete(TechnicianAbsence).where(
            TechnicianAbsence.technician_id == t.id,
            TechnicianAbsence.on_date >= start,
            TechnicianAbsence.on_date <= end,
        )
    ).rowcount  # type: ignore[attr-defined]
    if not n:
        raise AvailabilityError(
            f"absence: {t.name} has none recorded on {labels.day(start)}"
            + ("" if end == start else f"–{labels.day(end)}")
        )
    record(
        session,
        who,
        "technician",
        t.code,
        "present",
        start=start.isoformat(),
        end=end.isoformat(),
        days=n,
    )
    return int(n)


def upcoming_holidays(today: date, days: int = 90) -> list[str]:
    """French public holidays in the next ``days`` days (nobody is planned on them)."""
    return [
        labels.day(d)
        for k in range(days)
        if is_public_holiday(d := today + timedelta(days=k))
    ]
