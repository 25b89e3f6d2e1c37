"""Loaner pool services on both backends: lend, return, transfer, shortage, swaps.

The network used by most tests, hand-checkable (distances from Lyon Part-Dieu):

    DEP-LYON  depot  Lyon        45.76, 4.86   ~1 km from the customer
    STO-VIL   store  Villeurbanne 45.77, 4.88  ~2.5 km
    DEP-GRE   depot  Grenoble    45.19, 5.72   ~95 km
    WKS-001   workshop at Lyon (for the swap legs)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import (
    AuditLog,
    DeliveryOrder,
    Loan,
    Loaner,
    LoanerEvent,
    Site,
)
from loaner_pool import (
    LoanerChanged,
    LoanerStateError,
    NoLoanerAvailable,
    SwapError,
    allocate_waiting,
    arrive,
    lend,
    mark_ready,
    reserve,
    retire,
    return_loaner,
    swap_jobs_for,
    transfer,
)
from loaner_pool.queries import history, overdue, pool
from tests.builders import make_loan_customer, make_loaner, make_site, make_ticket

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

# --- builders (shared with test_race and test_cli) ----------------------------


@pytest.fixture
def net(session: Session) -> dict[str, Site]:
    sites = {
        "lyon": make_site(session, "DEP-LYON", 45.76, 4.86),
        "vil": make_site(session, "STO-VIL", 45.77, 4.88, kind="store"),
        "gre": make_site(session, "DEP-GRE", 45.19, 5.72),
        "wks": make_site(session, "WKS-001", 45.74, 4.84, kind="workshop"),
    }
    session.commit()
    return sites


def _count(s: Session, model: type, *where: object) -> int:
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# --- lend ---------------------------------------------------------------------


def test_lend_picks_the_nearest_site_with_a_compatible_loaner(session, net):
    """Lyon has only a capsule loaner, Villeurbanne a bean-to-cup, Grenoble two:
    a bean-to-cup ticket gets Villeurbanne's, the nearest compatible one."""
    make_loaner(session, net["lyon"], "capsule")
    near = make_loaner(session, net["vil"], "bean_to_cup")
    make_loaner(session, net["gre"], "bean_to_cup")
    make_loaner(session, net["gre"], "bean_to_cup")
    t = make_ticket(session, make_loan_customer(session))
    loan = lend(session, t.id, actor="ana", now=NOW)
    session.commit()
    assert loan.loaner_id == near.id
    assert loan.from_site_id == net["vil"].id
    assert loan.distance_km is not None and loan.distance_km < 5
    assert loan.due_on == date(2026, 12, 8)  # 14 days
    assert session.get(Loaner, near.id).state == "lent"


def test_lend_manual_espresso_falls_back_to_bean_to_cup(session, net):
    """A manual espresso owner may get a bean-to-cup loaner (policy table)."""
    b2c = make_loaner(session, net["lyon"], "bean_to_cup")
    t = make_ticket(session, make_loan_customer(session), "espresso_manual")
    assert lend(session, t.id, now=NOW).loaner_id == b2c.id


def test_lend_with_site_only_uses_that_site(session, net):
    """--site restricts the choice even when a nearer site has stock."""
    make_loaner(session, net["lyon"])
    far = make_loaner(session, net["gre"])
    t = make_ticket(session, make_loan_customer(session))
    assert lend(session, t.id, net["gre"].id, now=NOW).loaner_id == far.id


def test_lend_refuses_when_no_compatible_loaner(session, net):
    """Only capsule loaners and unavailable bean-to-cup ones: refused, reason says so."""
    make_loaner(session, net["lyon"], "capsule")
    make_loaner(session, net["lyon"], "bean_to_cup", state="cleaning")
    make_loaner(session, net["vil"], "bean_to_cup", state="retired")
    t = make_ticket(session, make_loan_customer(session))
    with pytest.raises(NoLoanerAvailable) as err:
        lend(session, t.id, now=NOW)
    assert err.value.reason == "no bean_to_cup loaner available within the network"
    assert f"ticket {t.id}" in str(err.value)
    assert _count(session, Loan) == 0


