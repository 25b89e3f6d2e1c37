"""Retries across runs with exponential back-off, and what a crash after the server's
acceptance does (the message is sent again, with the same Message-ID), on a real SMTP
server on a loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.base import utcnow
from data.db import make_engine
from data.models import Notice
from dispatch.cli.main import main
from dispatch.labels import when
from dispatch.notices.run import run
from dispatch.notices.sender import RETRY_AFTER, RETRY_MAX, retry_delay
from dispatch.notices.transport import SmtpTransport, message_id, smtp_settings
from tests.builders import add_contact, add_ready_bag, make_site, paris

ROOT = Path(__file__).resolve().parents[2]
NOW = paris(2026, 11, 24, 7, 0)
FROM = "Tournée Club <club@tournee.test>"
TO = "rose.marchand@example.fr"


def _one_bag(db_url: str) -> None:
    eng = make_engine(db_url)
    with Session(eng) as s, s.begin():
        store = make_site(s, "STO-R", 45.76, 4.85, kind="store")
        c = add_contact(s, "C-R", email=TO, club=False)
        add_ready_bag(s, c, store, ref="O-R1", holding_until=date(2026, 12, 1))
    eng.dispose()


def _notice(db_url: str) -> Notice:
    eng = make_engine(db_url)
    with Session(eng) as s:
        (n,) = s.scalars(select(Notice))
    eng.dispose()
    return n


def _mail(url: str) -> dict:
    return {"email": SmtpTransport(smtp_settings(url, FROM), timeout=3)}


def test_the_delay_doubles_up_to_its_ceiling():
    assert retry_delay(1) == RETRY_AFTER == timedelta(minutes=5)
    assert retry_delay(2) == 2 * RETRY_AFTER and retry_delay(3) == 4 * RETRY_AFTER
    assert retry_delay(30) == RETRY_MAX


def test_a_deferred_notice_waits_for_its_next_attempt(
    db_url, smtp_server, monkeypatch, capsys
):
    _one_bag(db_url)
    smtp_server.box.refuse[TO] = "451 4.3.0 Try again later"
    first = run(db_url, NOW, _mail(smtp_server.url))
    assert first.sending is not None and first.sending.retry == 1
    n = _notice(db_url)
    assert (n.status, n.attempts) == ("pending", 1)
    assert n.next_attempt_at == NOW + timedelta(minutes=5)
    assert "451 4.3.0 Try again later" in (n.last_error or "")

    early = run(db_url, NOW + timedelta(minutes=4), _mail(smtp_server.url))
    assert early.sending is not None and early.sending.retry == 0  # not even tried
    assert _notice(db_url).attempts == 1

    second = run(db_url, NOW + timedelta(minutes=5), _mail(smtp_server.url))
    assert second.sending is not None and second.sending.retry == 1
    n = _notice(db_url)
    assert n.attempts == 2 and n.next_attempt_at == NOW + timedelta(minutes=15)
    monkeypatch.setenv("DATABASE_URL", db_url)
    capsys.readouterr()
    assert main(["notices", "list"]) == 0
    out = capsys.readouterr().out
    assert "retry at" in out and when(NOW + timedelta(minutes=15)) in out

    del smtp_server.box.refuse[TO]
    run(db_url, NOW + timedelta(minutes=14), _mail(smtp_server.url))
    assert smtp_server.box.messages == [] and _notice(db_url).status == "pending"
    last = run(db_url, NOW + timedelta(minutes=15), _mail(smtp_server.url))
    assert last.sending is not None and last.sending.sent == 1
    n = _notice(db_url)
    assert (n.status, n.attempts, n.next_attempt_at) == ("sent", 3, None)
    assert [rcpt for _, rcpt, _ in smtp_server.box.messages] == [[TO]]


def test_a_crash_after_acceptance_resends_with_the_same_message_id(db_url, smtp_server):
    """The sender is killed (SIGKILL) while the server stores the message: its row is
    still pending under a claim; once the claim has expired the next run sends it again,
    and both copies carry one Message-ID, derived from the dedupe key."""
    _one_bag(db_url)
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        TOURNEE_SMTP_URL=smtp_server.url,
        TOURNEE_MAIL_FROM=FROM,
        PYTHONPATH=str(ROOT),
    )
    env.pop("TOURNEE_SMS_URL", None)
    cmd = [sys.executable, "-m", "dispatch.cli", "notices", "run"]
    proc = subprocess.Popen(
        [*cmd, "--now", NOW.isoformat()],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    smtp_server.box.on_data = lambda: os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    smtp_server.box.on_data = None
    n = _notice(db_url)
    assert n.status == "pending" and n.claimed_by and n.attempts == 0
    assert len(smtp_server.box.messages) == 1

    again = run(db_url, NOW, _mail(smtp_server.url))  # the claim still holds
    assert again.sending is not None and again.sending.sent == 0
    eng = make_engine(db_url)
    with Session(eng) as s, s.begin():  # ... until its lease is over
        s.execute(update(Notice).values(claimed_until=utcnow() - timedelta(seconds=1)))
    eng.dispose()
    later = run(db_url, NOW, _mail(smtp_server.url))
    assert later.sending is not None and later.sending.sent == 1

    first, second = smtp_server.box.parsed()
    key = _notice(db_url).dedupe_key
    assert first["Message-ID"] == second["Message-ID"] == message_id(key, FROM)
    assert first["Message-ID"].endswith("@tournee.test>")
    assert first["X-Tournee-Notice"] == second["X-Tournee-Notice"] == key
    n = _notice(db_url)
    assert (n.status, n.attempts, n.claimed_by) == ("sent", 1, None)
