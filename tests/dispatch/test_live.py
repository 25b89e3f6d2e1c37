"""The live board: statuses from field reports, ETAs from where technicians are, broken windows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.models import RepairTicket
from dispatch.field.status import set_status
from dispatch.views import live
from tests.builders import DEMO_DATE, day_tickets, dispatcher, paris, publish_round


@dataclass(frozen=True)
class Who:
    username: str
    role: str = "technician"
    store_id: int | None = None


def test_live_board(demo_session: Session) -> None:
    s = demo_session
    ids = day_tickets(s, DEMO_DATE, 6)
    plan_id = publish_round(s, DEMO_DATE, {1: ids[:3], 2: ids[3:]})
    promised = s.get_one(RepairTicket, ids[2])
    promised.window_start, promised.window_end = (
        paris(2026, 11, 24, 8),
        paris(2026, 11, 24, 11, 5),
    )
    tec = Who("tec-001")
    set_status(s, tec, ids[0], "arrived", at=paris(2026, 11, 24, 9, 5))
    set_status(s, tec, ids[0], "done", at=paris(2026, 11, 24, 10, 20))
    set_status(s, tec, ids[1], "on_my_way", at=paris(2026, 11, 24, 10, 25))
    s.commit()

    board = live.live_board(
        s, plan_id, actor=dispatcher(), now=paris(2026, 11, 24, 10, 30)
    )
    one, two = sorted(board.routes, key=lambda r: r.technician_id)
    assert [x.status for x in one.stops][:2] == ["done", "on the way"]
    third = one.stops[2]
    # stop 2 (planned 10:00) is only reached after 10:25: stop 3 is pushed past 11:05
    assert third.eta is not None and third.eta > paris(2026, 11, 24, 11, 5)
    assert third.status == "late" and third.breaks_window and third.delay_min > 15
    assert one.broken == (third,) and one in board.flagged
    assert "on the way to" in one.where
    # nobody reported on round 2: it leaves home at 10:30 at best, late for 09:00
    assert two.where == "not started"
    assert two.stops[0].status == "late"
    assert board.count("done") == 1


def test_a_day_ahead_shows_the_plan_as_made(demo_session: Session) -> None:
    s = demo_session
    ids = day_tickets(s, DEMO_DATE, 2)
    plan_id = publish_round(s, DEMO_DATE, {1: ids}, every_min=120)
    board = live.live_board(s, plan_id, actor=dispatcher(), now=paris(2026, 11, 20, 12))
    assert board.at == paris(2026, 11, 24, 0)
    assert {x.status for x in board.routes[0].stops} <= {"on time", "ahead"}
