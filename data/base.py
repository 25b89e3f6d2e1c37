"""Declarative base, naming convention and portable column types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Dialect, MetaData, Table
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Deterministic constraint names so Alembic batch mode (SQLite) can drop/recreate them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


PARIS = ZoneInfo("Europe/Paris")
"""The network's local time: shifts, windows and SLA business hours are Paris wall-clock."""


class TZDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetime on every backend.

    SQLite has no timezone type and hands back naive values; we store UTC and
    re-attach UTC on the way out, so callers always see aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given; use an aware one"
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text in rare paths
            value = datetime.fromisoformat(value)
        moment: datetime = value
        return (
            moment.replace(tzinfo=UTC)
            if moment.tzinfo is None
            else moment.astimezone(UTC)
        )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table(model: type[Base]) -> Table:
    """The model's Core table, for bulk inserts and updates (no ORM objects).

    The cast: SQLAlchemy types ``__table__`` as any ``FromClause``; a declarative
    class of ours always maps one ``Table``.
    """
    return cast(Table, model.__table__)


def utcnow() -> datetime:
    return datetime.now(UTC)
