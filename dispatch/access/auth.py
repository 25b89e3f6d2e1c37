"""Local users: argon2 password hashes, sign-in with a lock-out after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import utcnow
from data.models import Site, User

_HASHER = PasswordHasher()
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=5)


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


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def authenticate(session: Session, username: str, password: str) -> SignedIn | None:
    """The user if the password matches; counts failures and locks for a while after five."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    now = utcnow()
    if user is None or not user.active:
        _HASHER.hash(password)  # same work either way: no timing oracle on usernames
        return None
    if user.locked_until and user.locked_until > now:
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCK_FOR, 0
        return None
    user.failed_logins, user.locked_until = 0, None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
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
    )
