"""The SLA page and the at-risk queue under AppTest (small demo, SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from streamlit.testing.v1 import AppTest

from data.db import make_engine
from data.models import AuditLog, RepairTicket
from repairs.states import OPEN_STATES
from tests.dashboard.conftest import APP, open_page, sign_in


@pytest.fixture
def app(app_db: str) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def _due_soon(url: str) -> str:
    """Make one open ticket due in an hour (the demo's own are long past due)."""
    with sessionmaker(bind=make_engine(url)).begin() as s:
        t = s.scalars(
            select(RepairTicket)
            .where(RepairTicket.status.in_([x.value for x in OPEN_STATES]))
            .order_by(RepairTicket.id)
        ).first()
        assert t is not None
        t.sla_due_at = datetime.now(UTC) + timedelta(minutes=90)
        return t.ref


def _text(at: AppTest) -> str:
    return " ".join(
        [m.value for m in at.markdown]
        + [c.value for c in at.caption]
        + [s.value for s in at.success]
    )


def test_manager_sees_the_policy_and_the_ticket_heading_for_a_breach(
    app: AppTest, app_db: str
) -> None:
    ref = _due_soon(app_db)
    sign_in(app, "manager")
    at = open_page(app, "sla")
    assert not at.exception
    assert at.title[0].value == "SLA policy and risks"
    frames = [df.value for df in at.dataframe]
    queue = frames[0]
    assert ref in set(queue["Ticket"])
    assert "not planned" in queue.loc[queue["Ticket"] == ref, "Why"].iloc[0]
    policy = frames[1]
    assert list(policy.columns) == ["Tier", "Critical", "High", "Normal", "Low"]
    assert policy.iloc[0]["Tier"] == "Platinum"
    assert "Policy 2026\\.1" in _text(at)
    assert not [b for b in at.button if "Re-compute" in b.label]  # admins only
    with sessionmaker(bind=make_engine(app_db))() as s:
        assert (
            s.scalar(select(AuditLog.id).where(AuditLog.entity == "sla_policy"))
            is not None
        )


def test_admin_recomputes_open_tickets(app: AppTest, app_db: str) -> None:
    sign_in(app, "admin")
    at = open_page(app, "sla")
    button = next(b for b in at.button if "Re-compute" in b.label)
    at = button.click().run()
    assert not at.exception
    assert any("open ticket(s) got a new due time" in s.value for s in at.success)


def test_store_staff_cannot_open_it(app: AppTest) -> None:
    sign_in(app, "store staff")
    at = open_page(app, "sla")
    assert not any(t.value == "SLA policy and risks" for t in at.title)


def test_manager_home_counts_at_risk_by_region(app: AppTest, app_db: str) -> None:
    _due_soon(app_db)
    sign_in(app, "manager")
    at = open_page(app, "home")
    assert not at.exception
    assert any("Tickets at risk" in h.value for h in at.subheader)
