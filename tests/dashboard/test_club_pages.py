"""The outbox page (managers), the club card (store staff) and the store's notices tab, under AppTest."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from streamlit.testing.v1 import AppTest

from data.base import PARIS
from data.db import make_engine
from data.models import (
    AuditLog,
    Customer,
    LoyaltyAccount,
    Notice,
    PurchaseLine,
    PurchaseOrder,
)
from dispatch.notices.run import compute_and_queue
from tests.dashboard.conftest import APP, open_page, sign_in

NOW = datetime(2026, 11, 24, 7, 0, tzinfo=PARIS)


@pytest.fixture
def app(app_db: str) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def _texts(at: AppTest) -> str:
    return " ".join(
        [m.value for m in at.markdown]
        + [t.value for t in at.title]
        + [c.value for c in at.caption]
        + [str(m.value) for m in at.metric]
        + [m.label for m in at.metric]
        + [s.value for s in at.subheader]
    )


def test_outbox_lists_previews_and_cancels_audited(app: AppTest, app_db: str) -> None:
    report = compute_and_queue(app_db, NOW)
    assert report.queued > 50
    at = open_page(sign_in(app, "manager"), "outbox")
    assert not at.exception, at.exception
    assert "Customer notices" in _texts(at)
    table = at.dataframe[0].value
    assert len(table) == min(report.queued, 500)
    assert {"Due", "Kind", "Channel", "Status", "Customer", "Reason"} <= set(
        table.columns
    )
    assert not table["Customer"].str.contains(r"^\d+$").any()  # refs and names, no ids
    # filter to suppressed ones: each says why
    at.selectbox(key="outbox_status").set_value("suppressed").run()
    sup = at.dataframe[0].value
    assert (
        len(sup) >= 1
        and (sup["Reason"] == "no e-mail address or mobile number on file").all()
    )
    at.selectbox(key="outbox_status").set_value("pending").run()
    chosen = at.selectbox(key="outbox_chosen").value
    at.text_input(key=f"outbox_why_{chosen}").input("customer called").run()
    at.button(key=f"outbox_cancel_{chosen}").click().run()
    assert not at.exception, at.exception
    eng = make_engine(app_db)
    with sessionmaker(bind=eng)() as s:
        n = s.get_one(Notice, chosen)
        assert (n.status, n.reason) == ("cancelled", "customer called")
        audit = s.scalar(select(AuditLog).where(AuditLog.entity == "notice"))
        assert (
            audit is not None and audit.actor == "manager" and audit.action == "cancel"
        )
    eng.dispose()


def test_outbox_shows_when_a_failed_pending_notice_is_tried_again(
    app: AppTest, app_db: str
) -> None:
    """A pending notice that failed before says when the next run may try it again;
    one never tried says nothing (it goes at the next run)."""
    compute_and_queue(app_db, NOW)
    today = datetime.now(PARIS).date()
    eng = make_engine(app_db)
    with sessionmaker(bind=eng).begin() as s:
        waits = list(
            s.scalars(
                select(Notice)
                .where(Notice.status == "pending")
                .order_by(Notice.due_at.desc(), Notice.id.desc())  # the page's first
                .limit(3)
            )
        )
        later, tomorrow, fresh = waits
        for n, at in (
            (later, datetime.combine(today, time(14, 35), tzinfo=PARIS)),
            (
                tomorrow,
                datetime.combine(today + timedelta(days=1), time(9, 5), tzinfo=PARIS),
            ),
        ):
            n.attempts, n.next_attempt_at = 2, at
            n.last_error = "421 try again later"
        ids = (later.id, tomorrow.id, fresh.id)
    eng.dispose()
    at = open_page(sign_in(app, "manager"), "outbox")
    at.selectbox(key="outbox_status").set_value("pending").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    status = table["Status"].tolist()
    assert status.count("Pending · next try 14:35") == 1
    day_after = (today + timedelta(days=1)).day
    assert (
        sum(
            s.startswith("Pending · next try ")
            and f" {day_after} " in s
            and s.endswith(" 09:05")
            for s in status
        )
        == 1
    )
    assert status.count("Pending") == len(status) - 2  # never tried: no wait
    assert (
        not table["Status"].str.contains(r"\d{4}-\d{2}-\d{2}|T\d{2}:").any()
    )  # no ISO
    at.selectbox(key="outbox_chosen").set_value(ids[0]).run()
    assert not at.exception, at.exception
    assert "Pending · next try 14:35" in _texts(at)  # the preview says it too


def test_store_staff_do_not_see_the_outbox(app: AppTest) -> None:
    at = sign_in(app, "store staff")
    at = open_page(at, "outbox")
    assert "Customer notices" not in [t.value for t in at.title]


def _capsule_member(url: str) -> tuple[str, str]:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        phone, ref = s.execute(
            select(Customer.phone, Customer.ref)
            .join(PurchaseOrder, PurchaseOrder.customer_id == Customer.id)
            .join(PurchaseLine, PurchaseLine.order_id == PurchaseOrder.id)
            .join(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
            .where(PurchaseLine.category == "capsules")
            .order_by(Customer.id)
            .limit(1)
        ).one()
    eng.dispose()
    return phone, ref


def test_club_card_by_phone_in_any_form(app: AppTest, app_db: str) -> None:
    phone, ref = _capsule_member(app_db)
    national = "0" + phone[3:]
    spaced = " ".join(national[i : i + 2] for i in range(0, 10, 2))  # 06 12 34 56 78
    at = open_page(sign_in(app, "store staff"), "club")
    assert not at.exception, at.exception
    at.text_input(key="club_q").input(spaced)
    at.button[0].click()
    at = at.run()
    assert not at.exception, at.exception
    text = _texts(at)
    assert ref in text
    assert "Coffees bought regularly" in text and "Machines" in text
    assert "Tier" in text and "Points" in text
    coffees = at.dataframe[0].value
    assert {"Coffee", "Quantity", "Last"} <= set(coffees.columns) and len(coffees) >= 1


def test_store_page_has_a_notices_tab(app: AppTest, app_db: str) -> None:
    compute_and_queue(app_db, NOW)
    at = sign_in(app, "store staff")
    at = open_page(at, "store")
    assert not at.exception, at.exception
    assert any(t.label == "Notices" for t in at.tabs)


def test_unsubscribe_link_withdraws_consent_without_sign_in(
    app: AppTest, app_db: str
) -> None:
    from data.models import ContactPreference

    eng = make_engine(app_db)
    with sessionmaker(bind=eng)() as s:
        pref = s.scalars(
            select(ContactPreference)
            .where(ContactPreference.club_consent.is_(True))
            .limit(1)
        ).one()
        token, cid = pref.unsubscribe_token, pref.customer_id
    app.query_params["unsubscribe"] = token
    at = app.run()
    assert not at.exception, at.exception
    assert "no longer receive club reminders" in at.success[0].value
    with sessionmaker(bind=eng)() as s:
        assert s.get_one(ContactPreference, cid).club_consent is False
    eng.dispose()
    bad = AppTest.from_file(str(APP), default_timeout=60)
    bad.query_params["unsubscribe"] = "not-a-token"
    bad.run()
    assert "not valid" in bad.error[0].value


def test_club_card_edits_preferences(app: AppTest, app_db: str) -> None:
    from data.models import ContactPreference

    phone, ref = _capsule_member(app_db)
    at = open_page(sign_in(app, "store staff"), "club")
    at.text_input(key="club_q").input(phone)
    at.button[0].click()
    at = at.run()
    lang = next(s for s in at.selectbox if s.label == "Language")
    lang.set_value("en")
    next(c for c in at.checkbox if c.label.startswith("Club reminders")).uncheck()
    next(b for b in at.button if b.label == "Save preferences").click()
    at = at.run()
    assert not at.exception, at.exception
    eng = make_engine(app_db)
    with sessionmaker(bind=eng)() as s:
        cid = s.scalar(select(Customer.id).where(Customer.ref == ref))
        pref = s.get_one(ContactPreference, cid)
        assert (pref.language, pref.club_consent) == ("en", False)
        assert s.scalar(
            select(AuditLog).where(
                AuditLog.entity == "customer", AuditLog.action == "preferences"
            )
        )
    eng.dispose()
