"""Database fixtures: every DB test runs on SQLite, and on PostgreSQL when reachable.

PostgreSQL: ``TOURNEE_TEST_POSTGRES_URL`` (default: the local ``test`` database).
Each test gets a database of its own, cloned (``CREATE DATABASE … TEMPLATE``) from
a template this test process migrated once (and one holding the small demo), so
a fresh PostgreSQL database costs what a file copy does on SQLite; subprocesses
of a test reach it by its URL. With ``CI`` set, an unreachable PostgreSQL fails
the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from data.db import dispose_engines, make_engine, migrate

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


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file (a fresh schema in milliseconds)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


def _pg_admin() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _need_pg() -> None:
    if _PG_PROBLEM:
        msg = f"PostgreSQL unreachable at {PG_URL}: {_PG_PROBLEM}"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI must exercise PostgreSQL)")
        pytest.skip(msg)


def _pg_create(name: str, template: str | None = None) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        if template:  # a template must have no other connection while it is copied
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": template},
            )
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
    admin.dispose()


def _pg_drop(name: str) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """A database migrated once per test process; each test clones it."""
    _need_pg()
    name = f"tmpl_{uuid.uuid4().hex[:10]}"
    _pg_create(name)
    try:
        migrate(_pg_url(name))
        yield name
    finally:
        _DROPS.shutdown(wait=True)  # every clone dropped before the run ends
        _pg_drop(name)


@pytest.fixture(scope="session")
def _pg_demo_template(_pg_template: str) -> Iterator[str]:
    """The migrated template with the small demo seeded, once per test process."""
    name = f"{_pg_template}_demo"
    _pg_create(name, template=_pg_template)
    try:
        seed_small_demo(_pg_url(name))
        yield name
    finally:
        _pg_drop(name)


_DROPS = ThreadPoolExecutor(max_workers=6, thread_name_prefix="pg-drop")
"""Drops a test's database while the next test runs. Each drop waits for a checkpoint;
drops in flight together share one, so several threads keep up with the tests."""


def _pg_clone(template: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    _pg_create(name, template=template)
    try:
        yield _pg_url(name)
    finally:
        _DROPS.submit(_pg_drop, name)


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
        _need_pg()
        yield from _pg_clone(request.getfixturevalue("_pg_template"))


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
        _need_pg()
        yield from _pg_clone(request.getfixturevalue("_pg_demo_template"))


@pytest.fixture
def demo_session(demo_url: str) -> Iterator[Session]:
    eng = make_engine(demo_url)
    with sessionmaker(bind=eng, expire_on_commit=False)() as s:
        yield s
    eng.dispose()


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """Streamlit's AppTest leaves the page script as ``sys.modules['__main__']``;
    every later spawn or forkserver child (the solver's searches) would then run
    that script as its main module, importing Streamlit and the dashboard (seconds
    per process). Put the test process's own main module back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def _release_engines() -> Iterator[None]:
    """Each test's database gets its own process-wide engine (``data.db.engine_for``);
    closing them after the test keeps a long test process from holding hundreds of
    pools and open connections, which slows every later test."""
    yield
    dispose_engines()