def test_lend_refuses_at_a_site_without_stock(session, net):
    """With --site, the reason names the site."""
    make_loaner(session, net["lyon"])
    t = make_ticket(session, make_loan_customer(session))
    with pytest.raises(NoLoanerAvailable, match=r"at site \d+ \(depot DEP-GRE\)"):
        lend(session, t.id, net["gre"].id, now=NOW)


def test_lend_refuses_a_closed_ticket(session, net):
    """A closed ticket needs no loaner."""
    make_loaner(session, net["lyon"])
    t = make_ticket(session, make_loan_customer(session), status="closed")
    with pytest.raises(NoLoanerAvailable, match="is closed: it needs no loaner"):
        lend(session, t.id, now=NOW)


def test_lend_refuses_a_second_loaner_for_the_same_ticket(session, net):
    """One open loan per ticket: the refusal names the loaner already out."""
    first = make_loaner(session, net["lyon"])
    make_loaner(session, net["lyon"])
    t = make_ticket(session, make_loan_customer(session))
    lend(session, t.id, now=NOW)
    with pytest.raises(NoLoanerAvailable) as err:
        lend(session, t.id, now=NOW)
    assert err.value.reason == f"ticket {t.id} already has loaner {first.code}"


def test_unique_index_violation_becomes_a_clean_refusal(session, net):
    """The partial unique index is the backstop: if the Python check is bypassed
    (a racing transaction), the IntegrityError is a NoLoanerAvailable and the
    caller's transaction is still usable."""
    a = make_loaner(session, net["lyon"], state="lent")
    b = make_loaner(session, net["lyon"])
    t = make_ticket(session, make_loan_customer(session))
    session.add(
        Loan(
            loaner_id=a.id,
            ticket_id=t.id,
            customer_id=t.customer_id,
            from_site_id=net["lyon"].id,
            lent_at=NOW,
            due_on=date(2026, 12, 8),
        )
    )
    session.flush()
    from loaner_pool import lending

    original = lending._refuse_if_lent
    lending._refuse_if_lent = lambda s, tid: None  # simulate the race window
    try:
        with pytest.raises(NoLoanerAvailable, match="given a loaner by someone else"):
            lend(session, t.id, now=NOW)
    finally:
        lending._refuse_if_lent = original
    assert session.get(Loaner, b.id).state == "available"  # savepoint rolled back
    session.commit()
    assert _count(session, Loan, Loan.returned_at.is_(None)) == 1


def test_lend_records_event_and_audit(session, net):
    """Lending leaves a LoanerEvent (available -> lent) and an audit row by the actor."""
    ln = make_loaner(session, net["lyon"])
    t = make_ticket(session, make_loan_customer(session))
    lend(session, t.id, actor="ana", now=NOW)
    session.commit()
    ev = session.scalars(
        select(LoanerEvent).where(LoanerEvent.loaner_id == ln.id)
    ).one()
    assert (ev.from_state, ev.to_state, ev.actor) == ("available", "lent", "ana")
    log = session.scalars(select(AuditLog).where(AuditLog.entity == "loaner")).one()
    assert (log.actor, log.action, log.change["to_state"]) == ("ana", "lend", "lent")


# --- return, cleaning, transfer, states -----------------------------------------


def test_return_cleaning_available_cycle(session, net):
    """lent -> (return at Villeurbanne) cleaning -> mark ready -> available, then
    lendable again; each step has its event and audit row."""
    ln = make_loaner(session, net["lyon"])
    t = make_ticket(session, make_loan_customer(session))
    lend(session, t.id, now=NOW)
    back = return_loaner(
        session, ln.id, site_id=net["vil"].id, actor="bob", now=NOW + timedelta(days=9)
    )
    assert back.returned_at == NOW + timedelta(days=9)
    assert back.returned_to_site_id == net["vil"].id
    assert session.get(Loaner, ln.id).state == "cleaning"
    with pytest.raises(NoLoanerAvailable):  # not lendable while being descaled
        lend(session, make_ticket(session, make_loan_customer(session)).id, now=NOW)
    ready = mark_ready(session, ln.id, actor="bob", now=NOW + timedelta(days=10))
    assert (ready.state, ready.site_id) == ("available", net["vil"].id)
    session.commit()
    h = history(session, ln.code)
    assert [e.to_state for e in h.events] == ["lent", "cleaning", "available"]
    assert len(h.loans) == 1 and h.loans[0].returned_at is not None
    assert _count(session, AuditLog, AuditLog.entity == "loaner") == 3


