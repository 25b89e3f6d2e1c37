"""Database fixtures: every DB test runs on SQLite, and on PostgreSQL when reachable.

PostgreSQL: ``TOURNEE_TEST_POSTGRES_URL`` (default: the local ``test`` database).
Each test gets its own freshly migrated schema (``search_path`` carried in the URL,
so subprocesses of a test see the same schema). With ``CI`` set, an unreachable
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine, migrate

PG_URL = os.environ.get(
    "TOURNEE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_problem() -> str | None:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


_PG_PROBLEM = _pg_problem()


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file (a fresh schema in milliseconds)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


def _pg_schema_url() -> Iterator[str]:
    if _PG_PROBLEM:
        msg = f"PostgreSQL unreachable at {PG_URL}: {_PG_PROBLEM}"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI must exercise PostgreSQL)")
        pytest.skip(msg)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(PG_URL, schema)
    try:
        migrate(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a clean, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "tournee.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _pg_schema_url()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work the test commits itself (services never commit)."""
    with sessionmaker(bind=engine, expire_on_commit=False)() as s:
        yield s


DEMO_DAY = "2026-11-24"  # a Tuesday


def seed_small_demo(url: str) -> None:
    from datetime import date

    from data.demo import seed_demo
    from dispatch.demo_rules import demo_rules

    eng = make_engine(url)
    with sessionmaker(bind=eng).begin() as s:
        seed_demo(
            s,
            scale="small",
            seed=7,
            day=date.fromisoformat(DEMO_DAY),
            rules=demo_rules(),
        )
    eng.dispose()  # closes the last connection: SQLite checkpoints its WAL into the file


@pytest.fixture(scope="session")
def _sqlite_demo_template(
    _sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(_sqlite_template, path)
    seed_small_demo(f"sqlite:///{path}")
    return path


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database holding the small demo network (day ``DEMO_DAY``)."""
    if request.param == "sqlite":
        path = tmp_path / "demo.db"
        shutil.copy(request.getfixturevalue("_sqlite_demo_template"), path)
        yield f"sqlite:///{path}"
    else:
        for url in _pg_schema_url():
            seed_small_demo(url)
            yield url


@pytest.fixture
def demo_session(demo_url: str) -> Iterator[Session]:
    eng = make_engine(demo_url)
    with sessionmaker(bind=eng, expire_on_commit=False)() as s:
        yield s
    eng.dispose()
