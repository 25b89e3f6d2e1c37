"""Sign-in against races and guessing: atomic counting, back-off, equal work."""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from data.base import utcnow
from data.db import make_engine
from data.models import AuditLog, SignInThrottle
from dispatch.access import admin
from dispatch.access.auth import ACCOUNT, CLIENT, Outcome, SignedIn, sign_in
from routing.solve import FORKSERVER_PRELOAD
from tests.builders import make_user

RIGHT = "correct horse battery"


def _with_users(url: str, *names: str, role: str = "dispatcher") -> None:
    eng = make_engine(url)
    with sessionmaker(bind=eng).begin() as s:
        for n in names:
            make_user(s, n, RIGHT, role=role)
    eng.dispose()


def _attempt(args: tuple[str, str, str, object]) -> str:
    url, username, password, barrier = args
    from dispatch.access.auth import sign_in as attempt

    barrier.wait(timeout=120)  # type: ignore[attr-defined]
    return str(attempt(username, password, url=url).outcome)


def _events(url: str, username: str) -> list[AuditLog]:
    eng = make_engine(url)
    with sessionmaker(bind=eng)() as s:
        rows = list(
            s.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "sign_in", AuditLog.entity_id == username)
                .order_by(AuditLog.id)
            )
        )
        s.expunge_all()
    eng.dispose()
    return rows


def _counter(url: str, key: str) -> SignInThrottle | None:
    eng = make_engine(url)
    with sessionmaker(bind=eng, expire_on_commit=False)() as s:
        row = s.get(SignInThrottle, key)
    eng.dispose()
    return row


def test_twenty_processes_nineteen_wrong_one_right(db_url):
    """Every attempt is counted once, in one order, and the lock follows the count."""
    _with_users(db_url, "dana")
    # real processes; imports paid once, not 20 times. The forkserver is one per
    # process and outlives this test: preload the solver's modules as well, or
    # every later search in this test process would import OR-Tools anew
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([*FORKSERVER_PRELOAD, "dispatch.access.auth"])
    with ctx.Manager() as manager:
        barrier = manager.Barrier(20)
        jobs = [(db_url, "dana", RIGHT, barrier)] + [
            (db_url, "dana", f"wrong guess {i}", barrier) for i in range(19)
        ]
        with ctx.Pool(20) as pool:
            outcomes = pool.map(_attempt, jobs, chunksize=1)
    events = _events(db_url, "dana")
    assert len(events) == 20
    assert sorted(e.action for e in events) == sorted(outcomes)
    assert outcomes.count(str(Outcome.OK)) <= 1
    # Replay the serialised order: each counted failure adds exactly one.
    count = 0
    for e in events:
        if e.action == Outcome.OK:
            assert count < ACCOUNT.free
            count = 0
        elif e.action == Outcome.FAILED:
            assert count < ACCOUNT.free, "a failure was counted during the back-off"
            count += 1
        else:
            assert e.action == Outcome.THROTTLED
            assert count >= ACCOUNT.free
        assert e.change["account_failures"] == count
    row = _counter(db_url, "account:dana")
    assert row is not None and row.failures == count
    assert count == ACCOUNT.free  # the sixth and later attempts were refused
    assert row.locked_until is not None and row.locked_until > utcnow()
    # After the last success (if the right one came early), exactly five wrong ones
    # were counted; every later attempt was refused without being counted.
    actions = [e.action for e in events]
    after = (
        actions[actions.index(Outcome.OK) + 1 :] if Outcome.OK in actions else actions
    )
    assert after.count(Outcome.FAILED) == ACCOUNT.free


