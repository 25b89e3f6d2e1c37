"""Managing users: create, change role/store/technician, reset password, deactivate, unlock.

Only admins may (``check_role(actor, ADMIN)``), except for the very first admin of an
empty database (:func:`add_user` with ``bootstrap=True``, what ``tournee user add``
does). Every change is audited; deactivating or resetting a password bumps the user's
``session_version``, which ends every session they have open (``sessions.revalidate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from data import audit
from data.base import utcnow
from data.enums import Role, SiteKind
from data.models import SignInThrottle, Site, Technician, User
from dispatch.access.auth import account_key, hash_password, normalize_username
from dispatch.access.passwords import check_password
from dispatch.access.roles import Principal, check_role

__all__ = [
    "AccountsStatus",
    "UserError",
    "UserRow",
    "accounts_status",
    "add_user",
    "deactivate",
    "list_users",
    "reset_password",
    "set_user",
    "unlock",
]

_USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
_KEEP = object()  # "leave as it is" for optional arguments that may be set to None


class UserError(ValueError):
    """A refused user change; the message names the field and the reason."""


@dataclass(frozen=True, slots=True)
class UserRow:
    """One user as the admin page and ``tournee user list`` show it."""

    username: str
    display_name: str
    role: str
    store: str | None  # "STO-001 · Lyon Part-Dieu"
    technician: str | None
    region: str | None
    active: bool
    demo: bool
    locked_until: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccountsStatus:
    """What the sign-in page may say before anyone signs in."""

    users: int
    demo_accounts: int  # active accounts created by `tournee demo`


def accounts_status(session: Session) -> AccountsStatus:
    users = session.scalar(select(func.count(User.id))) or 0
    demo = (
        session.scalar(
            select(func.count(User.id)).where(
                User.demo.is_(True), User.active.is_(True)
            )
        )
        or 0
    )
    return AccountsStatus(users, demo)


def _has_technician_column() -> bool:
    return "technician_id" in User.__table__.columns


def list_users(session: Session, actor: Principal) -> list[UserRow]:
    check_role(actor, Role.ADMIN)
    return _rows(session)


def _rows(session: Session) -> list[UserRow]:
    now = utcnow()
    locks = {
        t.key: t.locked_until
        for t in session.scalars(
            select(SignInThrottle).where(SignInThrottle.locked_until > now)
        )
    }
    sites = {s.id: f"{s.code} · {s.name}" for s in session.scalars(select(Site))}
    techs: dict[int, str] = {}
    if _has_technician_column():
        techs = {
            t.id: f"{t.code} · {t.name}" for t in session.scalars(select(Technician))
        }
    rows = []
    for u in session.scalars(select(User).order_by(User.username)):
        tech_id = getattr(u, "technician_id", None)
        rows.append(
            UserRow(
                u.username,
                u.display_name,
                u.role,
                sites.get(u.store_id) if u.store_id else None,
                techs.get(tech_id) if tech_id else None,
                u.region,
                u.active,
                u.demo,
                locks.get(account_key(u.username)),
                u.created_at,
            )
        )
    return rows


def _user(session: Session, username: str) -> User:
    user = session.scalar(
        select(User)
        .where(User.username == normalize_username(username))
        .with_for_update()
    )
    if user is None:
        raise UserError(f"user {username!r}: no such user")
    return user


def _role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise UserError(f"role {role!r}: not a role (one of {allowed})") from None


def _store_id(session: Session, store: str | int | None) -> int | None:
    if store is None or store == "":
        return None
    q = select(Site).where(Site.kind == SiteKind.STORE)
    if isinstance(store, int) or str(store).isdigit():
        q = q.where(Site.id == int(store))
    else:
        q = q.where(func.upper(Site.code) == str(store).strip().upper())
    site = session.scalar(q)
    if site is None:
        raise UserError(f"store {store!r}: no such store (give its code, e.g. STO-001)")
    return site.id


def _technician_id(session: Session, technician: str | int | None) -> int | None:
    if technician is None or technician == "":
        return None
    if not _has_technician_column():
        raise UserError("technician: this database cannot bind users to technicians")
    q = select(Technician)
    if isinstance(technician, int) or str(technician).isdigit():
        q = q.where(Technician.id == int(technician))
    else:
        q = q.where(func.upper(Technician.code) == str(technician).strip().upper())
    tech = session.scalar(q)
    if tech is None:
        raise UserError(f"technician {technician!r}: no such technician (give a code)")
    return tech.id


def _check_binding(role: Role, store_id: int | None, technician_id: int | None) -> None:
    if role == Role.STORE_STAFF and store_id is None:
        raise UserError("store: store staff must be bound to a store (--store CODE)")
    if role != Role.STORE_STAFF and store_id is not None:
        raise UserError(f"store: only store staff have a store (role is {role.value})")
    if _has_technician_column():
        if role == Role.TECHNICIAN and technician_id is None:
            raise UserError(
                "technician: technicians must be bound to one (--technician CODE)"
            )
        if role != Role.TECHNICIAN and technician_id is not None:
            raise UserError(
                f"technician: only technicians are bound to one (role is {role.value})"
            )


def _check_password(password: str, username: str) -> None:
    try:
        check_password(password, username)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def add_user(
    session: Session,
    actor: Principal,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    store: str | int | None = None,
    technician: str | int | None = None,
    region: str | None = None,
    bootstrap: bool = False,
) -> UserRow:
    """Create a user. ``bootstrap``: the first admin of a database with no users."""
    name = normalize_username(username)
    the_role = _role(role)
    first = bootstrap and not session.scalar(select(func.count(User.id)))
    if not (first and the_role == Role.ADMIN):
        check_role(actor, Role.ADMIN)
    if not name or len(name) < 2 or not set(name) <= _USERNAME_CHARS:
        raise UserError(f"username {username!r}: use 2-64 of a-z, 0-9, '.', '_' or '-'")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise UserError(f"username {name!r}: already taken")
    _check_password(password, name)
    store_id = _store_id(session, store)
    tech_id = _technician_id(session, technician)
    _check_binding(the_role, store_id, tech_id)
    values: dict[str, Any] = dict(
        username=name,
        display_name=(display_name or name).strip()[:120],
        password_hash=hash_password(password),
        role=the_role.value,
        store_id=store_id,
        region=region or None,
        active=True,
        failed_logins=0,
        session_version=0,
        demo=False,
    )
    if _has_technician_column():
        values["technician_id"] = tech_id
    user = User(**values)
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor.username,
        "user",
        name,
        "created",
        role=the_role.value,
        store_id=store_id,
        technician_id=tech_id,
        first_admin=bool(first),
    )
    return _row(session, name)


def set_user(
    session: Session,
    actor: Principal,
    username: str,
    *,
    role: str | None = None,
    store: Any = _KEEP,
    technician: Any = _KEEP,
    display_name: str | None = None,
    region: Any = _KEEP,
    active: bool | None = None,
) -> UserRow:
    """Change a user's role and bindings, name, region or active flag (audited)."""
    check_role(actor, Role.ADMIN)
    user = _user(session, username)
    change: dict[str, Any] = {}
    new_role = _role(role) if role is not None else Role(user.role)
    store_id = user.store_id if store is _KEEP else _store_id(session, store)
    tech_id = (
        getattr(user, "technician_id", None)
        if technician is _KEEP
        else _technician_id(session, technician)
    )
    if role is not None and new_role != Role.STORE_STAFF and store is _KEEP:
        store_id = None  # a store belongs to store staff only
    if role is not None and new_role != Role.TECHNICIAN and technician is _KEEP:
        tech_id = None
    _check_binding(new_role, store_id, tech_id)
    if active is False and user.username == normalize_username(actor.username):
        raise UserError("active: you cannot deactivate your own account")
    if (new_role != Role.ADMIN or active is False) and user.role == Role.ADMIN:
        _keep_an_admin(session, user)

    def assign(field: str, value: Any) -> None:
        if getattr(user, field) != value:
            change[field] = [getattr(user, field), value]
            setattr(user, field, value)

    assign("role", new_role.value)
    assign("store_id", store_id)
    if _has_technician_column():
        assign("technician_id", tech_id)
    if display_name and display_name.strip():
        assign("display_name", display_name.strip()[:120])
    if region is not _KEEP:
        assign("region", region or None)
    if active is not None:
        assign("active", active)
    if active is False and "active" in change:
        user.session_version += 1  # sign out everywhere
    if change:
        audit.record(
            session, actor.username, "user", user.username, "changed", **change
        )
    session.flush()
    return _row(session, user.username)


