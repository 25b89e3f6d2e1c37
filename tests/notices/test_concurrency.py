"""Several `tournee notices run` processes at once: every notice sent exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import make_engine
from data.models import Notice
from tests.builders import add_contact, add_ready_bag, make_site

ROOT = Path(__file__).resolve().parents[2]
N = 90


def _bags(db_url: str) -> None:
    eng = make_engine(db_url)
    with Session(eng) as s, s.begin():
        store = make_site(s, "STO-C", 45.76, 4.85, kind="store")
        for i in range(N):
            c = add_contact(s, f"CC{i}", email=f"client{i}@example.fr", club=False)
            add_ready_bag(s, c, store, ref=f"OC-{i}", holding_until=date(2026, 12, 3))
    eng.dispose()


def test_two_processes_send_each_notice_exactly_once(db_url, smtp_server):
    _bags(db_url)
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        TOURNEE_SMTP_URL=smtp_server.url,
        TOURNEE_MAIL_FROM="Tournée <club@tournee.test>",
        PYTHONPATH=str(ROOT),
    )
    env.pop("TOURNEE_SMS_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "dispatch.cli",
        "notices",
        "run",
        "--now",
        "2026-11-24T07:00",
    ]
    procs = [
        subprocess.Popen(
            cmd,
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    keys = Counter(m["X-Tournee-Notice"] for m in smtp_server.box.parsed())
    assert len(keys) == N
    assert set(keys.values()) == {1}, [k for k, v in keys.items() if v > 1]
    eng = make_engine(db_url)
    with Session(eng) as s:
        rows = list(s.scalars(select(Notice)))
    eng.dispose()
    assert len(rows) == N
    assert {n.status for n in rows} == {"sent"}
    assert all(n.attempts == 1 for n in rows)
    sent = sum(int(o.split("sent ")[1].split(",")[0]) for o, _ in outs)
    assert sent == N  # the runs split the work; none sent another's notice
