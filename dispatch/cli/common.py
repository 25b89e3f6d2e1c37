"""What every `tournee` command group shares: the refusal type, the actor, tables, transactions,
and argument types for numbers (`number_arg`, `SECONDS`).

A command is a thin wrapper: it parses its arguments, runs one read or one write
transaction through the service that owns the change, and prints. Refusals the services
raise become one line on stderr and a non-zero exit (see :func:`dispatch.cli.main.main`).
"""

from __future__ import annotations

import argparse
import getpass
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from data.db import migrate, retry_locked, sessions, write_session
from data.enums import Role

T = TypeVar("T")

#: Environment variable naming the Tournée user the CLI acts as (like ``--as USER``).
ACT_AS_ENV = "TOURNEE_USER"
_act_as: str | None = None


@dataclass(frozen=True, slots=True)
class CliUser:
    """The principal a command acts as when page services check roles.

    Without ``--as``/``TOURNEE_USER``, scripts and cron run as the OS user, the
    installation's operator, with the admin role; the audit log records
    ``cli:<os user>`` (see :func:`default_actor`).
    """

    username: str
    role: str = Role.ADMIN.value
    store_id: int | None = None
    technician_id: int | None = None


def act_as(username: str | None) -> None:
    """Make every command of this process act as ``username`` (``tournee --as``)."""
    global _act_as
    _act_as = username.strip() if username and username.strip() else None


def acting_username() -> str | None:
    """The Tournée user named by ``--as`` or ``TOURNEE_USER``, if any."""
    return _act_as or (os.environ.get(ACT_AS_ENV) or "").strip() or None


def cli_user(as_name: str | None = None, flag: str = "--as") -> Any:
    """The principal commands act as: the ``--as`` user as the database has them
    (role, store; refused if unknown or inactive), else the OS user as operator."""
    name = as_name or acting_username()
    if name is None:
        return CliUser(default_actor())
    from dispatch.access.sessions import load_principal

    migrate()
    with sessions()() as s:
        who = load_principal(s, name)
    if who is None:
        raise CommandError(f"{flag} {name}: no such active user")
    return who


#: Help of the ``--actor`` option some commands kept for scripts.
ACTOR_HELP = "the Tournée user to act as, like `tournee --as USER` (kept for scripts)"


def command_user(args: Any) -> Any:
    """:func:`cli_user` for a command that kept its older ``--actor NAME`` option.

    ``--actor NAME`` no longer writes a free-text name in the audit log: it means
    ``--as NAME`` (the user must exist and be active; the services check their role).
    ``--actor`` naming the default actor itself (``cli:<os user>``, or the ``--as``
    user) changes nothing; naming another user than ``--as`` is refused.
    """
    legacy = (getattr(args, "actor", None) or "").strip()
    if not legacy or legacy.lower() == default_actor().lower():
        return cli_user()
    given = acting_username()
    if given is not None and given.lower() != legacy.lower():
        raise CommandError(f"--actor {legacy} and --as {given}: name one user")
    return cli_user(legacy, "--actor")


class CommandError(Exception):
    """A refusal to report on one line, with a non-zero exit status."""


def default_actor() -> str:
    """Who the audit log records: the ``--as`` user, else ``cli:<os user>``."""
    name = acting_username()
    if name is not None:
        return name.lower()[:64]
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


def number_arg(
    cast: Callable[[str], float], *, minimum: float, above: bool = False
) -> Callable[[str], Any]:
    """An argparse ``type=``: a finite number ``>= minimum`` (``> minimum`` when
    ``above``), else argparse's one-line usage error naming the option, never a
    traceback from deep in the planner (``--seconds -3``)."""
    rule = f"> {minimum:g}" if above else f">= {minimum:g}"

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or (value <= minimum if above else value < minimum):
            raise argparse.ArgumentTypeError(f"not a number {rule}: {text!r}")
        return value

    return parse


SECONDS = number_arg(float, minimum=0, above=True)
"""A solver time budget: seconds > 0."""
