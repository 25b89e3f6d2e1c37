"""`tournee loaner forecast|proposals|accept|refuse`: the loaner stock ahead of time.

``forecast`` prints each site's expected stock for the next days (with the band, the
safety level and the shortage days) and the transfers that would prevent them;
``--json F`` writes the contract, ``--propose`` keeps the transfers as proposals for
a dispatcher to accept or refuse.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dispatch.access.roles import AccessDenied
from dispatch.cli.common import command_user, read, table, write
from dispatch.stock import proposals as props
from dispatch.stock.service import StockForecast, forecast_stock, to_json
from loaner_pool.forecast.model import HORIZON_DAYS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

REFUSALS: tuple[type[BaseException], ...] = (
    AccessDenied,
    LookupError,
    ValueError,
)


def register_forecast(
    acts: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``forecast``, ``proposals``, ``accept`` and ``refuse`` under ``tournee loaner``."""
    a = acts.add_parser(
        "forecast", help="expected loaner stock per site and day, shortages, transfers"
    )
    a.add_argument("--site", default=None, help="one store or depot (code or id)")
    a.add_argument(
        "--days", type=int, default=HORIZON_DAYS, help="horizon (default 14)"
    )
    a.add_argument(
        "--json", dest="json_path", default=None, help="write the forecast here"
    )
    a.add_argument(
        "--date", type=date.fromisoformat, default=None, help="forecast as of this day"
    )
    a.add_argument(
        "--propose", action="store_true", help="keep the transfers as proposals"
    )
    a.set_defaults(func=_forecast)

    a = acts.add_parser("proposals", help="transfer proposals and their decisions")
    a.add_argument(
        "--all", action="store_true", help="also decided and superseded ones"
    )
    a.set_defaults(func=_list)

    a = acts.add_parser("accept", help="accept a transfer proposal (dispatcher)")
    a.add_argument("proposal", type=int)
    a.set_defaults(func=_decide, accept=True, why="")

    a = acts.add_parser("refuse", help="refuse a transfer proposal, saying why")
    a.add_argument("proposal", type=int)
    a.add_argument("--why", required=True)
    a.set_defaults(func=_decide, accept=False)


def _user(args: argparse.Namespace) -> Any:
    """``tournee --as USER`` (or ``loaner --actor USER``), else the OS operator."""
    return command_user(args)


def _print(fc: StockForecast) -> None:
    short = fc.short_sites
    print(
        f"loaner forecast as of {fc.today:%d/%m/%Y}: {len(fc.sites)} site(s), "
        f"{len(short)} short, {len(fc.transfers)} transfer(s) ({fc.seconds:.2f} s)"
    )
    rows = []
    for s in fc.sites:
        first = s.first_shortage
        low = min(d.low for d in s.days)
        rows.append(
            (
                s.site.code,
                s.site.name,
                s.now,
                f"{s.days[-1].expected:.1f}",
                f"{low:.1f}",
                s.days[0].safety,
                f"{first.day:%d/%m} (-{first.shortage})" if first else "-",
            )
        )
    print(
        table(
            ("site", "name", "now", "last day", "lowest", "safety", "first shortage"),
            rows,
        )
    )
    for t in fc.transfers:
        print(
            f"transfer {t.count} {t.family} {t.from_site.code} -> {t.to_site.code} "
            f"on {t.day:%d/%m} ({t.km:.0f} km; short on {t.for_day:%d/%m})"
        )


def _forecast(args: argparse.Namespace) -> int:
    user = _user(args)
    if args.propose:

        def run(s: Session) -> tuple[StockForecast, tuple[props.ProposalView, ...]]:
            fc = forecast_stock(
                s, user, site=args.site, days=args.days, today=args.date
            )
            saved = props.save_proposals(s, user, fc.transfers, today=fc.today)
            return fc, saved

        fc, saved = write(run, REFUSALS)
    else:
        fc = read(
            lambda s: forecast_stock(
                s, user, site=args.site, days=args.days, today=args.date
            ),
            REFUSALS,
        )
        saved = ()
    _print(fc)
    for p in saved:
        print(
            f"proposal {p.id}: {p.count} {p.family} {p.from_code} -> {p.to_code} on {p.day:%d/%m}"
        )
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps(to_json(fc), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    user = _user(args)
    rows = read(
        lambda s: props.list_proposals(
            s, user, statuses=() if args.all else ("proposed", "accepted")
        ),
        REFUSALS,
    )
    print(
        table(
            ("id", "van day", "from", "to", "family", "count", "status", "why"),
            [
                (
                    p.id,
                    f"{p.day:%d/%m/%Y}",
                    p.from_code,
                    p.to_code,
                    p.family,
                    p.count,
                    p.status,
                    p.why,
                )
                for p in rows
            ],
        )
    )
    return 0


def _decide(args: argparse.Namespace) -> int:
    user = _user(args)
    p = write(
        lambda s: props.decide(
            s, user, args.proposal, accept=args.accept, why=args.why
        ),
        (*REFUSALS, props.ProposalRefused),
    )
    print(
        f"transfer proposal {p.id}: {p.status} ({p.count} {p.family} {p.from_code} -> {p.to_code} on {p.day:%d/%m/%Y})"
    )
    return 0
