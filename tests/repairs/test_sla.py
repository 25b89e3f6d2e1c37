"""Business-hours arithmetic, French holidays and SLA due times / statuses."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from repairs.errors import NaiveDatetimeError
from repairs.sla import (
    DEFAULT_CALENDAR,
    PARIS,
    BusinessCalendar,
    SlaStatus,
    add_business_hours,
    business_hours_between,
    french_holidays,
    sla_due,
    sla_hours,
    sla_status,
)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_within_one_day():
    """Monday 2026-11-23 09:00 + 3 h = 12:00 the same day."""
    assert add_business_hours(paris(2026, 11, 23, 9), 3) == paris(2026, 11, 23, 12)


def test_closing_time_counts_as_within_the_day():
    """10 h from Monday 08:00 ends Monday 18:00, not Tuesday 08:00."""
    assert add_business_hours(paris(2026, 11, 23, 8), 10) == paris(2026, 11, 23, 18)


def test_across_a_weekend():
    """Friday 2026-11-27 16:00 + 4 h: 2 h Friday, skip Sat/Sun, Monday 10:00."""
    assert add_business_hours(paris(2026, 11, 27, 16), 4) == paris(2026, 11, 30, 10)


def test_opened_after_hours_starts_next_morning():
    """Monday 20:00 + 1 h: the clock starts Tuesday 08:00 -> 09:00."""
    assert add_business_hours(paris(2026, 11, 23, 20), 1) == paris(2026, 11, 24, 9)


def test_opened_on_saturday_starts_monday():
    """Saturday 2026-11-28 11:00 + 0 h is Monday 08:00."""
    assert add_business_hours(paris(2026, 11, 28, 11), 0) == paris(2026, 11, 30, 8)


def test_opened_before_opening():
    """Tuesday 06:30 + 2 h = Tuesday 10:00."""
    assert add_business_hours(paris(2026, 11, 24, 6, 30), 2) == paris(2026, 11, 24, 10)


def test_christmas_2026():
    """Thursday 2026-12-24 10:00, Gold (20 h): Thu 8 h, Fri 25 holiday, weekend,
    Mon 28 10 h (18 h), Tue 29 2 h -> Tuesday 10:00."""
    # The brief's "Friday 2026-12-24" is a Thursday; Christmas itself is Friday.
    assert date(2026, 12, 24).weekday() == 3
    assert sla_due(paris(2026, 12, 24, 10), "normal", "Gold") == paris(2026, 12, 29, 10)


def test_bastille_day():
    """Monday 2026-07-13 17:00 + 3 h: 1 h Monday, Tuesday 14 July closed, Wed 10:00."""
    assert add_business_hours(paris(2026, 7, 13, 17), 3) == paris(2026, 7, 15, 10)


def test_easter_monday():
    """Friday 2026-04-03 12:00, Platinum (10 h): Fri 6 h, Mon 6 April closed,
    Tue 4 h -> Tuesday 2026-04-07 12:00."""
    assert sla_due(paris(2026, 4, 3, 12), "normal", "platinum") == paris(2026, 4, 7, 12)


def test_ascension():
    """Wednesday 2026-05-13 14:00 + 10 h: Wed 4 h, Thu 14 May closed, Fri 6 h -> 14:00."""
    assert add_business_hours(paris(2026, 5, 13, 14), 10) == paris(2026, 5, 15, 14)


def test_holidays_come_from_the_holidays_package():
    """French 2026 holidays include Easter Monday, Ascension, 14 July, Christmas."""
    h = french_holidays(2026)
    assert {
        date(2026, 4, 6),
        date(2026, 5, 14),
        date(2026, 7, 14),
        date(2026, 12, 25),
    } <= h
    assert date(2026, 12, 24) not in h


def test_result_is_paris_time_even_from_utc_input():
    """A UTC start gives the same instant as its Paris equivalent."""
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)  # 09:00 Paris (UTC+1)
    got = add_business_hours(start, 1)
    assert got == paris(2026, 11, 23, 10) and got.tzinfo == PARIS


def test_dst_change_weekend():
    """Friday 2026-03-27 17:00 (UTC+1) + 2 h -> Monday 2026-03-30 09:00 (UTC+2)."""
    got = add_business_hours(paris(2026, 3, 27, 17), 2)
    assert got == paris(2026, 3, 30, 9)
    assert got.utcoffset() == timedelta(hours=2)


def test_naive_datetimes_are_rejected():
    """A naive datetime raises a clear ValueError naming the argument."""
    with pytest.raises(NaiveDatetimeError, match="opened_at must be timezone-aware"):
        sla_due(datetime(2026, 11, 23, 9), "normal", "Gold")
    with pytest.raises(ValueError, match="now"):
        sla_status(paris(2026, 11, 23, 9), datetime(2026, 11, 23, 9), False)


def test_negative_hours_are_rejected():
    """Adding negative business hours is an error."""
    with pytest.raises(ValueError, match="-1"):
        add_business_hours(paris(2026, 11, 23, 9), -1)


def test_hours_between_over_a_weekend_and_backwards():
    """Fri 16:00 -> Mon 10:00 is 2 + 2 = 4 h; reversed it is -4 h."""
    a, b = paris(2026, 11, 27, 16), paris(2026, 11, 30, 10)
    assert business_hours_between(a, b) == 4.0
    assert business_hours_between(b, a) == -4.0


def test_hours_between_over_christmas():
    """Thu 24 Dec 10:00 -> Tue 29 Dec 10:00 is 8 + 10 + 2 = 20 business hours."""
    assert (
        business_hours_between(paris(2026, 12, 24, 10), paris(2026, 12, 29, 10)) == 20.0
    )


def test_sla_targets_per_tier():
    """Normal: Platinum 10 h, Gold 20 h, Silver 30 h, Member 50 h; critical Gold 10 h."""
    assert [
        sla_hours("normal", t) for t in ("Platinum", "Gold", "Silver", "Member")
    ] == [10, 20, 30, 50]
    assert sla_hours("critical", "Gold") == 10


def test_member_due_after_five_business_days():
    """Member normal opened Monday 2026-11-23 10:00 (50 h): Mon 8, Tue-Thu 30, Fri 10 ->
    48 h by Friday 18:00, then 2 h Monday 30 Nov -> 10:00."""
    assert sla_due(paris(2026, 11, 23, 10), "normal", "member") == paris(
        2026, 11, 30, 10
    )


def test_each_severity_has_its_own_target():
    """The shipped policy no longer gives low, normal and high the same due time."""
    opened = paris(2026, 11, 23, 10)
    dues = [sla_due(opened, s, "Gold") for s in ("critical", "high", "normal", "low")]
    assert dues == sorted(dues) and len(set(dues)) == 4


def test_critical_shortens_the_target():
    """Gold critical (10 h) opened Monday 10:00 is due Tuesday 10:00."""
    assert sla_due(paris(2026, 11, 23, 10), "critical", "Gold") == paris(
        2026, 11, 24, 10
    )


def test_unknown_tier_or_severity():
    """Unknown tier and severity values are named in the error."""
    with pytest.raises(ValueError, match="'Diamond'"):
        sla_due(paris(2026, 11, 23, 10), "normal", "Diamond")
    with pytest.raises(ValueError, match="'urgent'"):
        sla_due(paris(2026, 11, 23, 10), "urgent", "Gold")


def test_status_breached_only_after_due_time():
    """At the due instant the ticket is still not breached; one minute later it is."""
    due = paris(2026, 11, 24, 12)
    assert sla_status(due, due, scheduled=True) is SlaStatus.OK
    assert (
        sla_status(due, due + timedelta(minutes=1), scheduled=True)
        is SlaStatus.BREACHED
    )


def test_status_at_risk_uses_business_hours():
    """Fri 17:00 with due Mon 10:00 leaves 1 + 2 = 3 business hours: at risk if unscheduled."""
    due, now = paris(2026, 11, 30, 10), paris(2026, 11, 27, 17)
    assert sla_status(due, now, scheduled=False) is SlaStatus.AT_RISK
    assert sla_status(due, now, scheduled=True) is SlaStatus.OK
    assert sla_status(due, now, scheduled=False, at_risk_within_h=2) is SlaStatus.OK


def test_status_values():
    """Status values are exactly ok / at_risk / breached."""
    assert [s.value for s in SlaStatus] == ["ok", "at_risk", "breached"]
    assert SlaStatus.AT_RISK.label == "at risk"


def test_configurable_calendar():
    """A Mon-Sat 09:00-17:00 calendar: Friday 16:00 + 2 h = Saturday 10:00."""
    from datetime import time

    cal = BusinessCalendar(workdays=frozenset(range(6)), opens=time(9), closes=time(17))
    assert add_business_hours(paris(2026, 11, 27, 16), 2, cal) == paris(
        2026, 11, 28, 10
    )
    with pytest.raises(ValueError, match="open before it closes"):
        BusinessCalendar(opens=time(18), closes=time(8))


def test_worked_public_holiday():
    """Pentecost Monday 2026-05-25 is a holiday unless the company works it."""
    start = paris(2026, 5, 22, 17)  # Friday
    assert add_business_hours(start, 2) == paris(2026, 5, 26, 9)  # Fri 1 h, Tue 1 h
    cal = BusinessCalendar(worked_holidays=frozenset({date(2026, 5, 25)}))
    assert add_business_hours(start, 2, cal) == paris(2026, 5, 25, 9)


def test_is_business_time():
    """Open Monday 08:00-18:00 inclusive, closed on 14 July and on Saturday."""
    cal = BusinessCalendar()
    assert cal.is_business_time(paris(2026, 11, 23, 8))
    assert cal.is_business_time(paris(2026, 11, 23, 18))
    assert not cal.is_business_time(paris(2026, 11, 23, 18, 1))
    assert not cal.is_business_time(paris(2026, 7, 14, 10))
    assert not cal.is_business_time(paris(2026, 11, 28, 10))


def test_property_results_are_within_business_hours():
    """Every computed due time falls within business hours."""
    for start in _random_starts(200):
        assert DEFAULT_CALENDAR.is_business_time(add_business_hours(start, 7.5))


def _random_starts(n: int) -> list[datetime]:
    rng = random.Random(20261124)
    base = paris(2026, 1, 1)
    return [base + timedelta(minutes=rng.randrange(0, 365 * 24 * 60)) for _ in range(n)]


def test_property_due_is_never_before_opened_and_round_trips():
    """For 300 random starts: due >= start, and hours_between(start, due) == hours."""
    rng = random.Random(7)
    for start in _random_starts(300):
        hours = rng.choice([0, 0.5, 1, 4, 10, 20, 30, 50])
        due = add_business_hours(start, hours)
        assert due >= start
        assert business_hours_between(start, due) == pytest.approx(hours)


def test_property_more_hours_never_earlier():
    """Adding more business hours never gives an earlier due time."""
    for start in _random_starts(100):
        dues = [add_business_hours(start, h) for h in (0, 1, 5, 10, 25)]
        assert dues == sorted(dues)


def test_property_adding_a_holiday_never_makes_due_earlier():
    """Closing one more day (any day in the next 3 weeks) never brings the due time forward."""
    rng = random.Random(11)
    for start in _random_starts(60):
        extra = start.date() + timedelta(days=rng.randrange(0, 21))
        cal = BusinessCalendar(extra_holidays=frozenset({extra}))
        for tier in ("Platinum", "Member"):
            assert sla_due(start, "normal", tier, calendar=cal) >= sla_due(
                start, "normal", tier
            )
