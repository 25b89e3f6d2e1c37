"""Sessions that follow the account: re-checked on every run, ended when idle.

A signed-in session keeps a :class:`~dispatch.access.auth.SignedIn` copy of the user
row, including its ``session_version``. Each run of a page calls :func:`revalidate`
(one primary-key read): a deactivated user, a bumped version (an admin reset the
password or deactivated the account: sign-out everywhere) or a renamed account ends
the session; a changed role, store or name takes effect at once.
"""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import User
from dispatch.access.auth import SignedIn, signed_in

__all__ = ["DEFAULT_IDLE", "IDLE_ENV", "idle_timeout", "load_principal", "revalidate"]

IDLE_ENV = "TOURNEE_IDLE_MINUTES"
DEFAULT_IDLE = timedelta(hours=8)


def idle_timeout() -> timedelta:
    """Inactivity after which a session ends: ``TOURNEE_IDLE_MINUTES`` (default 8 h)."""
    raw = os.environ.get(IDLE_ENV, "").strip()
    try:
        minutes = float(raw) if raw else None
    except ValueError:
        minutes = None
    if minutes is None or minutes <= 0:
        return DEFAULT_IDLE
    return timedelta(minutes=minutes)


def revalidate(session: Session, user: SignedIn) -> SignedIn | None:
    """``user`` as the database says now, or None when the session must end."""
    row = session.get(User, user.user_id, populate_existing=True)
    if (
        row is None
        or not row.active
        or row.username != user.username
        or row.session_version != user.session_version
    ):
        return None
    fresh = signed_in(session, row)
    return user if fresh == user else fresh


def load_principal(session: Session, username: str) -> SignedIn | None:
    """The active user ``username`` as a principal (the CLI's ``--as USER``), or None."""
    row = session.scalar(select(User).where(User.username == username.strip().lower()))
    if row is None or not row.active:
        return None
    return signed_in(session, row)
