"""Loaner stock ahead of time on the small demo (both backends): a burst of workshop
tickets at one store is a shortage with a transfer the next courier plan carries, and
a depot whose loans are all due tomorrow recovers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.db import sessions, write_session
from data.gazetteer import distance_km
from data.models import AuditLog, Loan, Loaner, RepairTicket, Site, TransferProposal
from dispatch.access.roles import AccessDenied
from dispatch.cli.main import main
from dispatch.planning.couriers import courier_day
from dispatch.planning.publish import publish
from dispatch.stock import proposals as props
from dispatch.stock.service import forecast_stock, to_json
from dispatch.stock.snapshot import snapshot
from tests.builders import (
    dispatcher,
    make_loan_customer,
    make_ticket,
    paris,
    plan_inline,
)
from tests.conftest import DEMO_DAY

DAY = date.fromisoformat(DEMO_DAY)  # Tuesday: the demo's courier day
TODAY = DAY - timedelta(days=1)  # the forecast is made on Monday
NOW = paris(2026, 11, 23, 15)


@dataclass(frozen=True)
class User:
    username: str = "dispatch"
    role: str = "dispatcher"
    store_id: int | None = None


def _calm(s: Session) -> None:
    """A calm network: the demo's own open tickets are served already."""
    s.execute(
        update(RepairTicket)
        .where(RepairTicket.status.not_in(("closed", "resolved", "cancelled")))
        .values(loaner_needed=False)
    )


def _burst(s: Session, n: int = 6) -> Site:
    """``n`` workshop tickets needing a bean-to-cup loaner on Wednesday, at customers
    next to a store holding three bean-to-cup loaners; its depot holds spares."""
    store = s.scalars(
        select(Site).where(Site.kind == "store").order_by(Site.code)
    ).first()
    holders = s.scalars(select(Site).where(Site.kind.in_(("store", "depot")))).all()
    _calm(s)
    for ln in s.scalars(select(Loaner).where(Loaner.site_id == store.id)):
        ln.state = "retired"
    for k in range(3):
        s.add(
            Loaner(
                code=f"LN-BURST{k}",
                model="Maestro B2C 5",
                model_family="bean_to_cup",
                state="available",
                site_id=store.id,
            )
        )
    depot = min(
        (h for h in holders if h.kind == "depot"),
        key=lambda d: distance_km(store.lat, store.lon, d.lat, d.lon),
    )
    for k in range(8):  # the depot has spares to give
        s.add(
            Loaner(
                code=f"LN-SPARE{k}",
                model="Maestro B2C 5",
                model_family="bean_to_cup",
                state="available",
                site_id=depot.id,
            )
        )
    for _ in range(n):
        c = make_loan_customer(s, lat=store.lat + 0.001, lon=store.lon + 0.001)
        t = make_ticket(s, c, "bean_to_cup", opened_at=paris(2026, 11, 23, 9))
        t.visit_on = DAY + timedelta(days=1)
    s.flush()
    return store


