"""Defence in depth below the pages, part two: planning runs, publishing, pins, re-plans,
horizons, every delivery order change, the live board, the KPI building blocks, booking a
visit and the CSV import pipeline take the acting user and check its role.

Each service is called directly (as a future page, CLI or API would) with a user of a
wrong role (refused, nothing written), with a bare name instead of a user (refused:
no name skips the check) and with the right role (it works), on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import AuditLog, Customer, DeliveryOrder, PlanRun, Site, VisitBooking
from dispatch.access.roles import AccessDenied
from dispatch.booking.book import book
from dispatch.deliveries import flows, relays, store_bags
from dispatch.intake import pipeline
from dispatch.planning import plans as planning
from dispatch.planning import runs
from dispatch.planning.builder import PARIS
from dispatch.planning.horizon import plan_horizon
from dispatch.planning.replan import replan
from dispatch.views import kpis, live
from tests.builders import principal
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)
AT = datetime.combine(DAY, time(15), tzinfo=PARIS)
DISPATCHER = principal("dispatcher")
MANAGER = principal("manager")
AGENT = principal("agent")
TECH = principal("technician")
STORE = principal("store staff", store_id=1)
UNBOUND_STORE = principal("store staff")

Call = Callable[[Session, Any], object]

#: (what, the call, a user of a role it must refuse). No data needed: the check comes
#: before the service reads anything.
REFUSED: list[tuple[str, Call, Any]] = [
    (
        "runs.create_run",
        lambda s, u: runs.create_run(
            s, kind="technicians", day=DAY, region=None, seconds=1, actor=u
        ),
        MANAGER,
    ),
    ("runs.cancel", lambda s, u: runs.cancel(s, 1, actor=u), STORE),
    (
        "replan",
        lambda s, u: replan(s, day=DAY, at=AT, actor=u, seconds=1),
        MANAGER,
    ),
    (
        "replan by a technician",
        lambda s, u: replan(s, day=DAY, at=AT, actor=u, absent="TEC-001", seconds=1),
        TECH,
    ),
    (
        "plan_horizon",
        lambda s, u: plan_horizon(s, DAY, 2, seconds=1, actor=u),
        AGENT,
    ),
    (
        "flows.transition",
        lambda s, u: flows.transition(s, 1, "delivered", actor=u, at=AT),
        MANAGER,
    ),
    ("flows.load_on_van", lambda s, u: flows.load_on_van(s, 1, actor=u), AGENT),
    ("flows.deliver", lambda s, u: flows.deliver(s, 1, actor=u), TECH),
    ("flows.drop_at_relay", lambda s, u: flows.drop_at_relay(s, 1, actor=u), MANAGER),
    ("flows.fail_attempt", lambda s, u: flows.fail_attempt(s, 1, actor=u), STORE),
    (
        "flows.expire_uncollected",
        lambda s, u: flows.expire_uncollected(s, DAY, actor=u),
        STORE,
    ),
    (
        "flows.load_plan_orders",
        lambda s, u: flows.load_plan_orders(s, 1, actor=u),
        MANAGER,
    ),
    ("relays.assign_relay", lambda s, u: relays.assign_relay(s, 1, actor=u), STORE),
    ("relays.assign_relays", lambda s, u: relays.assign_relays(s, DAY, actor=u), AGENT),
    (
        "store_bags.bags_to_prepare other store",
        lambda s, u: store_bags.bags_to_prepare(s, 2, DAY, actor=u),
        STORE,
    ),
    (
        "store_bags.bags_to_prepare by a manager",
        lambda s, u: store_bags.bags_to_prepare(s, 1, DAY, actor=u),
        MANAGER,
    ),
    (
        "store_bags.mark_ready other store",
        lambda s, u: store_bags.mark_ready(s, 1, store_id=2, actor=u),
        STORE,
    ),
    ("live.live_board", lambda s, u: live.live_board(s, 1, actor=u), MANAGER),
    (
        "kpis.national_kpis",
        lambda s, u: kpis.national_kpis(s, kpis.period_ending(DAY, 1), now=AT, actor=u),
        STORE,
    ),
    (
        "kpis.area_service",
        lambda s, u: kpis.area_service(s, kpis.period_ending(DAY, 1), now=AT, actor=u),
        AGENT,
    ),
    ("kpis.weekly_trends", lambda s, u: kpis.weekly_trends(s, DAY, actor=u), TECH),
    (
        "kpis.overdue_tickets",
        lambda s, u: kpis.overdue_tickets(s, now=AT, actor=u),
        AGENT,
    ),
    ("book by a manager", lambda s, u: book(s, 1, "x", actor=u, now=AT), MANAGER),
    ("book by a technician", lambda s, u: book(s, 1, "x", actor=u, now=AT), TECH),
    (
        "pipeline.import_file",
        lambda s, u: pipeline.import_file(s, "customers", "c.csv", actor=u),
        AGENT,
    ),
    (
        "pipeline.run_import",
        lambda s, u: pipeline.run_import(
            "customers", "c.csv", actor=u, url="sqlite://"
        ),
        STORE,
    ),
    (
        "store_bags.mark_collected unbound",
        lambda s, u: store_bags.mark_collected(s, 1, store_id=1, actor=u),
        UNBOUND_STORE,
    ),
]

#: The services that took a free-text name before: a name is no user.
BY_NAME: list[tuple[str, Call]] = [
    (
        "runs.run_inline",
        lambda s, n: runs.run_inline(
            kind="technicians", day=DAY, region=None, seconds=1, actor=n
        ),
    ),
    (
        "runs.start_plan",
        lambda s, n: runs.start_plan(
            kind="technicians",
            day=DAY,
            region=None,
            seconds=1,
            actor=n,
            url="sqlite://",
        ),
    ),
    (
        "runs.create_run",
        lambda s, n: runs.create_run(
            s, kind="technicians", day=DAY, region=None, seconds=1, actor=n
        ),
    ),
    ("runs.cancel", lambda s, n: runs.cancel(s, 1, actor=n)),
    ("planning.publish", lambda s, n: planning.publish(s, 1, actor=n)),
    ("planning.pin", lambda s, n: planning.pin(s, DAY, "T1", actor=n)),
    ("planning.unpin", lambda s, n: planning.unpin(s, DAY, "T1", actor=n)),
    ("replan", lambda s, n: replan(s, day=DAY, at=AT, actor=n, seconds=1)),
    ("plan_horizon", lambda s, n: plan_horizon(s, DAY, 1, seconds=1, actor=n)),
    ("flows.transition", lambda s, n: flows.transition(s, 1, "new", actor=n)),
    (
        "flows.expire_uncollected",
        lambda s, n: flows.expire_uncollected(s, DAY, actor=n),
    ),
    ("flows.load_plan_orders", lambda s, n: flows.load_plan_orders(s, 1, actor=n)),
    ("relays.assign_relays", lambda s, n: relays.assign_relays(s, DAY, actor=n)),
    (
        "store_bags.mark_ready",
        lambda s, n: store_bags.mark_ready(s, 1, store_id=1, actor=n),
    ),
    ("book", lambda s, n: book(s, 1, "x", actor=n, now=AT)),
    (
        "pipeline.import_file",
        lambda s, n: pipeline.import_file(s, "customers", "c.csv", actor=n),
    ),
    (
        "pipeline.run_import",
        lambda s, n: pipeline.run_import(
            "customers", "c.csv", actor=n, url="sqlite://"
        ),
    ),
]


def _writes(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(m)) or 0
        for m in (AuditLog, PlanRun, VisitBooking, Customer)
    )


@pytest.mark.parametrize(("what", "call", "who"), REFUSED, ids=[c[0] for c in REFUSED])
def test_a_wrong_role_is_refused_and_nothing_is_written(session, what, call, who):
    before = _writes(session)
    with pytest.raises(AccessDenied):
        call(session, who)
    session.rollback()
    assert _writes(session) == before


@pytest.mark.parametrize(("what", "call"), BY_NAME, ids=[c[0] for c in BY_NAME])
def test_a_bare_name_is_not_a_user(session, what, call):
    with pytest.raises(TypeError, match="not a name"):
        call(session, "dispatch")


@pytest.mark.parametrize("who", [AGENT, MANAGER, TECH, STORE], ids=lambda u: u.role)
def test_an_import_by_a_wrong_role_writes_nothing(session, tmp_path, who):
    """A checked file (prepared as a dispatcher would) is refused at every entry point:
    ``commit``, ``import_file`` and ``run_import``; the right role then imports it."""
    path = tmp_path / "c.csv"
    path.write_text("ref,name,postcode,town\nG1,Ana,69002,Lyon\n", encoding="utf-8")
    prepared = pipeline.prepare(session, "customers", path)
    url = session.get_bind().url.render_as_string(hide_password=False)
    before = _writes(session)
    with pytest.raises(AccessDenied):
        pipeline.commit(session, prepared, actor=who)
    with pytest.raises(AccessDenied):
        pipeline.import_file(session, "customers", path, actor=who)
    with pytest.raises(AccessDenied):
        pipeline.run_import("customers", path, actor=who, url=url)
    session.rollback()
    assert _writes(session) == before
    assert pipeline.commit(session, prepared, actor=DISPATCHER).created == 1
    assert _audited_as(session, DISPATCHER.username) >= 1


# --- the right role works (demo data, both databases) ---------------------------------


def _order(s: Session, mode: str, status: str, store_id: int | None = None) -> int:
    q = select(DeliveryOrder.id).where(
        DeliveryOrder.mode == mode,
        DeliveryOrder.status == status,
        DeliveryOrder.promised_on == DAY,
    )
    if store_id is not None:
        q = q.where(DeliveryOrder.destination_site_id == store_id)
    oid = s.scalar(q.order_by(DeliveryOrder.id))
    assert oid is not None, f"demo has a {mode} order {status!r}"
    return oid


def _store_with_bags(s: Session) -> int:
    sid = s.scalar(
        select(DeliveryOrder.destination_site_id)
        .where(
            DeliveryOrder.mode == "store pick-up",
            DeliveryOrder.status == "to prepare",
            DeliveryOrder.promised_on == DAY,
        )
        .order_by(DeliveryOrder.id)
    )
    assert sid is not None
    return sid


def _audited_as(s: Session, name: str) -> int:
    return s.scalar(select(func.count(AuditLog.id)).where(AuditLog.actor == name)) or 0


def test_a_dispatcher_moves_orders_and_plans_runs(demo_session: Session) -> None:
    s = demo_session
    home = _order(s, "home", "new")
    assert (
        flows.load_on_van(s, home, actor=DISPATCHER, at=AT).target == "out for delivery"
    )
    assert flows.deliver(s, home, actor=DISPATCHER, at=AT).target == "delivered"
    other = _order(s, "home", "new")
    flows.load_on_van(s, other, actor=DISPATCHER, at=AT)
    assert flows.fail_attempt(s, other, actor=DISPATCHER, at=AT, why="away").attempts
    assert isinstance(flows.expire_uncollected(s, DAY, actor=DISPATCHER), list)
    assert flows.load_plan_orders(s, 10**9, actor=DISPATCHER) == []
    done, refused = relays.assign_relays(s, DAY, actor=DISPATCHER)
    assert isinstance(done, list) and isinstance(refused, list)
    run_id = runs.create_run(
        s, kind="technicians", day=DAY, region=None, seconds=1, actor=DISPATCHER
    )
    runs.cancel(s, run_id, actor=DISPATCHER)
    run = s.get_one(PlanRun, run_id)
    assert (run.requested_by, run.cancel_requested) == (DISPATCHER.username, True)
    planning.unpin(s, DAY, "T1", actor=DISPATCHER)
    assert _audited_as(s, DISPATCHER.username) >= 6


def test_store_staff_move_their_own_bags_only(demo_session: Session) -> None:
    s = demo_session
    sid = _store_with_bags(s)
    staff = principal("store staff", store_id=sid)
    bags = store_bags.bags_to_prepare(s, sid, DAY, actor=staff)
    assert bags
    assert (
        store_bags.mark_ready(
            s, bags[0].order_id, store_id=sid, actor=staff, at=AT
        ).target
        == "ready"
    )
    assert flows.transition(s, bags[0].order_id, "collected", actor=staff, at=AT)
    home = _order(s, "home", "new")
    with pytest.raises(AccessDenied, match="pick-up bags"):
        flows.transition(s, home, "out for delivery", actor=staff, at=AT)
    if len(bags) > 1:
        with pytest.raises(AccessDenied):  # a bag of their store, but not a store move
            flows.transition(s, bags[1].order_id, "returned to stock", actor=staff)
    other = s.scalar(
        select(Site.id).where(Site.kind == "store", Site.id != sid).order_by(Site.id)
    )
    assert other is not None
    with pytest.raises(AccessDenied):
        store_bags.bags_to_prepare(s, other, DAY, actor=staff)
    assert _audited_as(s, staff.username) >= 2
