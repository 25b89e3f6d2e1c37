"""`tournee loaner ...` and `tournee ticket ...` on the demo network: output and exit codes.

Most calls go through ``dispatch.cli.main.main`` in-process (fast); one runs the
installed ``tournee`` script to check the real exit status and stderr line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import engine_for
from data.models import CustomerMachine, Loan, Loaner, RepairTicket
from dispatch.cli.main import main

TOURNEE = Path(sys.executable).with_name("tournee")


@pytest.fixture
def cli(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DATABASE_URL points at the demo database; the CLI's cached engine is closed after."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    yield demo_url
    engine_for(demo_url).dispose()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _lendable_ticket(s: Session) -> RepairTicket:
    """A workshop ticket waiting for pick-up, with no loan, whose machine family
    has an available loaner in the demo pool."""
    families = set(
        s.scalars(select(Loaner.model_family).where(Loaner.state == "available"))
    )
    lent = select(Loan.ticket_id).where(Loan.returned_at.is_(None))
    rows = s.execute(
        select(RepairTicket, CustomerMachine.model_family)
        .join(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
        .where(RepairTicket.status == "awaiting pickup", RepairTicket.id.not_in(lent))
        .order_by(RepairTicket.id)
    )
    return next(t for t, fam in rows if fam in families)


def test_lend_then_lend_again_then_return(cli, demo_session, capsys):
    """lend: exit 0; a second lend for the same ticket: exit 2 with the reason on
    one line; return: exit 0; returning again: exit 2."""
    ticket = _lendable_ticket(demo_session)
    demo_session.rollback()
    code, out, _ = run(
        capsys, "loaner", "lend", "--ticket", str(ticket.id), "--actor", "dispatch"
    )
    assert code == 0 and out.startswith("lent LN-")
    code_name = out.split()[1]
    code, _, err = run(capsys, "loaner", "lend", "--ticket", str(ticket.id))
    assert code == 2
    assert err.strip() == (
        f"tournee loaner: no loaner available for ticket {ticket.id}: "
        f"ticket {ticket.id} already has loaner {code_name}"
    )
    code, out, _ = run(capsys, "loaner", "return", "--loaner", code_name)
    assert code == 0 and "now cleaning" in out
    code, _, err = run(capsys, "loaner", "return", "--loaner", code_name)
    assert code == 2 and "no open loan" in err and err.count("\n") == 1
    code, out, _ = run(capsys, "loaner", "ready", "--loaner", code_name)
    assert code == 0 and "available" in out


def test_lend_refused_at_a_site_without_stock(cli, demo_session, capsys):
    """--site of a relay point (no loaners): exit 2, reason names the site."""
    ticket = _lendable_ticket(demo_session)
    from data.models import Site

    relay = demo_session.scalars(select(Site).where(Site.kind == "relay")).first()
    assert relay is not None
    code, _, err = run(
        capsys, "loaner", "lend", "--ticket", str(ticket.id), "--site", str(relay.id)
    )
    assert code == 2 and f"at site {relay.id}" in err


def test_overdue_table_has_contacts(cli, capsys):
    """On 2026-12-04 some demo loans (lent for 14 days) are overdue: the table has
    the loaner, customer, phone, email, due date and days overdue."""
    code, out, _ = run(capsys, "loaner", "overdue", "--today", "2026-12-04")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split()[:6] == ["loaner", "customer", "phone", "email", "due", "days"]
    assert rows and all(r.startswith("LN-") for r in rows)
    assert "+33" in out and "@" in out


def test_ticket_move_illegal_exits_2_and_show(cli, demo_session, capsys):
    """An illegal move exits 2 naming both states; a legal one exits 0; show prints
    the history."""
    ticket = _lendable_ticket(demo_session)
    code, _, err = run(capsys, "ticket", "move", str(ticket.id), "closed", "--why", "x")
    assert code == 2
    assert "cannot go from 'awaiting pickup' to 'closed'" in err
    code, out, _ = run(
        capsys,
        "ticket",
        "move",
        str(ticket.id),
        "at-workshop",
        "--why",
        "courier delivered it",
    )
    assert code == 0 and "'at workshop'" in out
    code, out, _ = run(capsys, "ticket", "show", str(ticket.id))
    assert code == 0 and "courier delivered it" in out and "SLA due" in out


def test_installed_command_exit_status(cli, tmp_path):
    """The real `tournee` script: refusal -> status 2 and one stderr line."""
    env = {**os.environ, "DATABASE_URL": cli}
    proc = subprocess.run(
        [str(TOURNEE), "loaner", "lend", "--ticket", "987654"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == "tournee loaner: ticket 987654 does not exist"
