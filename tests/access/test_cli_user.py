"""`tournee user ...` from the first admin on; `--as` / TOURNEE_USER pick the actor."""

from __future__ import annotations

import getpass
import io
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from data.db import engine_for, make_engine
from data.models import AuditLog, User
from dispatch.access.auth import sign_in
from dispatch.cli.main import main

SECRET = "a long enough secret"


@pytest.fixture
def fresh(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("TOURNEE_USER", raising=False)
    yield db_url
    engine_for(db_url).dispose()


def _run(monkeypatch: pytest.MonkeyPatch, stdin: str, *argv: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(list(argv))


def _users(url: str) -> dict[str, User]:
    eng = make_engine(url)
    with sessionmaker(bind=eng, expire_on_commit=False)() as s:
        rows = {u.username: u for u in s.scalars(select(User))}
    eng.dispose()
    return rows


def test_a_fresh_database_has_no_users_and_the_cli_makes_the_first_admin(
    fresh, monkeypatch, capsys
):
    assert _users(fresh) == {}
    code = _run(
        monkeypatch,
        SECRET + "\n",
        "user",
        "add",
        "Root",
        "--role",
        "admin",
        "--password-stdin",
    )
    assert code == 0
    assert "created root (admin; active)" in capsys.readouterr().out
    root = _users(fresh)["root"]
    assert (root.role, root.active, root.demo) == ("admin", True, False)
    assert sign_in("root", SECRET, url=fresh).user is not None
    eng = make_engine(fresh)
    with sessionmaker(bind=eng)() as s:
        actor = s.scalar(
            select(AuditLog.actor).where(
                AuditLog.entity == "user", AuditLog.action == "created"
            )
        )
    eng.dispose()
    assert actor == f"cli:{getpass.getuser()}"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("dispatch-demo", "demo password"),
        ("Manager-Demo", "demo password"),
        ("short", "too short"),
        ("someoneverylong", "is the username"),
    ],
)
def test_weak_passwords_are_refused(fresh, monkeypatch, capsys, password, reason):
    code = _run(
        monkeypatch,
        password + "\n",
        "user",
        "add",
        "someoneverylong",
        "--role",
        "admin",
        "--password-stdin",
    )
    err = capsys.readouterr().err
    assert code == 2 and reason in err and len(err.strip().splitlines()) == 1
    assert _users(fresh) == {}


def test_only_admins_manage_users_and_as_names_the_actor(fresh, monkeypatch, capsys):
    assert (
        _run(
            monkeypatch,
            SECRET + "\n",
            "user",
            "add",
            "root",
            "--role",
            "admin",
            "--password-stdin",
        )
        == 0
    )
    assert (
        _run(
            monkeypatch,
            SECRET + "\n",
            "--as",
            "root",
            "user",
            "add",
            "dana",
            "--role",
            "dispatcher",
            "--password-stdin",
        )
        == 0
    )
    capsys.readouterr()
    # A dispatcher may not create users, by --as or by TOURNEE_USER.
    code = _run(
        monkeypatch,
        SECRET + "\n",
        "--as",
        "dana",
        "user",
        "add",
        "eve",
        "--role",
        "admin",
        "--password-stdin",
    )
    assert code == 2 and "'dana' may not" in capsys.readouterr().err
    monkeypatch.setenv("TOURNEE_USER", "dana")
    assert _run(monkeypatch, "", "user", "deactivate", "root") == 2
    assert "may not" in capsys.readouterr().err
    monkeypatch.setenv("TOURNEE_USER", "ghost")
    assert _run(monkeypatch, "", "user", "list") == 2
    assert "no such active user" in capsys.readouterr().err
    monkeypatch.delenv("TOURNEE_USER")
    assert set(_users(fresh)) == {"root", "dana"}
    eng = make_engine(fresh)
    with sessionmaker(bind=eng)() as s:
        actors = set(s.scalars(select(AuditLog.actor).where(AuditLog.entity == "user")))
    eng.dispose()
    assert "root" in actors  # dana was created by root, recorded as such


def test_set_deactivate_unlock_and_list(fresh, monkeypatch, capsys):
    _run(
        monkeypatch,
        SECRET + "\n",
        "user",
        "add",
        "root",
        "--role",
        "admin",
        "--password-stdin",
    )
    _run(
        monkeypatch,
        SECRET + "\n",
        "user",
        "add",
        "dana",
        "--role",
        "dispatcher",
        "--password-stdin",
    )
    for i in range(5):
        sign_in("dana", f"wrong {i}", url=fresh)
    assert sign_in("dana", SECRET, url=fresh).user is None
    assert (
        _run(monkeypatch, "", "user", "set", "dana", "--role", "manager", "--unlock")
        == 0
    )
    assert sign_in("dana", SECRET, url=fresh).user.role == "manager"  # type: ignore[union-attr]
    assert _run(monkeypatch, "", "user", "set", "dana", "--role", "store staff") == 2
    assert "store staff must be bound to a store" in capsys.readouterr().err
    assert _run(monkeypatch, "", "user", "deactivate", "dana") == 0
    assert sign_in("dana", SECRET, url=fresh).user is None
    assert _run(monkeypatch, "", "user", "deactivate", "root") == 2  # last admin
    assert _run(monkeypatch, "", "user", "list") == 0
    out = capsys.readouterr().out
    assert "dana" in out and "inactive" in out and "root" in out
    assert _run(monkeypatch, "", "user", "set", "dana", "--activate") == 0
    assert sign_in("dana", SECRET, url=fresh).user is not None
    eng = make_engine(fresh)
    with sessionmaker(bind=eng)() as s:
        n = s.scalar(select(func.count(User.id)))
    eng.dispose()
    assert n == 2
