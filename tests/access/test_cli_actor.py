"""The CLI acts as an explicit user: `--as USER` (and the older per-command `--actor USER`,
which now means the same) is a Tournée user whose role the services check; a free-text
name no longer reaches the audit log. Runs on the demo database, both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from data.db import engine_for, make_engine
from data.models import AuditLog, DeliveryOrder
from dispatch.cli.main import main
from tests.conftest import DEMO_DAY


@pytest.fixture
def cli(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.delenv("TOURNEE_USER", raising=False)
    yield demo_url
    engine_for(demo_url).dispose()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _home_order(url: str) -> str:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        ref = s.scalar(
            select(DeliveryOrder.ref)
            .where(DeliveryOrder.mode == "home", DeliveryOrder.status == "new")
            .order_by(DeliveryOrder.id)
        )
    eng.dispose()
    assert ref is not None
    return ref


def _actors(url: str, entity: str) -> list[str]:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        rows = list(s.scalars(select(AuditLog.actor).where(AuditLog.entity == entity)))
    eng.dispose()
    return rows


REPLAN = ("replan", "--date", DEMO_DAY, "--at", "10:00", "--seconds", "1")

#: (argv, what stderr says): each refused with exit status 2, before any change.
REFUSED = [
    (("--as", "agent", *REPLAN), "'agent' may not act as dispatcher"),
    ((*REPLAN, "--actor", "store1"), "'store1' may not act as dispatcher"),
    ((*REPLAN, "--actor", "someone"), "--actor someone: no such active user"),
    (("--as", "dispatch", *REPLAN, "--actor", "manager"), "name one user"),
    (("--as", "manager", "orders", "expire", "--date", DEMO_DAY), "may not"),
    (("orders", "--actor", "store1", "relays", "--date", DEMO_DAY), "may not"),
    (("--as", "agent", "orders", "bags", "--store", "STO-001", "--date", DEMO_DAY), "may not"),
    (("--as", "store1", "orders", "bags", "--store", "STO-002", "--date", DEMO_DAY), "may not"),
    (("--as", "store1", "tech", "absent", "--technician", "TEC-001", "--from", DEMO_DAY), "may not"),
    (("--as", "agent", "loaner", "accept", "1"), "may not"),
    (("--as", "manager", "visit", "status", "--ticket", "R1", "--set", "arrived"), "may not"),
    (("--as", "manager", "import", "customers", "nowhere.csv"), "may not"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "says"), REFUSED, ids=[" ".join(a) for a, _ in REFUSED]
)
def test_a_cli_user_of_the_wrong_role_is_refused(cli, capsys, argv, says):
    before = len(_actors(cli, "plan")) + len(_actors(cli, "delivery_order"))
    code, _, err = _run(capsys, *argv)
    assert code == 2, err
    assert says in err and err.count("\n") == 1
    assert len(_actors(cli, "plan")) + len(_actors(cli, "delivery_order")) == before


def test_the_right_user_acts_and_the_audit_names_them(cli, capsys):
    ref = _home_order(cli)
    code, out, err = _run(
        capsys, "--as", "dispatch", "orders", "move", ref, "out for delivery"
    )
    assert code == 0, err
    assert f"order {ref}: new -> out for delivery" in out
    code, out, err = _run(capsys, "orders", "--actor", "dispatch", "failed", ref)
    assert code == 0, err
    code, _, err = _run(capsys, "orders", "expire", "--date", DEMO_DAY)
    assert code == 0, err  # no --as: the installation's operator (admin)
    assert set(_actors(cli, "delivery_order")) >= {"dispatch"}
    assert not any(a in ("store1", "someone") for a in _actors(cli, "delivery_order"))
