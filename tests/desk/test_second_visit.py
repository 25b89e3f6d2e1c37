"""Could not fix -> a second visit to book: the booking flow offers it from the day the
outcome set and books it as the ticket's next visit (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from data.base import PARIS
from data.models import RepairTicket, VisitBooking
from dispatch.booking.book import book
from dispatch.booking.offers import BookingError, Slot, offers_for
from dispatch.field.outcomes import next_working_day
from dispatch.field.status import set_status
from dispatch.views.journey import journey
from tests.builders import Actor, make_technician, open_for, principal, publish_round

#: Monday 23 Nov 2026 07:00 Paris.
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
AGENT = principal("agent")


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("reason", "skip"), [("part_needed", 2), ("customer_absent", 1)]
)
def test_a_visit_that_could_not_fix_leaves_a_second_visit_to_book(
    session, reason: str, skip: int
) -> None:
    tech = make_technician(session)
    t = open_for(session, "Member", NOW, fault="leak")
    first = offers_for(session, t.id, now=NOW).offers[0]
    book(session, t.id, first.id, actor=AGENT, now=NOW)
    day = first.slot.day
    publish_round(session, day, {tech.id: [t.id]}, first=first.slot.start.time())
    who = Actor("dispatcher", name="dispatch")
    h = first.slot.start.hour
    set_status(session, who, t.id, "arrived", at=_at(day, h))
    report = set_status(session, who, t.id, "failed", reason=reason, at=_at(day, h, 30))
    session.commit()

    # what the booking flow needs: an on-site ticket waiting for its visit, from a day
    row = session.get_one(RepairTicket, t.id)
    again = next_working_day(day, skip)
    assert (row.status, row.resolution_path) == ("triaged", "onsite")
    assert row.visit_on == again and row.window_start is None
    assert row.technician_id is None and row.first_time_fix is False
    assert f"second visit to book from {again:%a} {again.day}" in report.next_step
    j = journey(session, Actor("agent"), t.id)
    assert "second visit" in j.next_step and "Book" in j.next_step
    assert any("not fixed" in s.what for s in j.steps)

    later = _at(day, 19)
    got = offers_for(session, t.id, now=later)
    assert got.offers and all(o.slot.day >= again for o in got.offers)
    too_soon = Slot(
        day=next_working_day(day), start_min=10 * 60, length_min=120,
        technician_id=tech.id,
    )  # fmt: skip
    if too_soon.day < again:
        with pytest.raises(BookingError, match=r"second visit .* is from"):
            book(session, t.id, too_soon.id, actor=AGENT, now=later)
    done = book(session, t.id, got.offers[0].id, actor=AGENT, now=later)
    session.commit()
    row = session.get_one(RepairTicket, t.id)
    assert row.status == "scheduled" and row.visit_on == got.offers[0].slot.day
    assert (row.window_start, row.window_end) == (done.window_start, done.window_end)
    attempts = session.scalars(
        select(VisitBooking.attempt)
        .where(VisitBooking.ticket_id == t.id)
        .order_by(VisitBooking.attempt)
    ).all()
    assert attempts == [1, 2]
    with pytest.raises(BookingError, match="is scheduled"):  # booked: not again
        offers_for(session, t.id, now=later)
    steps = [s.what for s in journey(session, Actor("agent"), t.id).steps]
    assert any(w.startswith("visit 2 booked for") for w in steps)
