"""Database rows for tests: customers, machines, tickets, purchases, swap legs.

One place for test setup, so test modules never import each other.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.models import (
    Customer,
    CustomerMachine,
    DeliveryOrder,
    Loaner,
    LoyaltyAccount,
    Plan,
    PlanRoute,
    PlanStop,
    PurchaseOrder,
    RepairTicket,
    Site,
    Technician,
)
from repairs import (
    open_ticket,
)
from tests.conftest import DEMO_DAY

if TYPE_CHECKING:
    from dispatch.planning.builder import Variant
    from dispatch.planning.plans import PlanView
    from dispatch.views.board import JobRow

_seq = count(1)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def make_customer(
    s: Session,
    tier: str | None = None,
    family: str = "bean_to_cup",
    region: str = "Auvergne-Rhône-Alpes",
    name: str | None = None,
) -> tuple[Customer, CustomerMachine]:
    """A customer with one machine of ``family`` and, if ``tier``, a loyalty account."""
    n = next(_seq)
    c = Customer(
        ref=f"C{n}",
        name=name or f"Client {n}",
        phone=f"+3360000{n:04d}",
        email=f"c{n}@example.fr",
        postcode="69003",
        town="Lyon",
        region=region,
        lat=45.76,
        lon=4.85,
    )
    s.add(c)
    s.flush()
    m = CustomerMachine(
        customer_id=c.id,
        model="Barista One",
        model_family=family,
        serial=f"SN-R{n:05d}",
        purchased_on=date(2024, 1, 1),
        warranty_end=date(2027, 1, 1),
    )
    s.add(m)
    if tier:
        s.add(LoyaltyAccount(customer_id=c.id, enrolled_on=date(2024, 1, 1), tier=tier))
    s.flush()
    return c, m


def open_for(
    s: Session,
    tier: str | None,
    opened_at: datetime,
    *,
    fault: str = "pump",
    family: str = "bean_to_cup",
    severity: str = "normal",
) -> RepairTicket:
    c, m = make_customer(s, tier, family)
    v = open_ticket(
        s,
        c.id,
        fault,
        severity,
        machine_id=m.id,
        description="test",
        actor="ana",
        opened_at=opened_at,
    )
    return s.get_one(RepairTicket, v.id)


CLUB_DAY = date(2026, 11, 24)


def add_customer(
    s: Session,
    ref: str,
    *,
    phone: str | None = "+33612345678",
    email: str | None = None,
    enrolled_on: date | None = date(2024, 1, 1),
    tier: str = "Member",
    points_redeemed: int = 0,
    tier_computed_on: date | None = None,
    purchases: tuple[tuple[date, str, str], ...] = (),
) -> Customer:
    """A customer in Lyon with ``purchases`` as (day, amount, channel), and a
    loyalty account unless ``enrolled_on`` is None."""
    c = Customer(
        ref=ref,
        name=f"Client {ref}",
        phone=phone,
        email=email,
        postcode="69003",
        town="Lyon",
        region="Auvergne-Rhône-Alpes",
        lat=45.76,
        lon=4.85,
    )
    s.add(c)
    s.flush()
    if enrolled_on is not None:
        s.add(
            LoyaltyAccount(
                customer_id=c.id,
                enrolled_on=enrolled_on,
                tier=tier,
                points_redeemed=points_redeemed,
                tier_computed_on=tier_computed_on,
            )
        )
    for on, amount, channel in purchases:
        s.add(
            PurchaseOrder(
                customer_id=c.id, ordered_on=on, amount=Decimal(amount), channel=channel
            )
        )
    s.flush()
    return c


def online_orders(
    n: int, last_amount: str, *, first: date = date(2026, 1, 5)
) -> tuple[tuple[date, str, str], ...]:
    """``n`` online orders a week apart, 20 € each except the last."""
    return tuple(
        (first + timedelta(weeks=i), last_amount if i == n - 1 else "20.00", "online")
        for i in range(n)
    )


def expiring_members(session):
    """Four members and a non-member, points expiring on various days."""
    add_customer(
        session,
        "A",
        phone="+33600000001",
        email="a@example.fr",
        purchases=(
            (date(2025, 12, 10), "100.00", "store"),
            (date(2026, 6, 1), "80.00", "online"),
        ),
    )
    add_customer(
        session,
        "B",
        phone="+33600000002",
        purchases=((date(2025, 11, 30), "50.00", "online"),),
    )
    add_customer(
        session,
        "C",
        phone="+33600000003",  # expires 2026-12-24: the last day in
        purchases=((date(2025, 12, 24), "70.00", "store"),),
    )
    add_customer(
        session,
        "D",
        phone="+33600000004",  # expires 2026-12-25: one day out
        purchases=((date(2025, 12, 25), "90.00", "store"),),
    )
    add_customer(
        session,
        "E",
        phone="+33600000005",  # already expired on 2026-11-24
        purchases=((date(2025, 11, 24), "60.00", "store"),),
    )
    add_customer(
        session,
        "N",
        phone="+33600000006",
        enrolled_on=None,  # not a member
        purchases=((date(2025, 12, 1), "200.00", "store"),),
    )


DEMO_DATE = date.fromisoformat(DEMO_DAY)


def add_swap(
    session: Session, customer: Customer | None = None
) -> tuple[DeliveryOrder, DeliveryOrder]:
    """A swap visit as loaner_pool.swap creates it: loaner out (from a store) + repair pick-up (to the workshop)."""
    customer = (
        customer or session.scalars(select(Customer).order_by(Customer.id)).first()
    )
    assert customer is not None
    store = session.scalars(
        select(Site).where(Site.kind == "store").order_by(Site.id)
    ).first()
    workshop = session.scalars(select(Site).where(Site.kind == "workshop")).first()
    assert store is not None and workshop is not None
    ws, we = (
        datetime.combine(DEMO_DATE, time(13), tzinfo=PARIS),
        datetime.combine(DEMO_DATE, time(17), tzinfo=PARIS),
    )
    legs = []
    for kind, src, dst in (
        ("loaner out", store.id, None),
        ("repair pick-up", store.id, workshop.id),
    ):
        o = DeliveryOrder(
            ref=f"RT{customer.id}-{kind[:4]}",
            customer_id=customer.id,
            kind=kind,
            mode="home",
            items=kind,
            parcels=1,
            depot_id=src,
            destination_site_id=dst,
            promised_on=DEMO_DATE,
            window_start=ws,
            window_end=we,
            status="new",
            created_at=datetime(2026, 11, 22, tzinfo=UTC),
        )
        session.add(o)
        legs.append(o)
    session.flush()
    return legs[0], legs[1]


# --- the loaner pool's hand-checkable network ------------------------------------

_loan_seq = count(1)
LOAN_NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


_seq = count(1)


def make_site(
    s: Session, code: str, lat: float, lon: float, kind: str = "depot"
) -> Site:
    site = Site(
        code=code,
        kind=kind,
        name=f"{kind} {code}",
        postcode="69000",
        town=code,
        region="Auvergne-Rhône-Alpes",
        lat=lat,
        lon=lon,
    )
    s.add(site)
    s.flush()
    return site


def make_loan_customer(
    s: Session,
    *,
    tier: str | None = None,
    lat: float = 45.76,
    lon: float = 4.85,
    name: str | None = None,
) -> Customer:
    n = next(_loan_seq)
    c = Customer(
        ref=f"C{n}",
        name=name or f"Client {n}",
        phone=f"+3361234{n:04d}",
        email=f"client{n}@example.fr",
        postcode="69003",
        town="Lyon",
        region="Auvergne-Rhône-Alpes",
        lat=lat,
        lon=lon,
    )
    s.add(c)
    s.flush()
    if tier:
        s.add(LoyaltyAccount(customer_id=c.id, enrolled_on=date(2024, 1, 1), tier=tier))
    return c


def make_ticket(
    s: Session,
    customer: Customer,
    family: str = "bean_to_cup",
    *,
    status: str = "awaiting pickup",
    opened_at: datetime = LOAN_NOW,
    loaner_needed: bool = True,
) -> RepairTicket:
    n = next(_loan_seq)
    m = CustomerMachine(
        customer_id=customer.id,
        model="Barista One",
        model_family=family,
        serial=f"SN{n:06d}",
        purchased_on=date(2024, 1, 1),
        warranty_end=date(2027, 1, 1),
    )
    s.add(m)
    s.flush()
    t = RepairTicket(
        ref=f"R{n}",
        customer_id=customer.id,
        machine_id=m.id,
        fault="pump",
        severity="high",
        resolution_path="workshop",
        required_skill="espresso_unit",
        duration_min=60,
        same_day_fix=False,
        opened_at=opened_at,
        status=status,
        loaner_needed=loaner_needed,
    )
    s.add(t)
    s.flush()
    return t


def make_loaner(
    s: Session, site: Site, family: str = "bean_to_cup", state: str = "available"
) -> Loaner:
    n = next(_loan_seq)
    ln = Loaner(
        code=f"LN-{n:04d}",
        model="Loaner B2C",
        model_family=family,
        state=state,
        site_id=site.id,
    )
    s.add(ln)
    s.flush()
    return ln


# --- club: contact preferences, bags waiting, notices -------------------------


def add_contact(
    s: Session,
    ref: str,
    *,
    name: str | None = None,
    email: str | None = None,
    mobile: str | None = None,
    preferred: str = "email",
    language: str = "fr",
    club: bool = True,
    member: bool = True,
) -> Customer:
    """A customer with contact preferences (and a loyalty account if ``member``)."""
    from data.models import ContactPreference

    c = add_customer(
        s,
        ref,
        phone=mobile,
        email=email,
        enrolled_on=date(2024, 1, 1) if member else None,
    )
    if name:
        c.name = name
    s.add(
        ContactPreference(
            customer_id=c.id,
            mobile=mobile,
            preferred_channel=preferred,
            language=language,
            club_consent=club,
            unsubscribe_token=f"tok-{ref}",
            quiet_from=21 * 60,
            quiet_until=7 * 60,
            updated_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    )
    s.flush()
    return c


def add_ready_bag(
    s: Session, customer: Customer, store: Site, *, ref: str, holding_until: date
) -> DeliveryOrder:
    """A store pick-up bag ready for ``customer`` at ``store``."""
    o = DeliveryOrder(
        ref=ref,
        customer_id=customer.id,
        mode="store pick-up",
        destination_site_id=store.id,
        promised_on=holding_until - timedelta(days=10),
        status="ready",
        ready_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
        holding_until=holding_until,
    )
    s.add(o)
    s.flush()
    return o


def rennes_member(
    s: Session,
    ref: str,
    name: str,
    lat: float,
    lon: float,
    tier: str,
    enrolled_on: date = date(2025, 1, 1),
) -> Customer:
    """A customer in Rennes (Bretagne, the scarce days' region), a club member of ``tier``."""
    c = Customer(
        ref=ref,
        name=name,
        postcode="35000",
        town="Rennes",
        region="Bretagne",
        lat=lat,
        lon=lon,
    )
    s.add(c)
    s.flush()
    s.add(LoyaltyAccount(customer_id=c.id, enrolled_on=enrolled_on, tier=tier))
    return c


def scarce_day(
    s: Session, day: date, *, techs: int = 2, tickets: int = 24, seed: int = 0
) -> list[int]:
    """A short-handed day around Rennes: few technicians, many visits of every priority class.

    Tiers, severities, SLA due times, durations, skills and some customer windows
    vary with ``seed``; returns the ticket ids. Nothing else is in the database.
    """
    import random

    from data.models import Technician

    rng = random.Random(seed)
    skills = ["espresso_unit", "milk_system", "grinder"]
    for k in range(techs):
        s.add(
            Technician(
                code=f"SC{seed}-{k}",
                name=f"Scarce {k + 1}",
                region="Bretagne",
                home_lat=48.11 + 0.02 * k,
                home_lon=-1.68 - 0.02 * k,
                skills=skills[: 2 + k % 2],
                days_off=[],
            )
        )
    opened = datetime.combine(day - timedelta(days=3), time(9), tzinfo=PARIS)
    tiers = ["Member", "Silver", "Gold", "Platinum"]
    severities = ["low", "normal", "high", "critical"]
    ids = []
    for i in range(tickets):
        c = rennes_member(
            s,
            f"SC{seed}C{i}",
            f"Client {i}",
            48.11 + rng.uniform(-0.08, 0.08),
            -1.68 + rng.uniform(-0.12, 0.12),
            rng.choice(tiers),
        )
        win = None
        if i % 4 == 0:
            h = rng.choice([8, 10, 13, 15])
            win = (
                datetime.combine(day, time(h), tzinfo=PARIS),
                datetime.combine(day, time(h + 2), tzinfo=PARIS),
            )
        t = RepairTicket(
            ref=f"R{900000 + seed * 1000 + i}",
            customer_id=c.id,
            fault="leak",
            severity=rng.choice(severities),
            resolution_path="onsite",
            required_skill=rng.choice(skills),
            duration_min=rng.choice([45, 60, 90, 120]),
            status="triaged",
            visit_on=day,
            opened_at=opened - timedelta(days=rng.randint(0, 6)),
            sla_due_at=opened + timedelta(hours=rng.choice([20, 60, 80, 120])),
            window_start=win[0] if win else None,
            window_end=win[1] if win else None,
        )
        s.add(t)
        s.flush()
        ids.append(t.id)
    s.commit()
    return ids


# --- a published technician round (the field's tests) ------------------------------


def publish_round(
    s: Session,
    day: date,
    rounds: dict[int, list[int]],
    *,
    first: time = time(9),
    every_min: int = 60,
    region: str | None = None,
) -> int:
    """A published technician plan of ``day``: technician id -> ticket ids in order,
    one stop every ``every_min`` minutes from ``first``. Returns the plan id."""
    from dispatch.planning.publish import publish

    plan = Plan(
        kind="technicians",
        plan_date=day,
        region=region,
        status="draft",
        created_by="test",
    )
    s.add(plan)
    s.flush()
    for tech_id, tickets in rounds.items():
        route = PlanRoute(plan_id=plan.id, technician_id=tech_id)
        s.add(route)
        s.flush()
        for seq, tid in enumerate(tickets, 1):
            t = s.get_one(RepairTicket, tid)
            c = s.get_one(Customer, t.customer_id)
            at = datetime.combine(day, first, tzinfo=PARIS) + timedelta(
                minutes=every_min * (seq - 1)
            )
            s.add(
                PlanStop(
                    route_id=route.id,
                    seq=seq,
                    job_ref=f"T{tid}",
                    ticket_id=tid,
                    arrival_at=at,
                    start_at=at,
                    departure_at=at + timedelta(minutes=t.duration_min),
                    lat=c.lat,
                    lon=c.lon,
                    label=c.name,
                )
            )
    s.flush()
    publish(s, plan.id, actor=dispatcher())
    return plan.id


def day_tickets(s: Session, day: date, n: int) -> list[int]:
    """The first ``n`` on-site tickets wanted on ``day`` (the demo's)."""
    return list(
        s.scalars(
            select(RepairTicket.id)
            .where(
                RepairTicket.visit_on == day,
                RepairTicket.resolution_path == "onsite",
                RepairTicket.status == "triaged",
            )
            .order_by(RepairTicket.id)
            .limit(n)
        )
    )


class Actor:
    """A ``Principal`` for service tests: ``Actor("agent")``, ``Actor("store staff", 3)``."""

    def __init__(self, role: str, store_id: int | None = None, name: str = "") -> None:
        self.role = role
        self.store_id = store_id
        self.username = name or role.replace(" ", "_")


def dispatcher(name: str = "test") -> Actor:
    """A dispatcher named ``name`` (what the audit log records), for the checked services."""
    return Actor("dispatcher", name=name)


def make_technician(
    s: Session,
    *,
    code: str = "TECH-X",
    region: str = "Auvergne-Rhône-Alpes",
    skills: tuple[str, ...] = ("espresso_unit",),
    shift: tuple[time, time] = (time(8, 0), time(17, 30)),
    break_minutes: int = 45,
) -> Technician:
    """A technician living in Lyon, working every day."""
    t = Technician(
        code=code,
        name=f"Tech {code}",
        region=region,
        home_lat=45.75,
        home_lon=4.84,
        skills=list(skills),
        shift_start=shift[0],
        shift_end=shift[1],
        break_minutes=break_minutes,
        days_off=[],
    )
    s.add(t)
    s.flush()
    return t


def make_user(
    s: Session,
    username: str,
    password: str = "correct horse battery",
    role: str = "dispatcher",
    store_id: int | None = None,
) -> int:
    """An active, non-demo user with ``password``; returns its id (flushed)."""
    from data.models import User
    from dispatch.access.auth import hash_password

    user = User(
        username=username,
        display_name=username.title(),
        password_hash=hash_password(password),
        role=role,
        store_id=store_id,
        active=True,
        failed_logins=0,
    )
    s.add(user)
    s.flush()
    return user.id


def job_row(ref: str = "T1", **changes: Any) -> JobRow:
    """A row of the board's jobs table: a Member's pump leak in Lyon, with ``changes``."""
    from dispatch.views.board import JobRow

    row = JobRow(
        ref=ref,
        ticket_id=1,
        customer="Léa Roy",
        address="1 rue X",
        town="Lyon",
        region="Auvergne-Rhône-Alpes",
        lat=45.7,
        lon=4.8,
        label="pump · high",
        skill="espresso_unit",
        duration_min=45,
        window="",
        sla_due="",
        sla_status="later",
        tier="Member",
        severity="high",
        score=10,
        explanation="",
        pinned_to="",
    )
    return replace(row, **changes)


def plan_inline(
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    day: date,
    *,
    region: str | None = None,
    seconds: float = 2.0,
    variant: Variant | None = None,
    depot_id: int | None = None,
) -> PlanView:
    """Plan ``day`` on ``url`` as ``tournee plan`` does (a recorded run in this process,
    acting as "test"); the saved plan."""
    from data.db import sessions
    from dispatch.planning import plans as planning
    from dispatch.planning import runs

    monkeypatch.setenv("DATABASE_URL", url)
    plan_id = runs.run_inline(
        kind=kind,
        day=day,
        region=region,
        seconds=seconds,
        actor=dispatcher(),
        variant=variant,
        depot_id=depot_id,
    )
    assert plan_id is not None
    with sessions(url)() as s:
        return planning.load_plan(s, plan_id)


def publish_solved_day(s: Session, day: date, seconds: float = 2.0) -> int:
    """Plan ``day`` with the engine (whole country), save and publish it; the plan id."""
    from dispatch.planning import plans as planning

    dp = planning.build_day(s, "technicians", day)
    sol = planning.solve_day(dp, seconds)
    plan_id = planning.save_plan(s, dp, sol, actor="test")
    planning.publish(s, plan_id, actor=dispatcher())
    s.flush()
    return plan_id


def report_as_planned(s: Session, plan_id: int, at: datetime) -> int:
    """Field reports of a day that went as planned until ``at``: visits over by then are
    done, the one under way is on site, the one driven to is on the way. Returns the
    number of visits reported."""
    from dataclasses import dataclass

    from dispatch.field.status import set_status
    from dispatch.planning.saved import load_plan

    @dataclass(frozen=True)
    class _Dispatcher:
        username: str = "dispatch"
        role: str = "dispatcher"
        store_id: int | None = None

    who, n = _Dispatcher(), 0
    for r in load_plan(s, plan_id).routes:
        left = r.start_at  # when the technician left the previous place
        for st in r.stops:
            if st.ticket_id is None:
                continue
            if st.arrival_at > at:
                if left is not None and left <= at:
                    set_status(s, who, st.ticket_id, "on_my_way", at=left)
                    n += 1
                break
            set_status(s, who, st.ticket_id, "arrived", at=st.arrival_at)
            if st.departure_at <= at:
                set_status(s, who, st.ticket_id, "done", at=st.departure_at)
            left = st.departure_at
            n += 1
    return n


def principal(role: str = "dispatcher", store_id: int | None = None):  # type: ignore[no-untyped-def]
    """Someone acting with ``role`` (services check it), for calling services directly."""
    from dispatch.access.auth import SignedIn

    return SignedIn(
        0, f"test-{role.replace(' ', '-')}", role.title(), role, store_id, None, None
    )
