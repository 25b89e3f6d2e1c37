"""An agent in real headless Chromium: find a demo customer by a phone number written
three ways, open a ticket of each path, book a slot for the on-site one; the next
`tournee plan` places that visit in its window on that day (independent validator)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from data.base import PARIS
from data.db import make_engine
from data.models import Customer, CustomerMachine, RepairTicket, VisitBooking
from tests.e2e.conftest import REPO, assert_no_error_text, open_menu_page

pytestmark = pytest.mark.e2e
SHOTS = "/tmp/desk-e2e"


def _customers(url: str) -> dict[str, tuple[Customer, CustomerMachine]]:
    busy = select(RepairTicket.customer_id).where(
        RepairTicket.status.not_in(("closed", "cancelled"))
    )
    out = {}
    with sessionmaker(bind=make_engine(url), expire_on_commit=False)() as s:
        for family in ("bean_to_cup", "capsule"):
            out[family] = s.execute(
                select(Customer, CustomerMachine)
                .join(CustomerMachine, CustomerMachine.customer_id == Customer.id)
                .where(
                    CustomerMachine.model_family == family,
                    Customer.phone.is_not(None),
                    Customer.id.not_in(busy),
                )
                .order_by(Customer.id.desc())
            ).first()
    return out


def _find(page, typed: str, name: str) -> None:
    box = page.get_by_label("Find the customer")
    box.fill(typed)
    box.press("Enter")
    page.get_by_role("heading", name=re.compile(re.escape(name))).wait_for()


def _pick(page, key: str, option: str) -> None:
    """Type into the select box and take the first match (robust to re-renders).

    While a rerun is in flight Streamlit can show the old form beside the new one:
    wait until one box is left, then type into it."""
    box = page.locator(f".st-key-{key} input")
    for _ in range(100):
        if box.count() == 1:
            break
        page.wait_for_timeout(100)
    box.fill(option)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)  # the selection reaches the server with the form


def _open(page, fault: str, severity: str = "High") -> str:
    _pick(page, "desk_fault", fault)
    _pick(page, "desk_severity", severity)
    page.get_by_role("button", name="Open ticket").click()
    msg = page.get_by_text(re.compile(r"Ticket R\d+ opened\."))
    msg.wait_for()
    return re.search(r"R\d+", msg.inner_text()).group(0)


def test_agent_opens_each_path_and_books_a_slot(signed_in_page, e2e_db_url, tmp_path):
    os.makedirs(SHOTS, exist_ok=True)
    who = _customers(e2e_db_url)
    home, small = who["bean_to_cup"], who["capsule"]
    page = signed_in_page("agent")
    open_menu_page(page, "Service desk")
    page.get_by_role("heading", name="Service desk").wait_for()

    national = "0" + home[0].phone[3:]
    spaced = " ".join(national[i : i + 2] for i in range(0, 10, 2))
    for typed in (spaced, "+33 " + national[1:], national.replace("", ".")[1:-1]):
        _find(page, typed, home[0].name)
    assert_no_error_text(page)

    onsite = _open(page, "Leak")
    page.get_by_text("Technician visit").filter(visible=True).first.wait_for()
    page.screenshot(path=f"{SHOTS}/1-onsite-opened.png", full_page=True)
    book = page.locator("[class*='st-key-desk_slot_']").first
    book.wait_for()
    book.get_by_role("button").click()
    try:
        page.get_by_text(re.compile(rf"{onsite} booked: ")).wait_for()
    finally:
        page.screenshot(path=f"{SHOTS}/2-booked.png", full_page=True)
    page.screenshot(path=f"{SHOTS}/2-booked.png", full_page=True)

    remote = _open(page, "Descaling", "Normal")
    page.get_by_text("Fixed by phone").filter(visible=True).first.wait_for()

    _find(page, small[0].email or small[0].phone, small[0].name)
    workshop = _open(page, "Pump")
    page.get_by_text("Set off at once: courier swap").wait_for()
    page.screenshot(path=f"{SHOTS}/3-workshop.png", full_page=True)

    page.get_by_role("tab", name="Remote queue").click()
    page.get_by_text("Checklist").wait_for()
    page.screenshot(path=f"{SHOTS}/4-remote-queue.png", full_page=True)
    assert_no_error_text(page)

    with sessionmaker(bind=make_engine(e2e_db_url))() as s:
        by_ref = {
            t.ref: t
            for t in s.scalars(
                select(RepairTicket).where(
                    RepairTicket.ref.in_((onsite, remote, workshop))
                )
            )
        }
        b = s.scalar(
            select(VisitBooking).where(VisitBooking.ticket_id == by_ref[onsite].id)
        )
        assert b is not None
        day, tid = b.day, by_ref[onsite].id
        lo, hi = b.window_start, b.window_end
    assert by_ref[onsite].status == "scheduled"
    assert (by_ref[remote].resolution_path, by_ref[remote].status) == (
        "remote",
        "triaged",
    )
    assert by_ref[workshop].status == "awaiting pickup"

    out = tmp_path / "plan.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "dispatch.cli",
            "plan",
            "--date",
            day.isoformat(),
            "--kind",
            "technicians",
            "--seconds",
            "3",
            "--json",
            str(out),
        ],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": e2e_db_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    plan = json.loads(out.read_text())
    assert (
        plan["stats"]["violations"] == 0
    )  # routing.validate, independent of the solver
    stops = [x for r in plan["routes"] for x in r["stops"] if x["ref"] == f"T{tid}"]
    assert len(stops) == 1
    start = datetime.fromisoformat(stops[0]["start"])
    start = start if start.tzinfo else start.replace(tzinfo=PARIS)  # local wall clock
    assert lo <= start <= hi
