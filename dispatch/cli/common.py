"""What every `tournee` command group shares: the refusal type, the actor, tables, transactions.

A command is a thin wrapper: it parses its arguments, runs one read or one write
transaction through the service that owns the change, and prints. Refusals the services
raise become one line on stderr and a non-zero exit (see :func:`dispatch.cli.main.main`).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from data.db import migrate, retry_locked, sessions, write_session
from data.enums import Role

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CliUser:
    """The principal a command acts as when page services check roles.

    Scripts and cron run as the OS user with the admin role; the audit log records
    ``cli:<os user>`` (see :func:`default_actor`).
    """

    username: str
    role: str = Role.ADMIN.value
    store_id: int | None = None


def cli_user() -> CliUser:
    return CliUser(default_actor())


class CommandError(Exception):
    """A refusal to report on one line, with a non-zero exit status."""


def default_actor() -> str:
    """The OS user running the command, recorded in the audit log as ``cli:<user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def write(
    fn: Callable[[Session], T], refusals: tuple[type[BaseException], ...] = ()
) -> T:
    """One write transaction, retried when SQLite reports a lock; refusals -> one line."""
    migrate()

    def attempt() -> T:
        with write_session() as s:
            return fn(s)

    try:
        return retry_locked(attempt)
    except refusals as exc:
        raise CommandError(str(exc).splitlines()[0]) from exc


def read(
    fn: Callable[[Session], T], refusals: tuple[type[BaseException], ...] = ()
) -> T:
    """One read-only session; refusals -> one line."""
    migrate()
    with sessions()() as s:
        try:
            return fn(s)
        except refusals as exc:
            raise CommandError(str(exc).splitlines()[0]) from exc


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain fixed-width table (scripts can still cut columns on two spaces)."""
    cells = [[str(h) for h in headers]] + [
        ["" if v is None else str(v) for v in r] for r in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in cells
    )
