"""The service desk page under AppTest (small demo, SQLite): find, card, open a ticket."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from streamlit.testing.v1 import AppTest

from data.db import make_engine
from data.models import Customer, CustomerMachine, RepairTicket
from tests.dashboard.conftest import APP, open_page, sign_in


@pytest.fixture
def app(app_db: str) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def _customer(url: str) -> tuple[Customer, CustomerMachine]:
    with sessionmaker(bind=make_engine(url), expire_on_commit=False)() as s:
        return s.execute(
            select(Customer, CustomerMachine)
            .join(CustomerMachine, CustomerMachine.customer_id == Customer.id)
            .where(
                Customer.phone.is_not(None),
                CustomerMachine.model_family == "bean_to_cup",
            )
            .order_by(Customer.id)
        ).first()


def test_agent_finds_a_customer_and_opens_a_ticket(app: AppTest, app_db: str) -> None:
    c, m = _customer(app_db)
    sign_in(app, "agent")
    at = open_page(app, "desk")
    assert not at.exception
    national = "0" + c.phone[3:]
    at.text_input(key="desk_search").input(national.replace("", " ").strip()).run()
    assert not at.exception
    assert any(c.name in s.value for s in at.subheader)
    at.selectbox(key="desk_fault").set_value("leak")
    at.selectbox(key="desk_severity").set_value("high")
    at.button(key="FormSubmitter:desk_open_form-Open ticket").click().run()
    assert not at.exception
    with sessionmaker(bind=make_engine(app_db))() as s:
        t = s.scalars(
            select(RepairTicket)
            .where(RepairTicket.machine_id == m.id)
            .order_by(RepairTicket.id.desc())
        ).first()
    assert t.status == "triaged" and t.fault == "leak"
    shown = " ".join(i.value for i in at.info)
    assert t.ref in shown and "SLA due" in shown and "business hours" in shown
    books = [b for b in at.button if str(b.key).startswith("desk_slot_")]
    assert books, "slot offers are shown for the on-site ticket"
    books[0].click().run()
    assert not at.exception
    assert any("booked" in x.value for x in at.success)
    with sessionmaker(bind=make_engine(app_db))() as s:
        t = s.get(RepairTicket, t.id)
    assert t.status == "scheduled" and t.window_start is not None


def test_remote_queue_fixed_by_phone(app: AppTest, app_db: str) -> None:
    sign_in(app, "agent")
    at = open_page(app, "desk")
    ref = at.selectbox(key="desk_remote_ticket").value
    assert ref is not None
    assert any(str(c.key).startswith(f"desk_step_{ref}_") for c in at.checkbox)
    at.button(key=f"desk_outcome_fixed_{ref}").click().run()
    assert not at.exception
    with sessionmaker(bind=make_engine(app_db))() as s:
        t = s.get(RepairTicket, ref)
    assert t.status == "closed" and t.first_time_fix is True


def test_manager_cannot_open_the_desk(app: AppTest) -> None:
    sign_in(app, "manager")
    at = open_page(app, "desk")
    assert not any(s.value == "Service desk" for s in at.title)
