"""Slot offers and booking: real insertions, ranking, hold-back, the plan keeps them,
and a booking race between processes (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing as mp
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from data.base import PARIS
from data.db import make_engine, sessions
from data.models import RepairTicket, VisitBooking
from dispatch.booking.book import SlotTaken, book
from dispatch.booking.offers import BookingError, offers_for
from dispatch.booking.rules import BookingRules
from tests.builders import make_technician, open_for, plan_inline, principal

#: Monday 23 Nov 2026 07:00 Paris: Tuesday 24 is tomorrow, Wednesday 25 after that.
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
AGENT = principal("agent")
TUESDAY = date(2026, 11, 24)


def _ticket(session, tier=None, severity="normal", duration=35):
    t = open_for(session, tier, NOW, fault="leak", severity=severity)
    row = session.get(RepairTicket, t.id)
    row.duration_min = duration
    session.flush()
    return row


def test_offers_are_real_ranked_and_iso(session) -> None:
    make_technician(session)
    t = _ticket(session, "Member")
    got = offers_for(session, t.id, now=NOW)
    assert 1 <= len(got.offers) <= 3
    js = got.as_json()
    assert js["ticket"] == t.ref
    first = js["offers"][0]
    assert set(first) == {
        "id",
        "day",
        "start",
        "end",
        "technician",
        "added_km",
        "sla_met",
    }
    assert first["start"].endswith("+01:00")
    keys = [(not o.sla_met, o.added_km) for o in got.offers]
    assert keys == sorted(keys)
    for o in got.offers:  # windows start no sooner than an hour from now, today
        assert o.slot.start >= datetime(2026, 11, 23, 8, 0, tzinfo=PARIS)
        assert (o.slot.end - o.slot.start).total_seconds() == 2 * 3600


def test_top_tier_sees_earliest_first_and_custom_window(session) -> None:
    make_technician(session)
    t = _ticket(session, "Platinum")
    got = offers_for(
        session, t.id, now=NOW, rules=BookingRules(window_min=180, offers=4)
    )
    starts = [o.slot.start for o in got.offers]
    assert starts == sorted(starts) and len(starts) == 4
    assert all(o.slot.length_min == 180 for o in got.offers)


def test_holdback_keeps_capacity_for_urgent_work(session) -> None:
    # A 7 h 30 visit fills 79 % of a 9 h 30 working day: beyond the 75 % left after
    # the hold-back, so an ordinary ticket gets no slot after tomorrow.
    make_technician(session, shift=(time(8, 0), time(17, 30)), break_minutes=0)
    ordinary = _ticket(session, "Member", duration=450)
    urgent = _ticket(session, "Member", severity="critical", duration=450)
    days_o = {
        o.slot.day
        for o in offers_for(
            session, ordinary.id, now=NOW, rules=BookingRules(offers=20)
        ).offers
    }
    days_u = {
        o.slot.day
        for o in offers_for(
            session, urgent.id, now=NOW, rules=BookingRules(offers=20)
        ).offers
    }
    assert days_o and max(days_o) <= TUESDAY
    assert max(days_u) > TUESDAY


def test_book_sets_the_window_and_refuses_twice(session) -> None:
    make_technician(session)
    t = _ticket(session, "Gold")
    offer = offers_for(session, t.id, now=NOW).offers[0]
    b = book(session, t.id, offer.id, actor=AGENT, now=NOW)
    assert b.window_start == offer.slot.start
    session.refresh(t)
    assert t.status == "scheduled" and t.visit_on == offer.slot.day
    assert t.window_start == offer.slot.start and t.window_end == offer.slot.end
    with pytest.raises(BookingError, match="scheduled"):
        book(session, t.id, offer.id, actor=AGENT, now=NOW)
    with pytest.raises(BookingError, match="not a slot id"):
        book(session, t.id, "nope", actor=AGENT, now=NOW)


def test_next_plan_keeps_the_booked_window(demo_url, monkeypatch) -> None:
    """On the small demo: book a visit, plan that day, the stop starts in the window."""
    eng = make_engine(demo_url)
    with sessions(demo_url, writer=True).begin() as s:
        t = s.scalars(
            select(RepairTicket)
            .where(
                RepairTicket.resolution_path == "onsite",
                RepairTicket.status == "triaged",
            )
            .order_by(RepairTicket.sla_due_at.desc())
        ).first()
        offer = offers_for(s, t.id, now=NOW).offers[-1]
        book(s, t.id, offer.id, actor=AGENT, now=NOW)
        tid = t.id
    eng.dispose()
    view = plan_inline(demo_url, monkeypatch, "technicians", offer.slot.day)
    assert view.stats["violations"] == 0
    stops = [x for r in view.routes for x in r.stops if x.ticket_id == tid]
    assert len(stops) == 1
    assert offer.slot.start <= stops[0].start_at <= offer.slot.end


def _race(url: str, ticket_id: int, slot: str, barrier, out) -> None:
    maker = sessions(url, writer=True)
    barrier.wait()
    try:
        with maker.begin() as s:
            b = book(s, ticket_id, slot, actor=principal("agent"), now=NOW)
        out.put(("ok", ticket_id, b.slot))
    except SlotTaken as exc:
        fresh = [o.id for o in exc.fresh.offers] if exc.fresh else []
        out.put(("taken", ticket_id, str(exc), fresh))
    except Exception as exc:  # pragma: no cover - reported to the test
        out.put(("error", ticket_id, repr(exc)))


def test_booking_race_between_processes(db_url, session) -> None:
    """Four agents, one last place (08:00-10:00, a 90-min visit fills the shift):
    exactly one booking, the others refused with fresh offers."""
    tech = make_technician(session, shift=(time(8, 0), time(10, 30)), break_minutes=0)
    tickets = [_ticket(session, "Member", duration=90).id for _ in range(4)]
    session.commit()
    slot = f"{TUESDAY:%Y%m%d}-0800-120-T{tech.id}"
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(len(tickets)), ctx.Queue()
    procs = [
        ctx.Process(target=_race, args=(db_url, t, slot, barrier, out)) for t in tickets
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [r for r in results if r[0] == "error"] == []
    wins = [r for r in results if r[0] == "ok"]
    lost = [r for r in results if r[0] == "taken"]
    assert len(wins) == 1 and len(lost) == 3
    for r in lost:
        assert "no longer free" in r[2]
        assert r[3] and slot not in r[3]
    session.expire_all()
    assert session.scalar(select(VisitBooking.ticket_id)) == wins[0][1]
    assert len(session.scalars(select(VisitBooking)).all()) == 1
