"""When each technician can work on a given day: weekly pattern, days off, absences,
public holidays, and the hours left under their daily and weekly limits.

Pure rules over a technician row and plain values: the builder asks
:func:`shift_on` for the day's shift; horizon planning asks :func:`cap_hours` how much
of a shift the weekly limit still allows.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from data.models import Technician
from repairs.sla import french_holidays

#: Limits when a technician has none of their own.
DEFAULT_MAX_DAY_H = 10.0
DEFAULT_MAX_WEEK_H = 45.0
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _hhmm(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def is_public_holiday(day: date) -> bool:
    return day in french_holidays(day.year)


def shift_on(t: Technician, day: date) -> tuple[time, time] | None:
    """The technician's shift on ``day``, or None when they do not work that day.

    The weekly pattern (``weekly_hours``: weekday number -> ["HH:MM", "HH:MM"]) wins
    over ``days_off`` and the default shift; nobody works a French public holiday.
    The daily limit shortens a longer shift.
    """
    if is_public_holiday(day):
        return None
    pattern = t.weekly_hours or {}
    if pattern:
        hours = pattern.get(str(day.weekday()))
        if not hours:
            return None
        start, end = _hhmm(hours[0]), _hhmm(hours[1])
    else:
        if day.weekday() in (t.days_off or []):
            return None
        start, end = t.shift_start, t.shift_end
    limit = t.max_hours_day or DEFAULT_MAX_DAY_H
    latest = (datetime.combine(day, start) + timedelta(hours=limit)).time()
    if latest > start and latest < end:
        end = latest
    return start, end


def cap_hours(t: Technician, used_this_week_h: float) -> float:
    """Hours the weekly limit still allows this week."""
    return max(0.0, (t.max_hours_week or DEFAULT_MAX_WEEK_H) - used_this_week_h)


def week_of(day: date) -> date:
    """The Monday of ``day``'s week (weekly limits count Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def parse_pattern(text: str) -> dict[str, list[str]]:
    """``Mon-Fri 08:00-17:00, Sat 09:00-12:00`` -> {"0": ["08:00", "17:00"], ...}.

    Raises ``ValueError`` naming the part it cannot read.
    """
    out: dict[str, list[str]] = {}
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        try:
            days, hours = part.split()
            a, _, b = days.partition("-")
            first = DAY_NAMES.index(a.capitalize())
            last = DAY_NAMES.index(b.capitalize()) if b else first
            start, end = hours.split("-")
            if not _hhmm(start) < _hhmm(end):
                raise ValueError
        except ValueError:
            raise ValueError(
                f"cannot read {part!r}: expected e.g. 'Mon-Fri 08:00-17:00'"
            ) from None
        for d in range(first, last + 1):
            out[str(d)] = [start, end]
    return out