def test_backoff_refuses_even_the_right_password_then_lets_it_in(db_url):
    _with_users(db_url, "dana")
    t0 = utcnow()
    for i in range(ACCOUNT.free):
        assert (
            sign_in("dana", f"nope {i}", url=db_url, now=t0).outcome == "sign_in_failed"
        )
    locked = sign_in("dana", RIGHT, url=db_url, now=t0 + timedelta(seconds=1))
    assert locked.outcome == Outcome.THROTTLED and locked.user is None
    # Guessing during the back-off neither counts nor extends it.
    for _ in range(3):
        sign_in("dana", "still wrong", url=db_url, now=t0 + timedelta(seconds=2))
    row = _counter(db_url, "account:dana")
    assert row is not None and row.failures == ACCOUNT.free
    assert row.locked_until == t0 + ACCOUNT.base
    # After the back-off, the right password signs in and clears the counter.
    ok = sign_in(
        "dana", RIGHT, url=db_url, now=t0 + ACCOUNT.base + timedelta(seconds=1)
    )
    assert ok.outcome == Outcome.OK and isinstance(ok.user, SignedIn)
    row = _counter(db_url, "account:dana")
    assert row is not None and (row.failures, row.locked_until) == (0, None)


def test_backoff_doubles_and_is_capped():
    assert ACCOUNT.wait(ACCOUNT.free - 1) is None
    assert ACCOUNT.wait(ACCOUNT.free) == ACCOUNT.base
    assert ACCOUNT.wait(ACCOUNT.free + 1) == 2 * ACCOUNT.base
    assert ACCOUNT.wait(ACCOUNT.free + 40) == ACCOUNT.cap


def test_a_client_guessing_many_names_is_slowed(db_url):
    _with_users(db_url, "dana")
    t0 = utcnow()
    for i in range(CLIENT.free):
        sign_in(f"nobody{i}", "x", client="203.0.113.9", url=db_url, now=t0)
    # The client is in back-off: even a real user's right password from there waits...
    refused = sign_in("dana", RIGHT, client="203.0.113.9", url=db_url, now=t0)
    assert refused.outcome == Outcome.THROTTLED
    # ...while the same user from another client signs in.
    assert sign_in("dana", RIGHT, client="198.51.100.4", url=db_url, now=t0).user


def test_admin_unlock_lifts_the_backoff(db_url):
    _with_users(db_url, "dana")
    _with_users(db_url, "root", role="admin")
    for i in range(ACCOUNT.free):
        sign_in("dana", f"nope {i}", url=db_url)
    assert sign_in("dana", RIGHT, url=db_url).outcome == Outcome.THROTTLED
    eng = make_engine(db_url)
    boss = SignedIn(0, "root", "Root", "admin", None, None, None)
    with sessionmaker(bind=eng).begin() as s:
        assert admin.unlock(s, boss, "Dana") is True
    eng.dispose()
    assert sign_in("dana", RIGHT, url=db_url).outcome == Outcome.OK


def test_unknown_inactive_and_wrong_are_one_answer(db_url):
    _with_users(db_url, "dana", "gone")
    eng = make_engine(db_url)
    boss = SignedIn(0, "root", "Root", "admin", None, None, None)
    with sessionmaker(bind=eng).begin() as s:
        make_user(s, "root", RIGHT, role="admin")
        admin.deactivate(s, boss, "gone")
    eng.dispose()
    for name, pw in (("dana", "wrong"), ("gone", RIGHT), ("ghost", RIGHT)):
        a = sign_in(name, pw, url=db_url)
        assert (a.outcome, a.user) == (Outcome.FAILED, None)
        assert a.account_failures == 1  # unknown names are counted like real ones


def test_timing_does_not_tell_who_exists_or_is_locked(tmp_path, _sqlite_template):
    """Existing, locked and unknown users cost the same (medians within noise)."""
    import shutil

    path = tmp_path / "t.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    _with_users(url, "dana", "lola")
    for i in range(ACCOUNT.free):
        sign_in("lola", f"nope {i}", url=url)
    sign_in("warmup", "x", url=url)
    cases = {"existing": "dana", "locked": "lola", "unknown": "ghost"}
    times: dict[str, list[float]] = {k: [] for k in cases}
    for round_ in range(7):
        for label, name in cases.items():
            t = time.perf_counter()
            sign_in(name, f"guess {round_}", url=url)
            times[label].append(time.perf_counter() - t)
    medians = {k: statistics.median(v) for k, v in times.items()}
    fastest, slowest = min(medians.values()), max(medians.values())
    assert slowest / fastest < 1.5, medians
