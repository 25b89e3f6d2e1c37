"""`tournee notices list|run|unsubscribe|sms-reply|prefs`: the customer notices outbox.

``run`` computes every notice due at ``--now`` (default: now), queues it once
(dedupe keys) and sends what is pending through ``TOURNEE_SMTP_URL`` /
``TOURNEE_SMS_URL``; with neither set, notices stay rendered in the outbox.
Safe to run from cron and from several processes at once.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from data.base import PARIS, utcnow
from data.db import migrate
from data.models import Customer, Notice
from dispatch.cli.common import (
    ACTOR_HELP,
    CommandError,
    command_user,
    read,
    table,
    write,
)
from dispatch.labels import when
from dispatch.notices.kinds import Kind, Status
from dispatch.notices.prefs import (
    PreferenceError,
    set_preferences,
    sms_reply,
    unsubscribe,
)
from dispatch.notices.run import run
from dispatch.notices.transport import configured


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "notices", help="customer notices: outbox, computing and sending"
    )
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = acts.add_parser("list", help="the outbox, newest due first")
    a.add_argument("--status", choices=[s.value for s in Status])
    a.add_argument("--kind", type=_kind, help="e.g. 'bag ready' (see README)")
    a.add_argument("--limit", type=int, default=50, help="rows printed (JSON: all)")
    a.add_argument(
        "--json", type=Path, metavar="FILE", help="write every match as JSON"
    )
    a.set_defaults(func=_list)

    a = acts.add_parser("run", help="compute, queue and send what is due")
    a.add_argument("--now", type=_now, default=None, help="ISO time (default: now)")
    a.add_argument("--dry-run", action="store_true", help="compute and render only")
    a.set_defaults(func=_run)

    a = acts.add_parser("unsubscribe", help="apply an unsubscribe link's token")
    a.add_argument("token")
    a.set_defaults(func=_unsubscribe)

    a = acts.add_parser("sms-reply", help="an SMS reply from a customer (STOP)")
    a.add_argument("--from", dest="sender", required=True, metavar="PHONE")
    a.add_argument("--text", required=True)
    a.set_defaults(func=_sms_reply)

    a = acts.add_parser("prefs", help="set a customer's contact preferences")
    a.add_argument("customer", metavar="REF")
    a.add_argument("--mobile")
    a.add_argument("--channel", choices=["email", "sms"])
    a.add_argument("--language", choices=["fr", "en"])
    a.add_argument("--club", choices=["yes", "no"], help="consent to club reminders")
    a.add_argument("--actor", default=None, metavar="USER", help=ACTOR_HELP)
    a.set_defaults(func=_prefs)


def _kind(text: str) -> str:
    for k in Kind:
        if text.strip().lower() in (k.value, k.name.lower(), k.template):
            return k.value
    raise argparse.ArgumentTypeError(
        f"unknown kind {text!r}; known: {', '.join(k.value for k in Kind)}"
    )


def _now(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from None
    return at.replace(tzinfo=PARIS) if at.tzinfo is None else at


def _list(args: argparse.Namespace) -> int:
    def fetch(s: Session) -> Sequence[Row[Notice, str]]:
        q = select(Notice, Customer.ref).join(
            Customer, Customer.id == Notice.customer_id
        )
        if args.status:
            q = q.where(Notice.status == args.status)
        if args.kind:
            q = q.where(Notice.kind == args.kind)
        return s.execute(q.order_by(Notice.due_at.desc(), Notice.id.desc())).all()

    rows = read(fetch)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "id": n.id,
                        "kind": n.kind,
                        "category": n.category,
                        "channel": n.channel,
                        "status": n.status,
                        "customer": ref,
                        "recipient": n.recipient,
                        "due_at": n.due_at.isoformat(),
                        "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                        "dedupe_key": n.dedupe_key,
                        "reason": n.reason,
                        "attempts": n.attempts,
                        "next_attempt_at": n.next_attempt_at.isoformat()
                        if n.next_attempt_at
                        else None,
                        "last_error": n.last_error,
                        "language": n.language,
                        "subject": n.subject,
                        "entity": f"{n.entity_type} {n.entity_id}",
                    }
                    for n, ref in rows
                ],
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    print(
        table(
            (
                "kind",
                "channel",
                "status",
                "customer",
                "due",
                "retry at",
                "dedupe key",
                "reason",
            ),
            [
                (
                    n.kind,
                    n.channel,
                    n.status,
                    ref,
                    when(n.due_at),
                    when(n.next_attempt_at) if n.next_attempt_at else "",
                    n.dedupe_key,
                    n.reason,
                )
                for n, ref in rows[: args.limit]
            ],
        )
    )
    if len(rows) > args.limit:
        print(f"... {len(rows) - args.limit} more (--limit, --json)")
    return 0


def _run(args: argparse.Namespace) -> int:
    migrate()
    now = args.now or utcnow()
    try:
        transports = {} if args.dry_run else configured()
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    report = run(None, now, transports, dry_run=args.dry_run)
    verb = "would queue" if args.dry_run else "queued"
    count = sum(report.by_kind.values()) if args.dry_run else report.queued
    print(
        f"{report.computed} due at {when(now)}: {verb} {count} new, "
        f"{report.already} already in the outbox, "
        f"{report.no_consent} club reminders skipped (no consent)"
    )
    for kind, n in sorted(report.by_kind.items()):
        print(f"  {kind}: {n}")
    if report.sending is not None:
        c = report.sending
        line = (
            f"sent {c.sent}, failed {c.failed}, still pending after an error {c.retry}"
        )
        if c.quiet:
            line += f", SMS held for quiet hours {c.quiet}"
        if c.unreachable:
            line += f"; unreachable: {', '.join(sorted(set(c.unreachable)))}"
        if not transports:
            line += " (no TOURNEE_SMTP_URL / TOURNEE_SMS_URL: kept in the outbox)"
        print(line)
    return 0


def _unsubscribe(args: argparse.Namespace) -> int:
    ref = write(lambda s: unsubscribe(s, args.token, at=utcnow()))
    if ref is None:
        raise CommandError("unknown unsubscribe token")
    print(f"{ref}: club reminders stopped")
    return 0


def _sms_reply(args: argparse.Namespace) -> int:
    refs = write(lambda s: sms_reply(s, args.sender, args.text, at=utcnow()))
    print(f"club reminders stopped for {', '.join(refs)}" if refs else "no change")
    return 0


def _prefs(args: argparse.Namespace) -> int:
    who = command_user(args).username  # --as/--actor USER, else the OS operator

    def change(s: Session) -> str:
        cid = s.scalar(select(Customer.id).where(Customer.ref == args.customer))
        if cid is None:
            raise PreferenceError(f"no customer {args.customer!r}")
        p = set_preferences(
            s,
            who,
            cid,
            at=utcnow(),
            mobile=args.mobile,
            preferred_channel=args.channel,
            language=args.language,
            club_consent=None if args.club is None else args.club == "yes",
        )
        return f"{args.customer}: {p.preferred_channel}, {p.language}, club {'yes' if p.club_consent else 'no'}"

    print(write(change, (PreferenceError,)))
    return 0
