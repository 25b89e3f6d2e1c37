"""Local users: argon2 password hashes, sign-in that resists races and guessing.

Every attempt does the same work whatever the account: one argon2 verification (against
a dummy hash when the user does not exist or is inactive), then one short write
transaction that locks the throttle counters of the account name and of the client
(``data.models.SignInThrottle``), decides and counts. Nothing is read and written
back without a row lock (PostgreSQL ``FOR UPDATE``; SQLite's writer ``BEGIN IMMEDIATE``).

Throttling is a back-off, not a permanent lock: after ``free`` failures a counter
refuses every attempt for ``base * 2**(n - free)`` (capped); attempts during the
back-off are refused without being counted (so guessing cannot extend it), and the
right password once the back-off is over signs in and clears the account's counter.
An admin can clear it at once (``dispatch.access.admin.unlock``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data import audit
from data.base import utcnow
from data.db import retry_locked, sessions
from data.models import SignInThrottle, Site, User

__all__ = [
    "ACCOUNT",
    "CLIENT",
    "Attempt",
    "Backoff",
    "Outcome",
    "SignedIn",
    "account_key",
    "authenticate",
    "hash_password",
    "normalize_username",
    "sign_in",
    "signed_in",
    "verify_password",
]

_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when there is no usable hash, so unknown users cost what known ones do
    (made on first use: a command that signs nobody in does not pay an argon2 hash)."""
    return _HASHER.hash("tournee: no such user, same work")


@dataclass(frozen=True, slots=True)
class Backoff:
    """``free`` failures are let through; then wait ``base * 2**(n - free)``, at most ``cap``.

    A counter not failed for ``forget_after`` starts again from zero.
    """

    free: int
    base: timedelta
    cap: timedelta
    forget_after: timedelta

    def wait(self, failures: int) -> timedelta | None:
        if failures < self.free:
            return None
        wait: timedelta = self.base * 2 ** min(failures - self.free, 20)
        return min(wait, self.cap)


#: Per account name (known or not): five tries, then 30 s, 1 min, 2 min... up to 15 min.
ACCOUNT = Backoff(5, timedelta(seconds=30), timedelta(minutes=15), timedelta(hours=24))
#: Per client address, across account names: twenty tries, then up to an hour.
CLIENT = Backoff(20, timedelta(seconds=30), timedelta(hours=1), timedelta(hours=1))


class Outcome(StrEnum):
    OK = "signed_in"
    FAILED = "sign_in_failed"
    THROTTLED = "sign_in_throttled"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who is signed in: what the dashboard keeps in its session state."""

    user_id: int
    username: str
    display_name: str
    role: str
    store_id: int | None
    store_name: str | None
    region: str | None
    technician_id: int | None = None  # technicians: whose round they see
    session_version: int = 0  # the user row's value at sign-in (access.sessions)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one sign-in attempt did. Show users only whether ``user`` is set."""

    outcome: Outcome
    user: SignedIn | None
    account_failures: int
    retry_after: datetime | None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored``; a missing hash costs the same work."""
    try:
        return _HASHER.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def normalize_username(username: str) -> str:
    return username.strip().lower()[:64]


def account_key(username: str) -> str:
    return f"account:{normalize_username(username)}"


def signed_in(session: Session, user: User) -> SignedIn:
    """The session-state copy of ``user`` as the row says now."""
    store = session.get(Site, user.store_id) if user.store_id else None
    return SignedIn(
        user.id,
        user.username,
        user.display_name,
        user.role,
        user.store_id,
        store.name if store else None,
        user.region,
        user.technician_id,
        user.session_version,
    )


def authenticate(
    session: Session, username: str, password: str, *, client: str | None = None
) -> SignedIn | None:
    """The user if the password matches and no back-off is running; else None.

    Runs :func:`sign_in` on ``session``'s database in transactions of its own (so
    ``session`` must not hold a write transaction open on SQLite).
    """
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    return sign_in(username, password, client=client, url=url).user


def sign_in(
    username: str,
    password: str,
    *,
    client: str | None = None,
    url: str | None = None,
    now: datetime | None = None,
) -> Attempt:
    """One sign-in attempt from ``client`` (an address, or None when unknown)."""
    name = normalize_username(username)
    with sessions(url)() as s:
        row = s.execute(
            select(User.id, User.password_hash, User.active).where(
                User.username == name
            )
        ).first()
    stored = row.password_hash if row is not None and row.active else None
    verified = verify_password(stored, password)  # always hashed, whoever asks

    def decide() -> Attempt:
        at = now or utcnow()
        with sessions(url, writer=True).begin() as s:
            account = _locked_counter(s, account_key(name))
            peer = _locked_counter(s, f"client:{client}"[:120]) if client else None
            _forget(account, ACCOUNT, at)
            if peer is not None:
                _forget(peer, CLIENT, at)
            waits = [
                c.locked_until
                for c in (account, peer)
                if c is not None and c.locked_until is not None and c.locked_until > at
            ]
            user = None
            if waits:
                outcome = Outcome.THROTTLED
            else:
                if verified and row is not None:
                    user = s.get(
                        User, row.id, with_for_update=True, populate_existing=True
                    )
                    if user is None or not user.active or user.password_hash != stored:
                        user = None  # deactivated or reset since we read it
                if user is not None:
                    outcome = Outcome.OK
                    account.failures, account.locked_until = 0, None
                    if _HASHER.check_needs_rehash(user.password_hash):
                        user.password_hash = hash_password(password)
                else:
                    outcome = Outcome.FAILED
                    _count(account, ACCOUNT, at)
                    if peer is not None:
                        _count(peer, CLIENT, at)
            audit.record(
                s,
                f"signin:{client or 'unknown client'}"[:64],
                "sign_in",
                name[:40],
                str(outcome),
                client=client,
                account_failures=account.failures,
            )
            return Attempt(
                outcome,
                signed_in(s, user) if user is not None else None,
                account.failures,
                max(waits) if waits else account.locked_until,
            )

    return retry_locked(decide)


def _locked_counter(s: Session, key: str) -> SignInThrottle:
    """The counter row for ``key``, created if missing, locked until commit."""
    dialect = s.get_bind().dialect.name
    values = {"key": key, "failures": 0}
    if dialect == "postgresql":
        s.execute(pg_insert(SignInThrottle).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        s.execute(sqlite_insert(SignInThrottle).values(values).on_conflict_do_nothing())
    elif s.get(SignInThrottle, key) is None:
        s.execute(insert(SignInThrottle).values(values))
    return s.scalars(
        select(SignInThrottle)
        .where(SignInThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _forget(c: SignInThrottle, policy: Backoff, at: datetime) -> None:
    quiet = c.last_failure_at is None or at - c.last_failure_at >= policy.forget_after
    over = c.locked_until is None or c.locked_until <= at
    if c.failures and quiet and over:
        c.failures, c.locked_until = 0, None


def _count(c: SignInThrottle, policy: Backoff, at: datetime) -> None:
    c.failures += 1
    c.last_failure_at = at
    wait = policy.wait(c.failures)
    c.locked_until = at + wait if wait is not None else None
