"""`tournee migrate`, `tournee demo`, `tournee import`."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from data import demo
from data.db import database_url, migrate, write_session


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "migrate", help="bring the database schema to the latest version"
    )
    p.set_defaults(func=_migrate)

    p = sub.add_parser("demo", help="create the database and seed the demo network")
    p.add_argument("--scale", choices=sorted(demo.SCALES), default="national")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        help="the demo day (YYYY-MM-DD)",
    )
    p.add_argument(
        "--if-empty", action="store_true", help="do nothing when data is already there"
    )
    p.add_argument(
        "--no-morning",
        action="store_true",
        help="a day nobody has planned yet: skip the first region's published rounds, "
        "vans out, workshop returns and the technician on the way at 07:00",
    )
    p.set_defaults(func=_demo)

    from dispatch.intake import registry

    p = sub.add_parser(
        "import",
        help="import a CSV file, all rows or none (--columns lists a kind's columns)",
        description="Check every row of FILE, then write all of them or none. "
        "`tournee import KIND --columns` prints the columns of KIND.",
    )
    p.add_argument("kind", choices=registry.names())
    p.add_argument("file", nargs="?", help="the CSV file (not needed with --columns)")
    p.add_argument(
        "--columns", action="store_true", help="print every column of KIND and exit"
    )
    p.add_argument(
        "--markdown", action="store_true", help="with --columns: as a README table"
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="rows whose id exists change it (upsert); still all or nothing",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="check and report what would be created/changed; write nothing",
    )
    p.add_argument(
        "--ignore-unknown",
        action="store_true",
        help="skip columns the kind does not know instead of refusing the file",
    )
    p.add_argument(
        "--encoding", help="the file's encoding (default: UTF-8, else Windows-1252)"
    )
    p.add_argument("--actor", default=None, help=argparse.SUPPRESS)  # = --as USER
    p.set_defaults(func=_import)


def _migrate(args: argparse.Namespace) -> int:
    migrate()
    print(f"schema at head on {_safe(database_url())}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from dispatch.demo_rules import demo_rules

    t0 = time.perf_counter()
    migrate()
    with write_session() as s:
        if not demo.is_empty(s):
            if args.if_empty:
                print("database already holds data: demo not reseeded")
                return 0
            demo.wipe(s)
        day = args.date or demo.default_day()
        counts = demo.seed_demo(
            s, scale=args.scale, seed=args.seed, day=day, rules=demo_rules()
        )
        morning = None
        if not args.no_morning:
            from dispatch.demo_morning import play_morning

            morning = play_morning(s, day)
    print(
        f"demo network ({args.scale}, day {day}) in {time.perf_counter() - t0:.1f} s on "
        f"{_safe(database_url())}\n  {counts}" + (f"\n  {morning}" if morning else "")
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from dispatch.access.roles import AccessDenied, check_role
    from dispatch.cli.common import CommandError, command_user
    from dispatch.intake import registry
    from dispatch.intake.columns import markdown_table, text_table
    from dispatch.intake.pipeline import IMPORT_ROLES, ImportRejected, run_import

    if args.columns:
        model = registry.get(args.kind).row_model
        show = markdown_table if args.markdown else text_table
        print(show(args.kind, model))
        return 0
    if not args.file:
        print(
            f"tournee import {args.kind}: give the CSV file "
            f"(or --columns to see its columns)",
            file=sys.stderr,
        )
        return 2
    who = command_user(args)  # --as USER (or --actor USER), else the OS operator
    try:
        check_role(who, *IMPORT_ROLES)  # the Data page's roles
    except AccessDenied as exc:
        raise CommandError(str(exc)) from exc
    migrate()
    t0 = time.perf_counter()
    with _progress(args.file) as tick:
        try:
            report = run_import(
                args.kind,
                args.file,
                actor=who,
                update=args.update,
                dry_run=args.dry_run,
                ignore_unknown=args.ignore_unknown,
                encoding=args.encoding,
                progress=tick,
                writing=tick.writing,
            )
        except ImportRejected as exc:
            tick.close()
            print(exc.report(), file=sys.stderr)
            return 1
    print(f"{report}\n  ({time.perf_counter() - t0:.1f} s)")
    return 0


class _Bar:
    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def writing(self, n: int) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
            print(f"writing {n:,} rows...", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextmanager
def _progress(path: str) -> Iterator[_Bar]:
    """A row counter on the terminal (nothing when stderr is not a terminal)."""
    from tqdm import tqdm

    if not sys.stderr.isatty():
        yield _Bar(None)
        return
    try:
        with open(path, "rb") as fh:
            total = sum(
                chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")
            )
    except OSError:
        total = None
    bar = _Bar(tqdm(total=total, unit=" rows", desc="checking", file=sys.stderr))
    try:
        yield bar
    finally:
        bar.close()


def _safe(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}@{host}"
    return url