def test_return_without_open_loan_is_refused(session, net):
    """An available loaner cannot be returned."""
    ln = make_loaner(session, net["lyon"])
    with pytest.raises(LoanerStateError, match="no open loan"):
        return_loaner(session, ln.id, actor="bob")


def test_transfer_then_arrive(session, net):
    """available -> in transit (counted at the destination) -> available there."""
    ln = make_loaner(session, net["lyon"])
    moving = transfer(session, ln.id, net["gre"].id, actor="carl")
    assert (moving.state, moving.site_id) == ("in transit", net["gre"].id)
    counts = {(c.site_code, c.state): c.count for c in pool(session)}
    assert counts == {("DEP-GRE", "in transit"): 1}
    assert arrive(session, ln.id, actor="carl").state == "available"
    session.commit()
    assert [e.to_state for e in history(session, ln.id).events] == [
        "in transit",
        "available",
    ]
    actions = session.scalars(
        select(AuditLog.action)
        .where(AuditLog.entity_id == str(ln.id))
        .order_by(AuditLog.id)
    ).all()
    assert actions == ["transfer", "arrive"]


def test_transfer_of_a_lent_loaner_is_refused(session, net):
    """State table: a lent loaner cannot travel between sites."""
    ln = make_loaner(session, net["lyon"])
    lend(session, make_ticket(session, make_loan_customer(session)).id, now=NOW)
    with pytest.raises(LoanerStateError, match=r"is 'lent': cannot transfer"):
        transfer(session, ln.id, net["gre"].id, actor="carl")


def test_reserved_and_retired_loaners_are_not_lent(session, net):
    """reserve / retire take loaners out of the lendable stock; a retired one is final."""
    a, b = make_loaner(session, net["lyon"]), make_loaner(session, net["lyon"])
    reserve(session, a.id, actor="ana", why="promised by phone")
    retire(session, b.id, actor="ana", why="worn out")
    with pytest.raises(NoLoanerAvailable):
        lend(session, make_ticket(session, make_loan_customer(session)).id, now=NOW)
    with pytest.raises(LoanerStateError, match="'retired': cannot mark ready"):
        mark_ready(session, b.id, actor="ana")


def test_stale_edit_is_reported_as_changed_by_someone_else(db_url, net):
    """Two sessions read the same loaner; the second writer gets LoanerChanged."""
    from sqlalchemy.orm import sessionmaker

    from data.db import make_engine

    eng = make_engine(db_url)
    make = sessionmaker(bind=eng, expire_on_commit=False)
    with make.begin() as s:
        loaner_id = make_loaner(s, s.get_one(Site, net["lyon"].id)).id
    with make() as first, make() as second:
        a = first.get_one(Loaner, loaner_id)
        b = second.get_one(Loaner, loaner_id)
        first.commit()
        second.commit()  # both read version 1, transactions ended
        a.state = "reserved"
        first.commit()
        b.condition = "fair"
        from loaner_pool.service import _optimistic

        with (
            pytest.raises(LoanerChanged, match="changed by someone else"),
            _optimistic(b),
        ):
            second.flush()
    eng.dispose()


# --- queries ------------------------------------------------------------------


def test_overdue_lists_contact_and_days(session, net):
    """A loan due 2026-11-20 is 4 days overdue on the 24th, with phone and email;
    a loan due on the 24th is not overdue yet."""
    late_c = make_loan_customer(session, name="Léa Martin")
    ln1, ln2 = make_loaner(session, net["lyon"]), make_loaner(session, net["lyon"])
    t1 = make_ticket(session, late_c)
    t2 = make_ticket(session, make_loan_customer(session))
    lend(session, t1.id, now=NOW, due_on=date(2026, 11, 20))
    lend(session, t2.id, now=NOW, due_on=date(2026, 11, 24))
    session.commit()
    rows = overdue(session, date(2026, 11, 24))
    assert len(rows) == 1
    r = rows[0]
    assert (r.customer, r.phone, r.email) == ("Léa Martin", late_c.phone, late_c.email)
    assert (r.loaner_code, r.ticket_id, r.days_overdue) == (ln1.code, t1.id, 4)
    assert ln2.code not in {x.loaner_code for x in rows}


