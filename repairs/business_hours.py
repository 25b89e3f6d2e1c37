"""Business-hours arithmetic for France: when the SLA clock runs.

Pure: aware datetimes in, aware datetimes (Europe/Paris) out. Business time is
Mon-Fri 08:00-18:00 Europe/Paris outside French public holidays (``holidays``
package, metropolitan France) by default, all configurable through
``BusinessCalendar`` (the SLA policy file sets it). Business hours never straddle a
DST change (those happen at night), so the arithmetic is done on local wall-clock
time and localised at the end.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from data.base import PARIS
from repairs.errors import NaiveDatetimeError


@functools.lru_cache(maxsize=64)
def french_holidays(year: int) -> frozenset[date]:
    """Public holidays of metropolitan France for ``year`` (``holidays.France``)."""
    return frozenset(holidays.country_holidays("FR", years=year))


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessCalendar:
    """When the SLA clock runs.

    ``workdays`` are ``date.weekday()`` numbers (Mon=0). ``extra_holidays`` adds
    closures (company days off); ``worked_holidays`` lists public holidays the
    company works (e.g. Pentecost Monday as "journée de solidarité");
    ``public_holidays=False`` ignores French public holidays altogether.
    """

    tz: ZoneInfo = PARIS
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    opens: time = time(8, 0)
    closes: time = time(18, 0)
    public_holidays: bool = True
    extra_holidays: frozenset[date] = frozenset()
    worked_holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError(
                f"business day must open before it closes: {self.opens}-{self.closes}"
            )
        if not self.workdays or not self.workdays <= set(range(7)):
            raise ValueError(f"workdays must be weekday numbers 0-6: {self.workdays}")

    @property
    def day_hours(self) -> float:
        any_day = date(2000, 1, 3)
        span = _at(any_day, self.closes) - _at(any_day, self.opens)
        return span / timedelta(hours=1)

    def is_business_day(self, day: date) -> bool:
        if day.weekday() not in self.workdays or day in self.extra_holidays:
            return False
        if not self.public_holidays or day in self.worked_holidays:
            return True
        return day not in french_holidays(day.year)

    def is_business_time(self, at: datetime) -> bool:
        """True when ``at`` (aware) falls within business hours, closing time included."""
        _require_aware("at", at)
        local = at.astimezone(self.tz)
        return self.is_business_day(local.date()) and (
            self.opens <= local.time().replace(tzinfo=None) <= self.closes
        )


DEFAULT_CALENDAR = BusinessCalendar()


def _at(day: date, t: time) -> datetime:
    return datetime.combine(day, t)


def _require_aware(name: str, value: datetime) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(name, value)


def _local_naive(value: datetime, cal: BusinessCalendar) -> datetime:
    return value.astimezone(cal.tz).replace(tzinfo=None)


def _localise(wall: datetime, cal: BusinessCalendar) -> datetime:
    return wall.replace(tzinfo=cal.tz)


def add_business_hours(
    start: datetime,
    hours: float,
    calendar: BusinessCalendar = DEFAULT_CALENDAR,
) -> datetime:
    """The instant ``hours`` business hours after ``start``.

    The result always lies within business hours (a day's closing time counts
    as within: 10 h from Monday 08:00 is Monday 18:00, not Tuesday 08:00). With
    ``hours=0`` it is ``start`` moved forward to the next opening if needed.

    Raises
    ------
    NaiveDatetimeError
        ``start`` has no time zone.
    ValueError
        ``hours`` is negative.
    """
    _require_aware("start", start)
    if hours < 0:
        raise ValueError(f"hours must be >= 0, got {hours}")
    remaining = timedelta(hours=float(hours))
    cursor = _local_naive(start, calendar)
    day = cursor.date()
    while True:
        if calendar.is_business_day(day):
            opens, closes = _at(day, calendar.opens), _at(day, calendar.closes)
            cursor = max(cursor, opens)
            if cursor <= closes:
                left_today = closes - cursor
                if remaining <= left_today:
                    return _localise(cursor + remaining, calendar)
                remaining -= left_today
        day += timedelta(days=1)
        cursor = _at(day, calendar.opens)


def business_hours_between(
    a: datetime, b: datetime, calendar: BusinessCalendar = DEFAULT_CALENDAR
) -> float:
    """Business hours from ``a`` to ``b``; negative when ``b`` is before ``a``."""
    _require_aware("a", a)
    _require_aware("b", b)
    if b < a:
        return -business_hours_between(b, a, calendar)
    lo, hi = _local_naive(a, calendar), _local_naive(b, calendar)
    total = timedelta()
    day = lo.date()
    while day <= hi.date():
        if calendar.is_business_day(day):
            start = max(lo, _at(day, calendar.opens))
            end = min(hi, _at(day, calendar.closes))
            if end > start:
                total += end - start
        day += timedelta(days=1)
    return total / timedelta(hours=1)