def _keep_an_admin(session: Session, user: User) -> None:
    others = session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    )
    if not others:
        raise UserError(f"user {user.username!r}: the last active admin must stay one")


def deactivate(session: Session, actor: Principal, username: str) -> UserRow:
    """Deactivate a user: they cannot sign in, and open sessions end on their next run."""
    return set_user(session, actor, username, active=False)


def reset_password(
    session: Session, actor: Principal, username: str, password: str
) -> UserRow:
    """Set a new password (policy checked), end the user's sessions and lift any lock."""
    check_role(actor, Role.ADMIN)
    user = _user(session, username)
    _check_password(password, user.username)
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.execute(
        delete(SignInThrottle).where(SignInThrottle.key == account_key(user.username))
    )
    audit.record(session, actor.username, "user", user.username, "password_reset")
    session.flush()
    return _row(session, user.username)


def unlock(session: Session, actor: Principal, username: str) -> bool:
    """Clear the sign-in back-off of ``username``; True if one was running."""
    check_role(actor, Role.ADMIN)
    key = account_key(username)
    row = session.get(SignInThrottle, key, with_for_update=True)
    was_locked = bool(row and row.locked_until and row.locked_until > utcnow())
    if row is not None:
        session.delete(row)
    audit.record(
        session,
        actor.username,
        "user",
        normalize_username(username)[:40],
        "unlocked",
        was_locked=was_locked,
    )
    session.flush()
    return was_locked


def _row(session: Session, username: str) -> UserRow:
    return next(r for r in _rows(session) if r.username == username)