def test_pool_counts_by_site_family_state(session, net):
    """Counts group by site, family and state; site_id filters."""
    make_loaner(session, net["lyon"])
    make_loaner(session, net["lyon"])
    make_loaner(session, net["lyon"], "capsule", state="cleaning")
    make_loaner(session, net["gre"])
    rows = pool(session, net["lyon"].id)
    assert {(r.model_family, r.state): r.count for r in rows} == {
        ("bean_to_cup", "available"): 2,
        ("capsule", "cleaning"): 1,
    }


# --- shortage -------------------------------------------------------------------


def test_shortage_serves_higher_tier_first_and_says_why(session, net):
    """Two loaners, three waiting tickets: the Gold and Silver customers win over a
    Member who has waited longer, and the refusal explains it."""
    make_loaner(session, net["lyon"])
    make_loaner(session, net["vil"])
    member = make_ticket(
        session, make_loan_customer(session), opened_at=NOW - timedelta(days=6)
    )
    gold = make_ticket(
        session,
        make_loan_customer(session, tier="Gold"),
        opened_at=NOW - timedelta(days=1),
    )
    silver = make_ticket(
        session,
        make_loan_customer(session, tier="Silver"),
        opened_at=NOW - timedelta(days=2),
    )
    make_ticket(session, make_loan_customer(session), status="closed")  # not waiting
    res = allocate_waiting(session, family="bean_to_cup", now=NOW, actor="ana")
    session.commit()
    assert [g.ticket_id for g in res.granted] == [gold.id, silver.id]
    assert [tid for tid, _ in res.refused] == [member.id]
    reason = res.refused[0][1]
    assert "Silver member waiting 2 days" in reason
    assert "Member waiting 6 days" in reason and "higher loyalty tier first" in reason
    assert "3 request(s) for 2 loaner(s)" in res.explanation
    assert _count(session, Loan, Loan.returned_at.is_(None)) == 2


def test_shortage_same_tier_longer_wait_wins(session, net):
    """Same tier: the one waiting longer gets the only loaner."""
    make_loaner(session, net["lyon"])
    recent = make_ticket(
        session,
        make_loan_customer(session, tier="Gold"),
        opened_at=NOW - timedelta(hours=5),
    )
    older = make_ticket(
        session,
        make_loan_customer(session, tier="Gold"),
        opened_at=NOW - timedelta(days=3),
    )
    res = allocate_waiting(session, family="bean_to_cup", now=NOW)
    assert [g.ticket_id for g in res.granted] == [older.id]
    assert res.refused[0][0] == recent.id and "longer wait first" in res.refused[0][1]


# --- swap visits ------------------------------------------------------------------


def test_swap_legs_created_once(session, net):
    """Outbound swap: loaner out + repair pick-up, same customer, day, ticket;
    the second call returns the same ids. Later the reverse swap."""
    ln = make_loaner(session, net["lyon"])
    t = make_ticket(session, make_loan_customer(session))
    lend(session, t.id, now=NOW)
    day = date(2026, 11, 25)
    ids = swap_jobs_for(session, t.id, day)
    assert swap_jobs_for(session, t.id, day) == ids
    session.commit()
    orders = [session.get_one(DeliveryOrder, i) for i in ids]
    assert [o.kind for o in orders] == ["loaner out", "repair pick-up"]
    assert {(o.customer_id, o.ticket_id, o.promised_on) for o in orders} == {
        (t.customer_id, t.id, day)
    }
    assert orders[0].depot_id == net["lyon"].id and ln.code in orders[0].items
    assert orders[1].destination_site_id == net["wks"].id
    t.status = "repaired"
    session.commit()
    back = swap_jobs_for(session, t.id, date(2026, 12, 3))
    assert [session.get_one(DeliveryOrder, i).kind for i in back] == [
        "repair return",
        "loaner back",
    ]
    assert session.get_one(DeliveryOrder, back[1]).destination_site_id == net["lyon"].id
    assert _count(session, DeliveryOrder, DeliveryOrder.ticket_id == t.id) == 4


def test_swap_needs_a_lent_loaner(session, net):
    """No loaner lent yet: the outbound swap is refused with the reason."""
    t = make_ticket(session, make_loan_customer(session))
    with pytest.raises(SwapError, match="no loaner lent yet"):
        swap_jobs_for(session, t.id, date(2026, 11, 25))
