"""Defence in depth: each page service refuses a user of the wrong role, whatever the
page did before (called here directly, as a future page, CLI or API would)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.access.roles import AccessDenied
from dispatch.planning import plans as planning
from dispatch.planning import runs
from dispatch.planning.saved import PlanView
from dispatch.views import board, kpis, outbox, remote, sla, tickets
from dispatch.views import loaners as loaner_view
from tests.builders import principal

DAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)
STORE = principal("store staff", store_id=1)
TECH = principal("technician")
MANAGER = principal("manager")
AGENT = principal("agent")
EMPTY_PLAN = PlanView(*([None] * len(PlanView.__dataclass_fields__)))  # never read

Call = Callable[[Session, Any], object]

#: (what, the call, a role it must refuse)
CASES: list[tuple[str, Call, Any]] = [
    ("board.default_day", lambda s, u: board.default_day(s, DAY, actor=u), STORE),
    ("board.job_rows", lambda s, u: board.job_rows(s, DAY, actor=u), MANAGER),
    (
        "board.job_rows couriers",
        lambda s, u: board.job_rows(s, DAY, None, "couriers", actor=u),
        STORE,
    ),
    (
        "board.current_plan_id",
        lambda s, u: board.current_plan_id(s, "technicians", DAY, None, actor=u),
        TECH,
    ),
    (
        "board.stop_details",
        lambda s, u: board.stop_details(s, EMPTY_PLAN, actor=u),
        AGENT,
    ),
    ("board.vehicle_info", lambda s, u: board.vehicle_info(s, actor=u), STORE),
    (
        "board.variant_plans",
        lambda s, u: board.variant_plans(s, "technicians", DAY, None, actor=u),
        MANAGER,
    ),
    (
        "board.published_plan_id",
        lambda s, u: board.published_plan_id(s, "technicians", DAY, None, actor=u),
        TECH,
    ),
    ("board.plan_status", lambda s, u: board.plan_status(s, 1, actor=u), STORE),
    (
        "board.remove_from_day",
        lambda s, u: board.remove_from_day(s, DAY, "T1", actor=u),
        MANAGER,
    ),
    ("kpis.history_end", lambda s, u: kpis.history_end(s, actor=u), STORE),
    (
        "kpis.service_level",
        lambda s, u: kpis.service_level(s, as_of=DAY, weeks=1, actor=u),
        AGENT,
    ),
    (
        "kpis.today_counts",
        lambda s, u: kpis.today_counts(s, day=DAY, now=NOW, actor=u),
        TECH,
    ),
    (
        "kpis.today_counts other store",
        lambda s, u: kpis.today_counts(s, day=DAY, now=NOW, store_id=2, actor=u),
        STORE,
    ),
    (
        "kpis.today_counts all stores",
        lambda s, u: kpis.today_counts(s, day=DAY, now=NOW, actor=u),
        STORE,
    ),
    (
        "runs.start_plan",
        lambda s, u: runs.start_plan(
            kind="technicians",
            day=DAY,
            region=None,
            seconds=1,
            actor=u,
            url="sqlite://",
        ),
        MANAGER,
    ),
    (
        "runs.run_inline",
        lambda s, u: runs.run_inline(
            kind="couriers", day=DAY, region=None, seconds=1, actor=u
        ),
        STORE,
    ),
    ("runs.cancel", lambda s, u: runs.cancel(s, 1, actor=u), AGENT),
    ("planning.publish", lambda s, u: planning.publish(s, 1, actor=u), MANAGER),
    ("planning.pin", lambda s, u: planning.pin(s, DAY, "T1", actor=u), STORE),
    ("planning.unpin", lambda s, u: planning.unpin(s, DAY, "T1", actor=u), TECH),
    # services other helpers own, checked the same way
    ("tickets.tickets", lambda s, u: tickets.tickets(s, u, now=NOW), STORE),
    (
        "loaners.pool_by_site other store",
        lambda s, u: loaner_view.pool_by_site(s, u, 2),
        STORE,
    ),
    ("sla.at_risk_tickets", lambda s, u: sla.at_risk_tickets(s, u, now=NOW), TECH),
    ("outbox.outbox", lambda s, u: outbox.outbox(s, u), TECH),
    ("remote.queue", lambda s, u: remote.queue(s, u), TECH),
]


@pytest.mark.parametrize(("what", "call", "who"), CASES, ids=[c[0] for c in CASES])
def test_a_wrong_role_is_refused(session, what, call, who):
    with pytest.raises(AccessDenied):
        call(session, who)


def test_the_right_role_passes_the_check(session):
    dispatcher = principal("dispatcher")
    assert board.job_rows(session, DAY, actor=dispatcher) == []
    assert board.plan_status(session, 1, actor=dispatcher) == "missing"
    assert (
        kpis.today_counts(
            session, day=DAY, now=NOW, store_id=1, actor=STORE
        ).bags_to_prepare
        == 0
    )
    assert kpis.history_end(session, actor=MANAGER) is None
