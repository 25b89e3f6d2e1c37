"""Contact preferences: which channel reaches a customer, in which language, with what consent.

A customer without a preference row is reached by e-mail (their address) or
SMS (their phone if it is a French mobile), in French, with no club consent.
Withdrawing consent (unsubscribe link or SMS ``STOP``) takes effect at once:
the customer's pending club notices are cancelled in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data.audit import record
from data.base import PARIS
from data.models import ContactPreference, Customer, Notice
from dispatch.loyalty.contact import normalize_phone
from dispatch.notices.config import CONFIG
from dispatch.notices.kinds import CLUB_KINDS, Category, Status

CHANNELS = ("email", "sms")
LANGUAGES = ("fr", "en")
STOP_WORDS = frozenset({"STOP", "STOP SMS", "ARRET", "ARRÊT", "UNSUBSCRIBE"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    customer_id: int
    ref: str
    name: str
    email: str | None
    mobile: str | None
    preferred: str  # email | sms
    language: str  # fr | en
    club_consent: bool
    token: str | None  # unsubscribe token (None: no preference row yet)
    quiet_from: int  # minutes after midnight, Paris
    quiet_until: int

    def channel_for(self, category: Category) -> tuple[str, str] | str:
        """``(channel, recipient)``, or the reason nothing can be sent."""
        usable = {"email": self.email, "sms": self.mobile}
        order = [self.preferred] + [c for c in CHANNELS if c != self.preferred]
        for channel in order:
            if usable[channel]:
                return channel, str(usable[channel])
        return "no e-mail address or mobile number on file"

    def quiet_at(self, at: datetime) -> bool:
        """True when ``at`` falls in the customer's no-SMS hours (Paris time)."""
        local = at.astimezone(PARIS)
        minute = local.hour * 60 + local.minute
        if self.quiet_from <= self.quiet_until:
            return self.quiet_from <= minute < self.quiet_until
        return minute >= self.quiet_from or minute < self.quiet_until


def is_mobile(phone: str | None) -> bool:
    """French mobiles (06, 07) and foreign numbers can take SMS; French landlines cannot."""
    if not phone:
        return False
    return not phone.startswith("+33") or phone[3] in "67"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _minutes(text: str) -> int:
    t = time.fromisoformat(text)
    return t.hour * 60 + t.minute


QUIET_FROM = _minutes(CONFIG["quiet_hours"]["from"])
QUIET_UNTIL = _minutes(CONFIG["quiet_hours"]["until"])


def load_contacts(
    session: Session, customer_ids: Iterable[int] | None = None
) -> dict[int, Contact]:
    """Contacts by customer id (every customer when ``customer_ids`` is None), two queries."""
    q = select(Customer.id, Customer.ref, Customer.name, Customer.email, Customer.phone)
    p = select(ContactPreference)
    if customer_ids is not None:
        ids = list(set(customer_ids))
        q = q.where(Customer.id.in_(ids))
        p = p.where(ContactPreference.customer_id.in_(ids))
    prefs = {row.customer_id: row for row in session.scalars(p)}
    out: dict[int, Contact] = {}
    for cid, ref, name, email, phone in session.execute(q):
        pref = prefs.get(cid)
        out[cid] = Contact(
            customer_id=cid,
            ref=ref,
            name=name,
            email=email or None,  # a malformed one fails at sending, with why
            mobile=(pref.mobile if pref else (phone if is_mobile(phone) else None)),
            preferred=pref.preferred_channel if pref else "email",
            language=pref.language if pref else "fr",
            club_consent=bool(pref and pref.club_consent),
            token=pref.unsubscribe_token if pref else None,
            quiet_from=pref.quiet_from if pref else QUIET_FROM,
            quiet_until=pref.quiet_until if pref else QUIET_UNTIL,
        )
    return out


class PreferenceError(ValueError):
    """A refused preference change (bad channel, language, number)."""


