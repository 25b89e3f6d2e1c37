"""Engines and sessions for SQLite (embedded default) and PostgreSQL (``DATABASE_URL``).

SQLite follows SQLAlchemy's pysqlite recipe: WAL, foreign keys on, a busy timeout,
and SQLAlchemy-controlled BEGIN so that a *writer* engine can open every transaction
with ``BEGIN IMMEDIATE`` (writers serialize instead of failing on snapshot upgrade).
PostgreSQL uses row locks (``SELECT ... FOR UPDATE``) on the same code path.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = REPO_ROOT / "var" / "tournee.db"
T = TypeVar("T")


def database_url() -> str:
    """``DATABASE_URL`` if set, else the embedded SQLite file under ``var/``."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):  # the common form; we ship psycopg 3
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


def make_engine(url: str | None = None, *, writer: bool = False, **kw: Any) -> Engine:
    """An engine with the project's settings. ``writer`` = BEGIN IMMEDIATE on SQLite."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kw)
        _sqlite_setup(engine)
        return engine.execution_options(x_begin="BEGIN IMMEDIATE") if writer else engine
    kw.setdefault("pool_pre_ping", True)
    if "poolclass" not in kw:
        kw.setdefault("pool_size", 10)
        kw.setdefault("max_overflow", 20)
    return create_engine(url, **kw)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cur = dbapi_conn.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=30000",
            "PRAGMA synchronous=NORMAL",
        ):
            cur.execute(pragma)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("x_begin", "BEGIN"))


_ENGINES: dict[str, tuple[Engine, Engine]] = {}
_ENGINES_LOCK = threading.Lock()


def _engines(url: str) -> tuple[Engine, Engine]:
    with _ENGINES_LOCK:
        pair = _ENGINES.get(url)
        if pair is None:
            reader = make_engine(url)
            writer = (
                reader.execution_options(x_begin="BEGIN IMMEDIATE")
                if url.startswith("sqlite")
                else reader
            )
            pair = _ENGINES[url] = (reader, writer)
        return pair


def dispose_engines() -> None:
    """Close every process-wide engine and its pooled connections (they reopen on use).

    For a long-lived process that has touched many databases (a test run)."""
    with _ENGINES_LOCK:
        pairs = list(_ENGINES.values())
        _ENGINES.clear()
    for reader, _writer in pairs:
        reader.dispose()


def engine_for(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (created once)."""
    return _engines(url or database_url())[0]


def sessions(url: str | None = None, *, writer: bool = False) -> sessionmaker[Session]:
    """A session factory; ``writer=True`` for state changes that must serialize."""
    reader, w = _engines(url or database_url())
    return sessionmaker(bind=w if writer else reader, expire_on_commit=False)


@contextmanager
def write_session(url: str | None = None) -> Iterator[Session]:
    """One write transaction: commit on success, roll back on error."""
    with sessions(url, writer=True).begin() as session:
        yield session


def retry_locked(fn: Callable[[], T], attempts: int = 5) -> T:
    """Run a whole write transaction again when SQLite reports a lock (WAL snapshot)."""
    for i in range(attempts):
        try:
            return fn()
        except OperationalError as exc:
            if "locked" not in str(exc) or i == attempts - 1:
                raise
            time.sleep(0.05 * (i + 1))
    raise AssertionError("unreachable")


def migrate(url: str | None = None) -> None:
    """Bring the schema to the latest Alembic revision."""
    from alembic import command

    command.upgrade(alembic_config(url or database_url()), "heads")


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
