"""The customers import's contact-preference columns: checked per line, upserted in bulk.

A line that gives any of ``mobile``, ``preferred_channel``, ``language``,
``club_consent``, ``quiet_from``, ``quiet_until`` gets a ``contact_preference``
row (the defaults of ``dispatch.notices.prefs`` for what it leaves empty, a new
unsubscribe token); on ``--update`` an empty cell keeps what is stored, a given one
changes it and is listed among the changed fields. Consent given or withdrawn is
dated; withdrawing it cancels the customer's pending club reminders in the same
transaction, as the unsubscribe link does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from data.base import table
from data.models import ContactPreference
from dispatch.intake.kinds import chunks
from dispatch.intake.rows import CustomerRow
from dispatch.notices.prefs import (
    QUIET_FROM,
    QUIET_UNTIL,
    cancel_club,
    is_mobile,
    new_token,
)

PREF_FIELDS = (
    "mobile",
    "preferred_channel",
    "language",
    "club_consent",
    "quiet_from",
    "quiet_until",
)


class Prefs(NamedTuple):
    """What one line gives (None: the cell was empty)."""

    mobile: str | None
    preferred_channel: str | None
    language: str | None
    club_consent: bool | None
    quiet_from: int | None  # minutes after midnight, Paris
    quiet_until: int | None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in self._asdict().items() if v is not None}


def _minutes(t: time | None) -> int | None:
    return None if t is None else t.hour * 60 + t.minute


def prefs_of(r: CustomerRow, fail: Callable[[str, str], None]) -> Prefs | None:
    """The line's preferences, checked against its own cells (``fail`` names the field)."""
    p = Prefs(
        r.mobile,
        r.preferred_channel,
        r.language,
        None if r.club_consent is None else r.club_consent == "yes",
        _minutes(r.quiet_from),
        _minutes(r.quiet_until),
    )
    if not p.given():
        return None
    if p.mobile is not None and not is_mobile(p.mobile):
        fail("mobile", f"{p.mobile} is a landline: it cannot take SMS")
    if (p.quiet_from is None) != (p.quiet_until is None):
        fail(
            "quiet_until" if p.quiet_until is None else "quiet_from",
            "give quiet_from and quiet_until together, or neither",
        )
    elif p.quiet_from is not None and p.quiet_from == p.quiet_until:
        fail("quiet_until", "the same as quiet_from: leave both empty for the default")
    if p.preferred_channel == "email" and not r.email:
        fail("preferred_channel", "email needs the customer's email on the line")
    if p.preferred_channel == "sms" and not (
        p.mobile or (r.phone and is_mobile(r.phone))
    ):
        fail(
            "preferred_channel",
            "sms needs a mobile on the line (mobile, or a phone that is a mobile)",
        )
    return p


def stored(session: Session, customer_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The stored preference fields by customer id (customers without a row: absent)."""
    ids = list(customer_ids)
    out: dict[int, dict[str, Any]] = {}
    cols = [getattr(ContactPreference, f) for f in PREF_FIELDS]
    for part in chunks(ids):
        for row in session.execute(
            select(ContactPreference.customer_id, *cols).where(
                ContactPreference.customer_id.in_(part)
            )
        ):
            out[int(row[0])] = dict(zip(PREF_FIELDS, row[1:], strict=True))
    return out


def changed_fields(p: Prefs | None, before: dict[str, Any] | None) -> tuple[str, ...]:
    """The given preferences that differ from the stored row (all given ones if none)."""
    if p is None:
        return ()
    given = p.given()
    if before is None:
        return tuple(given)
    return tuple(k for k, v in given.items() if before[k] != v)


def _new_row(
    customer_id: int, phone: str | None, email: str | None, p: Prefs, now: datetime
) -> dict[str, Any]:
    mobile = p.mobile or (phone if is_mobile(phone) else None)
    return dict(
        customer_id=customer_id,
        mobile=mobile,
        preferred_channel=p.preferred_channel
        or ("email" if email or not mobile else "sms"),
        language=p.language or "fr",
        club_consent=bool(p.club_consent),
        consent_changed_at=now if p.club_consent is not None else None,
        unsubscribe_token=new_token(),
        quiet_from=QUIET_FROM if p.quiet_from is None else p.quiet_from,
        quiet_until=QUIET_UNTIL if p.quiet_until is None else p.quiet_until,
        updated_at=now,
    )


def write(
    session: Session,
    lines: Sequence[tuple[int, str | None, str | None, Prefs]],
    now: datetime,
) -> int:
    """Upsert the given preferences: (customer id, phone, email, prefs) per customer.

    Returns the number of pending club reminders cancelled by withdrawn consents.
    """
    before = stored(session, (cid for cid, _, _, _ in lines))
    inserts, updates, withdrawn = [], [], []
    for cid, phone, email, p in lines:
        old = before.get(cid)
        if old is None:
            inserts.append(_new_row(cid, phone, email, p, now))
            continue
        change = {k: v for k, v in p.given().items() if old[k] != v}
        if not change:
            continue
        if "club_consent" in change:
            change["consent_changed_at"] = now
            if not change["club_consent"]:
                withdrawn.append(cid)
        updates.append(dict(b_id=cid, **change))
    for part in chunks(inserts):
        session.execute(insert(table(ContactPreference)), list(part))
    t = table(ContactPreference)
    for row in updates:  # few: the changed preferences of an update
        cid = row.pop("b_id")
        session.execute(
            update(t).where(t.c.customer_id == cid).values(updated_at=now, **row)
        )
    cancelled = 0
    for part in chunks(withdrawn):
        cancelled += cancel_club(
            session,
            part,
            now,
            "the customer withdrew consent to club reminders (import)",
        )
    return cancelled
