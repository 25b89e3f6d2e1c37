"""Import & export and audit trail pages under AppTest, and their services (small demo)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker
from streamlit.testing.v1 import AppTest

from data.audit import record
from data.db import make_engine
from data.models import AuditLog, Customer
from dispatch.access.roles import AccessDenied
from dispatch.views import audit, data_io
from tests.dashboard.conftest import APP, nav_titles, open_page, sign_in


class _User:
    def __init__(self, role: str, username: str = "tester") -> None:
        self.role, self.username, self.store_id = role, username, None


@pytest.fixture
def app(app_db: str) -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=60)


def test_dispatcher_opens_import_page_with_the_columns(app: AppTest) -> None:
    sign_in(app, "dispatcher")
    assert "Import & export" in nav_titles(app) and "Audit trail" not in nav_titles(app)
    at = open_page(app, "data_io")
    assert not at.exception
    assert at.title[0].value == "Import & export"
    columns = at.dataframe[0].value
    assert list(columns["Column"])[:4] == ["ref", "name", "postcode", "town"]
    at.button(key="io_prep_customers.csv").click().run()
    assert not at.exception


def test_audit_page_filters_by_actor(app: AppTest, app_db: str) -> None:
    with sessionmaker(bind=make_engine(app_db)).begin() as s:
        record(s, "ana", "customer", 1, "import", ref="C000001", file="a.csv")
        record(s, "bob", "repair_ticket", 2, "transition", ref="R2")
    sign_in(app, "admin")
    at = open_page(app, "audit")
    assert not at.exception and at.title[0].value == "Audit trail"
    actors = at.selectbox(key="audit_actor").options
    assert len(actors) > 1
    at.selectbox(key="audit_actor").set_value(actors[1]).run()
    assert not at.exception
    assert set(at.dataframe[0].value["Actor"]) == {actors[1]}


def test_upload_is_checked_then_imported_all_or_nothing(app_db: str) -> None:
    eng = make_engine(app_db)
    maker = sessionmaker(bind=eng, expire_on_commit=False)
    user = _User("dispatcher", "dispatch")
    bad = b"ref;name;postcode;town\nW1;Ana;69002;Lyon\nW2;Bob;13001;Lille\n"
    good = b'\xef\xbb\xbf"ref","name","postcode","town"\r\nW1,Ana,69002,Lyon\r\n'
    with maker() as s:
        before = s.scalar(select(func.count()).select_from(Customer))
        refused = data_io.check_upload(s, user, "customers", "bad.csv", bad)
        assert not refused.ok and [(e.line, e.field) for e in refused.problems] == [
            (3, "town")
        ]
        dry = data_io.check_upload(s, user, "customers", "good.csv", good)
        assert dry.ok and dry.created == 1 and not dry.written
    with maker.begin() as w:
        done = data_io.import_upload(w, user, "customers", "good.csv", good)
    assert done.written and done.created == 1
    with maker() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == before + 1
        assert s.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.actor == "dispatch")
        )
        text = data_io.customers_csv(s, user).decode("utf-8-sig")
        assert text.startswith(
            "ref;name;phone;email;address;postcode;town;lat;lon;mobile;"
            "preferred_channel;language;club_consent;quiet_from;quiet_until\r\n"
        )
        assert "W1;Ana;" in text
        # the download imports as is and changes nothing
        again = data_io.check_upload(
            s, user, "customers", "again.csv", text.encode("utf-8-sig"), update=True
        )
        assert again.ok and again.created == 0 and not again.changed, again
        assert data_io.orders_csv(s, user) and data_io.tickets_csv(s, user)
        page = audit.audit_page(s, _User("admin"), audit.AuditFilter(actor="dispatch"))
        assert page.total >= 1 and all(r.actor == "dispatch" for r in page.rows)
        assert (
            "W1"
            in audit.audit_csv(s, _User("admin"), audit.AuditFilter(text="W1")).decode()
        )
        with pytest.raises(AccessDenied):
            data_io.customers_csv(s, _User("store staff"))
        with pytest.raises(AccessDenied):
            audit.audit_page(s, _User("dispatcher"), audit.AuditFilter())
    eng.dispose()
