"""Twenty processes race for five loaners: the database, not Python, keeps it right.

Each process builds its own engine from the test's URL (PostgreSQL: same schema
via ``search_path`` in the URL; SQLite: the same file, writer engine with
``BEGIN IMMEDIATE``), waits at a barrier, then lends for its own ticket in one
transaction. Expected: exactly five loans, fifteen ``NoLoanerAvailable``, no
other exception, no loaner or ticket with two open loans.
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine
from data.models import Loan, Loaner

PROCESSES = 20
AVAILABLE = 5


def _race_worker(url: str, ticket_ids: Any, barrier: Any, results: Any) -> None:
    """One contender: lend for its ticket once the barrier opens; report the outcome.

    The ticket ids arrive through a queue because the processes start (and pay
    their imports) while the parent is still seeding the database.
    """
    from sqlalchemy.pool import NullPool

    from data.db import retry_locked
    from loaner_pool import NoLoanerAvailable, lend

    engine = make_engine(url, writer=True, poolclass=NullPool)
    factory = sessionmaker(bind=engine)

    def attempt() -> int:
        with factory.begin() as s:
            return lend(s, ticket_id, actor=f"proc-{ticket_id}").loaner_id

    ticket_id = 0
    try:
        ticket_id = ticket_ids.get(timeout=60)
        barrier.wait(timeout=60)
        results.put(("lent", ticket_id, retry_locked(attempt)))
    except NoLoanerAvailable as exc:
        results.put(("refused", ticket_id, str(exc)))
    except BaseException as exc:  # reported, and the test fails on it
        results.put(("error", ticket_id, f"{type(exc).__name__}: {exc}"))
    finally:
        engine.dispose()


def _seed(s: Session) -> list[int]:
    """Two sites, five lendable loaners among unlendable ones, twenty tickets."""
    # Imported here so the spawned children do not import pytest and the builders.
    from tests.builders import (
        make_loan_customer as make_customer,
    )
    from tests.builders import (
        make_loaner,
        make_site,
        make_ticket,
    )

    near = make_site(s, "DEP-LYON", 45.76, 4.86)
    far = make_site(s, "DEP-GRE", 45.19, 5.72)
    for site, n in ((near, 3), (far, 2)):
        for _ in range(n):
            make_loaner(s, site)
    for state in ("cleaning", "retired", "reserved", "in transit", "cleaning"):
        make_loaner(s, near, state=state)
    make_loaner(s, near, "capsule")  # available but incompatible
    return [make_ticket(s, make_customer(s)).id for _ in range(PROCESSES)]


@contextmanager
def _bare_main() -> Iterator[None]:
    """Spawned children re-import the parent's ``__main__`` (pytest's entry point,
    about 0.2 s of imports each); an empty stand-in while they start skips that,
    which matters for twenty children on two cores."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _race(url: str) -> list[tuple[str, int, Any]]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results, ticket_ids = ctx.Queue(), ctx.Queue()
    procs = [
        ctx.Process(target=_race_worker, args=(url, ticket_ids, barrier, results))
        for _ in range(PROCESSES)
    ]
    with _bare_main():
        for p in procs:
            p.start()
    eng = make_engine(url)
    with sessionmaker(bind=eng).begin() as s:
        tickets = _seed(s)
    eng.dispose()
    for t in tickets:
        ticket_ids.put(t)
    out = []
    try:
        for _ in procs:
            out.append(results.get(timeout=90))
    except queue.Empty:
        pass
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.kill()
    return out


def test_twenty_processes_five_loaners(db_url: str) -> None:
    """Exactly five loans and fifteen clean refusals, no duplicate open loan."""
    outcomes = _race(db_url)
    errors = [o for o in outcomes if o[0] == "error"]
    assert not errors, errors
    assert len(outcomes) == PROCESSES
    lent = [o for o in outcomes if o[0] == "lent"]
    refused = [o for o in outcomes if o[0] == "refused"]
    assert len(lent) == AVAILABLE and len(refused) == PROCESSES - AVAILABLE
    assert len({loaner_id for _, _, loaner_id in lent}) == AVAILABLE
    assert all("no loaner available" in reason for _, _, reason in refused)

    eng = make_engine(db_url)
    with Session(eng) as s:
        open_loans = s.scalars(select(Loan).where(Loan.returned_at.is_(None))).all()
        assert len(open_loans) == AVAILABLE
        assert len({ln.loaner_id for ln in open_loans}) == AVAILABLE
        assert len({ln.ticket_id for ln in open_loans}) == AVAILABLE
        states = dict(
            s.execute(
                select(Loaner.state, func.count())
                .where(Loaner.model_family == "bean_to_cup")
                .group_by(Loaner.state)
            ).all()
        )
        assert states.get("lent") == AVAILABLE and "available" not in states
    eng.dispose()