def test_burst_at_a_store_predicts_the_day_and_the_next_courier_plan_carries_the_transfer(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = User()
    with write_session(demo_url) as s:
        store = _burst(s)
        store_id, code = store.id, store.code
        fc = forecast_stock(s, user, today=TODAY)
        mine = next(x for x in fc.sites if x.site.site_id == store_id)
        first = mine.first_shortage
        assert first is not None and first.day == DAY + timedelta(days=1)
        assert first.shortage >= 5
        to_store = [t for t in fc.transfers if t.to_site.site_id == store_id]
        assert to_store and all(t.day == DAY for t in to_store)
        bean = sum(t.count for t in to_store if t.family == "bean_to_cup")
        assert bean >= 3 and bean > sum(t.count for t in to_store) / 2
        saved = props.save_proposals(s, user, fc.transfers, today=TODAY)
        mine_ids = [p.id for p in saved if p.to_site_id == store_id]
    with write_session(demo_url) as s:
        for pid in mine_ids:
            assert props.decide(s, user, pid, accept=True, now=NOW).status == "accepted"
        with pytest.raises(props.ProposalRefused, match="only a proposed transfer"):
            props.decide(
                s, user, mine_ids[0], accept=False, why="changed my mind", now=NOW
            )
    with sessions(demo_url)() as s:
        dp = courier_day(s, DAY)
        legs = {j.id: j for j in dp.problem.jobs if j.id[0] in "XY"}
        for pid in mine_ids:
            assert legs[f"Y{pid}"].pickup_of == f"X{pid}"
    view = plan_inline(demo_url, monkeypatch, "couriers", DAY)
    assert view.stats["violations"] == 0
    where = {st.job_ref: (r.vehicle_ref, st.seq) for r in view.routes for st in r.stops}
    for pid in mine_ids:
        assert f"X{pid}" in where and f"Y{pid}" in where
        assert where[f"X{pid}"][0] == where[f"Y{pid}"][0]
        assert where[f"X{pid}"][1] < where[f"Y{pid}"][1]
    with write_session(demo_url) as s:
        publish(s, view.id, actor=dispatcher("dispatch"))
    with sessions(demo_url)() as s:
        carried = s.scalars(
            select(TransferProposal).where(TransferProposal.id.in_(mine_ids))
        ).all()
        assert {p.status for p in carried} == {"carried"} and {
            p.plan_id for p in carried
        } == {view.id}
        inbound = s.scalars(
            select(Loaner).where(
                Loaner.site_id == store_id, Loaner.state == "in transit"
            )
        ).all()
        assert len(inbound) == sum(p.count for p in carried)
        actions = set(
            s.scalars(
                select(AuditLog.action).where(AuditLog.entity == "transfer_proposal")
            )
        )
        assert {"propose", "accept", "carry"} <= actions
    assert code


def test_depot_with_every_loan_due_tomorrow_recovers_the_day_after(
    demo_session: Session,
) -> None:
    s = demo_session
    _calm(s)
    depot = s.scalars(select(Site).where(Site.kind == "depot")).first()
    tomorrow = TODAY + timedelta(days=1)
    mine = s.scalars(
        select(Loaner).where(Loaner.site_id == depot.id, Loaner.state != "retired")
    ).all()
    s.execute(
        update(Loan)
        .where(Loan.returned_at.is_(None))
        .values(due_on=TODAY + timedelta(days=20))
    )
    for k, ln in enumerate(mine):
        if ln.state == "lent":  # already out: due tomorrow as well, back to this depot
            s.execute(
                update(Loan)
                .where(Loan.loaner_id == ln.id, Loan.returned_at.is_(None))
                .values(due_on=tomorrow, from_site_id=depot.id)
            )
            continue
        t = make_ticket(
            s,
            make_loan_customer(s),
            "capsule",
            status="at workshop",
            opened_at=paris(2026, 11, 10, 9),
        )
        ln.state = "lent"
        s.add(
            Loan(
                loaner_id=ln.id,
                ticket_id=t.id,
                customer_id=t.customer_id,
                from_site_id=depot.id,
                lent_at=paris(2026, 11, 9, 10),
                due_on=tomorrow,
            )
        )
        assert k >= 0
    s.flush()
    fc = forecast_stock(s, User(), site=depot.code, today=TODAY)
    (f,) = fc.sites
    assert f.now == 0
    clean = snapshot(s, TODAY).learned.cleaning_days
    back = f.days[clean]  # due tomorrow, then cleaned
    assert back.back >= len(mine) - 0.5
    assert back.expected >= len(mine) - back.out - 0.5
    assert all(d.expected <= 0.5 for d in f.days[:clean])
    assert f.days[-1].high >= f.days[-1].expected >= f.days[-1].low


def test_store_staff_see_their_store_only_and_cannot_decide(
    demo_session: Session,
) -> None:
    store = demo_session.scalars(select(Site).where(Site.kind == "store")).first()
    staff = User("store1", "store staff", store.id)
    fc = forecast_stock(demo_session, staff, today=TODAY)
    assert [x.site.site_id for x in fc.sites] == [store.id]
    other = demo_session.scalars(select(Site).where(Site.kind == "depot")).first()
    with pytest.raises(AccessDenied):
        forecast_stock(demo_session, staff, site=other.code, today=TODAY)
    with pytest.raises(AccessDenied):
        props.save_proposals(demo_session, staff, (), today=TODAY)


def test_cli_forecast_json_contract(
    demo_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    out = tmp_path / "fc.json"
    assert (
        main(
            [
                "loaner",
                "forecast",
                "--date",
                TODAY.isoformat(),
                "--days",
                "5",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {"made_at", "sites", "transfers"}
    assert data["sites"] and all(len(x["days"]) == 5 for x in data["sites"])
    assert set(data["sites"][0]["days"][0]) == {
        "day",
        "expected",
        "low",
        "high",
        "safety",
        "shortage",
    }
    for t in data["transfers"]:
        assert set(t) == {"from", "to", "family", "count", "day"}
    assert main(["loaner", "forecast", "--site", "NOPE"]) == 2
    assert "'NOPE' is not a store or depot" in capsys.readouterr().err
    assert main(["loaner", "forecast", "--days", "0"]) == 2
    with write_session(demo_url) as s:
        store = _burst(s)
    assert main(["loaner", "forecast", "--date", TODAY.isoformat(), "--propose"]) == 0
    with sessions(demo_url)() as s:
        pid = s.scalars(
            select(TransferProposal.id).where(TransferProposal.to_site_id == store.id)
        ).first()
        assert to_json(forecast_stock(s, User(), today=TODAY))["transfers"]
    assert main(["loaner", "refuse", str(pid), "--why", "van full"]) == 0
    assert main(["loaner", "accept", str(pid)]) == 2
    assert "is refused" in capsys.readouterr().err
    with sessions(demo_url)() as s:
        assert s.get(TransferProposal, pid).why == "van full"
    assert RepairTicket
