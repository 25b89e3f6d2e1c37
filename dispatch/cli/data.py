"""`tournee migrate`, `tournee demo`, `tournee import`."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

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
    p.set_defaults(func=_demo)

    p = sub.add_parser("import", help="import a CSV file, all rows or none")
    p.add_argument("kind", choices=["customers", "tickets", "orders"])
    p.add_argument("file")
    p.add_argument("--actor", default="cli")
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
    print(
        f"demo network ({args.scale}, day {day}) in {time.perf_counter() - t0:.1f} s on "
        f"{_safe(database_url())}\n  {counts}"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from dispatch.intake.pipeline import ImportRejected, import_file

    migrate()
    try:
        with write_session() as s:
            report = import_file(s, args.kind, args.file, actor=args.actor)
    except ImportRejected as exc:
        print(exc.report(), file=sys.stderr)
        return 1
    print(report)
    return 0


def _safe(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}@{host}"
    return url