def set_preferences(
    session: Session,
    actor: str,
    customer_id: int,
    *,
    at: datetime,
    mobile: str | None = None,
    preferred_channel: str | None = None,
    language: str | None = None,
    club_consent: bool | None = None,
) -> ContactPreference:
    """Create or change a customer's preferences in the caller's transaction, audited."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise PreferenceError(f"no customer with id {customer_id}")
    pref = session.get(ContactPreference, customer_id, with_for_update=True)
    if pref is None:
        pref = ContactPreference(
            customer_id=customer_id,
            mobile=customer.phone if is_mobile(customer.phone) else None,
            preferred_channel="email" if customer.email else "sms",
            language="fr",
            club_consent=False,
            unsubscribe_token=new_token(),
            quiet_from=QUIET_FROM,
            quiet_until=QUIET_UNTIL,
            updated_at=at,
        )
        session.add(pref)
    change: dict[str, object] = {}
    if mobile is not None:
        try:
            number = normalize_phone(mobile) if mobile.strip() else None
        except ValueError as exc:
            raise PreferenceError(f"{customer.ref}: {exc}") from None
        change["mobile"], pref.mobile = number, number
    if preferred_channel is not None:
        if preferred_channel not in CHANNELS:
            raise PreferenceError(
                f"{customer.ref}: channel must be one of {', '.join(CHANNELS)}, "
                f"not {preferred_channel!r}"
            )
        change["preferred_channel"] = pref.preferred_channel = preferred_channel
    if language is not None:
        if language not in LANGUAGES:
            raise PreferenceError(
                f"{customer.ref}: language must be one of {', '.join(LANGUAGES)}, "
                f"not {language!r}"
            )
        change["language"] = pref.language = language
    if club_consent is not None and club_consent != pref.club_consent:
        change["club_consent"] = pref.club_consent = club_consent
        pref.consent_changed_at = at
        if not club_consent:
            change["cancelled"] = cancel_club(session, [customer_id], at)
    pref.updated_at = at
    session.flush()
    record(session, actor, "customer", customer.ref, "preferences", **change)
    return pref


def cancel_club(
    session: Session,
    customer_ids: Collection[int],
    at: datetime,
    why: str = "the customer withdrew consent to club reminders",
) -> int:
    """Cancel the pending club reminders of these customers (consent withdrawn);
    how many were cancelled."""
    result = session.execute(
        update(Notice)
        .where(
            Notice.customer_id.in_(list(customer_ids)),
            Notice.status == Status.PENDING.value,
            Notice.kind.in_([k.value for k in CLUB_KINDS]),
        )
        .values(status=Status.CANCELLED.value, reason=why, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def unsubscribe(session: Session, token: str, *, at: datetime) -> str | None:
    """The unsubscribe link: withdraw club consent; the customer's ref, or None if unknown."""
    pref = session.scalar(
        select(ContactPreference).where(
            ContactPreference.unsubscribe_token == str(token).strip()
        )
    )
    if pref is None:
        return None
    set_preferences(
        session, "unsubscribe-link", pref.customer_id, at=at, club_consent=False
    )
    customer = session.get(Customer, pref.customer_id)
    return customer.ref if customer else None


def sms_reply(session: Session, sender: str, text: str, *, at: datetime) -> list[str]:
    """An SMS reply from ``sender``: ``STOP`` withdraws club consent for that mobile.

    Returns the refs of the customers it applied to (empty when the text is no
    stop word or the number is unknown).
    """
    if " ".join(str(text).strip().upper().split()) not in STOP_WORDS:
        return []
    try:
        number = normalize_phone(sender)
    except ValueError:
        return []
    ids = set(
        session.scalars(
            select(ContactPreference.customer_id).where(
                ContactPreference.mobile == number
            )
        )
    ) | set(session.scalars(select(Customer.id).where(Customer.phone == number)))
    refs = []
    for cid in sorted(ids):
        set_preferences(session, f"sms:{number}", cid, at=at, club_consent=False)
        refs.append(session.get_one(Customer, cid).ref)
    return refs
