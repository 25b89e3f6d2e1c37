"""The schema on both backends: migrations, constraints, portable types."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.db import alembic_config
from data.models import Customer, Loan, Loaner, RepairTicket
from tests.builders import make_site


def _ticket(session: Session, ref: str = "R1") -> RepairTicket:
    cust = Customer(
        ref=f"C-{ref}",
        name="Ana",
        postcode="69001",
        town="Lyon",
        region="Auvergne-Rhône-Alpes",
        lat=45.76,
        lon=4.83,
    )
    session.add(cust)
    session.flush()
    t = RepairTicket(ref=ref, customer_id=cust.id, fault="leak", severity="high")
    session.add(t)
    session.flush()
    return t


def test_migrations_match_models(db_url: str) -> None:
    """Alembic head equals the models: autogenerate finds nothing to add."""
    command.check(alembic_config(db_url))


def test_downgrade_to_base_and_back(db_url: str) -> None:
    """Every migration can be undone and redone."""
    cfg = alembic_config(db_url)
    command.downgrade(cfg, "base")
    command.upgrade(cfg, "heads")
    command.check(cfg)


def test_foreign_keys_are_enforced(session: Session) -> None:
    """A loaner at a site that does not exist is refused (SQLite needs the pragma)."""
    session.add(Loaner(code="L1", model="X", model_family="bean_to_cup", site_id=999))
    with pytest.raises(IntegrityError):
        session.flush()


def test_datetimes_come_back_aware(session: Session) -> None:
    """An aware datetime round-trips as the same instant, aware, on both backends."""
    paris = timezone(timedelta(hours=1))
    t = _ticket(session)
    t.sla_due_at = datetime(2026, 12, 1, 18, 0, tzinfo=paris)
    session.commit()
    session.expire_all()
    got = session.scalar(select(RepairTicket.sla_due_at))
    assert got is not None and got.tzinfo is not None
    assert got == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def test_naive_datetime_is_refused(session: Session) -> None:
    """Naive datetimes are a bug: the type refuses them with a clear message."""
    t = _ticket(session)
    t.sla_due_at = datetime(2026, 12, 1, 18, 0)
    with pytest.raises(Exception, match="naive datetime"):
        session.flush()


def test_one_open_loan_per_loaner(session: Session) -> None:
    """The partial unique index refuses a second open loan; a returned one does not count."""
    site = make_site(session, "D1", 45.75, 4.84)
    loaner = Loaner(code="L1", model="X", model_family="bean_to_cup", site_id=site.id)
    session.add(loaner)
    t1, t2, t3 = _ticket(session, "R1"), _ticket(session, "R2"), _ticket(session, "R3")
    now = datetime.now(UTC)
    session.add(
        Loan(
            loaner_id=loaner.id,
            ticket_id=t1.id,
            customer_id=t1.customer_id,
            from_site_id=site.id,
            due_on=date(2026, 12, 20),
            returned_at=now,
        )
    )
    session.add(
        Loan(
            loaner_id=loaner.id,
            ticket_id=t2.id,
            customer_id=t2.customer_id,
            from_site_id=site.id,
            due_on=date(2026, 12, 20),
        )
    )
    session.commit()
    session.add(
        Loan(
            loaner_id=loaner.id,
            ticket_id=t3.id,
            customer_id=t3.customer_id,
            from_site_id=site.id,
            due_on=date(2026, 12, 20),
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_sqlite_engine_settings(engine: Engine) -> None:
    """SQLite runs in WAL with foreign keys on; PostgreSQL needs neither pragma."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
