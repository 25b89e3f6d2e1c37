"""Who may see what: checks services call, whatever the page did before.

The dashboard hides other roles' pages and each page checks the role again; services
that read or change one store's data call :func:`check_store_access` too, so a crafted
URL or a bug in a page still cannot show another store's bags or loaners.
"""

from __future__ import annotations

from typing import Protocol

from data.enums import Role

__all__ = [
    "AccessDenied",
    "Principal",
    "acting",
    "check_role",
    "check_store_access",
    "store_scope",
]


class Principal(Protocol):
    """Anything that says who is acting (``dispatch.access.auth.SignedIn`` does)."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def store_id(self) -> int | None: ...


class AccessDenied(PermissionError):
    """``user`` may not ``what``. The message names both, for logs; show a short one."""

    def __init__(self, username: str, what: str) -> None:
        super().__init__(f"{username!r} may not {what}")
        self.username = username
        self.what = what


def _a_principal(user: object) -> None:
    """A bare name (``"cli"``, ``"test"``) is no user: refused, so no caller skips a check."""
    if isinstance(user, str) or not hasattr(user, "role"):
        raise TypeError(
            f"actor {user!r}: pass the acting user (a Principal), not a name"
        )


def check_role(user: Principal, *roles: str) -> None:
    """Raise ``AccessDenied`` unless the user has one of ``roles`` (admin always may);
    ``TypeError`` for a bare name instead of a user."""
    _a_principal(user)
    if user.role != Role.ADMIN and user.role not in roles:
        allowed = " or ".join(str(r) for r in roles)
        raise AccessDenied(user.username, f"act as {allowed} (role is {user.role})")


def acting(actor: Principal, *roles: str) -> str:
    """Check ``actor`` has one of ``roles`` and answer the name the audit log records.

    Only a principal passes: a plain name (``"cli"``, ``"test"``) is refused with
    ``TypeError``, so no caller can skip the check by naming someone. What runs after a
    checked call (a worker executing a queued plan run, a relay re-chosen inside an
    order change) records the name that call checked.
    """
    check_role(actor, *roles)
    return actor.username


def check_store_access(user: Principal, store_id: int) -> None:
    """Raise ``AccessDenied`` if store staff reach for another store's data.

    Store staff see their own store only; store staff bound to no store see none.
    Dispatchers, managers and admins may see every store.
    """
    _a_principal(user)
    if user.role == Role.STORE_STAFF and (
        user.store_id is None or user.store_id != store_id
    ):
        raise AccessDenied(user.username, f"see store {store_id}")
    if user.role not in set(Role):
        raise AccessDenied(
            user.username, f"see store {store_id} (unknown role {user.role!r})"
        )


def store_scope(user: Principal) -> int | None:
    """The one store a query must be limited to, or None for every store.

    Raises ``AccessDenied`` for store staff bound to no store.
    """
    _a_principal(user)
    if user.role == Role.STORE_STAFF:
        if user.store_id is None:
            raise AccessDenied(user.username, "see any store (not bound to one)")
        return user.store_id
    if user.role not in set(Role):
        raise AccessDenied(user.username, f"see stores (unknown role {user.role!r})")
    return None
