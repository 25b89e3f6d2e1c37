"""Delivering one rendered notice: e-mail over SMTP (standard library), SMS as a JSON POST.

``TOURNEE_SMTP_URL`` = ``smtp://[user:password@]host:port[?starttls=1]``
(``smtps://`` for implicit TLS) and ``TOURNEE_MAIL_FROM``; ``TOURNEE_SMS_URL``
receives ``{"to": "+33…", "text": "…"}``. A transport answers with an
:class:`Outcome`: sent, a transient failure (retry later: connection refused,
4xx) or a permanent one (5xx, malformed address) carrying the server's answer.
Every send of one notice carries the same ``Message-ID`` (e-mail) or
``Idempotency-Key`` (SMS), both from its dedupe key, for receivers that dedupe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from data.base import utcnow
from data.models import Notice
from dispatch.loyalty.contact import looks_like_email


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    permanent: bool = False
    error: str = ""
    unreachable: bool = False  # the server itself is down: stop using it this run


SENT = Outcome(ok=True)


class Transport(Protocol):
    channel: str

    def send(self, notice: Notice, to_name: str | None = None) -> Outcome: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    implicit_tls: bool
    mail_from: str


def smtp_settings(url: str, mail_from: str) -> SmtpSettings:
    """Parse ``TOURNEE_SMTP_URL``; ``ValueError`` naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(f"TOURNEE_SMTP_URL must be smtp://host:port, got {url!r}")
    query = parse_qs(parts.query)
    flag = (query.get("starttls") or ["0"])[0].lower()
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=flag in ("1", "true", "yes"),
        implicit_tls=parts.scheme == "smtps",
        mail_from=mail_from,
    )


def message_id(dedupe_key: str, mail_from: str = "") -> str:
    """The same for every send of one notice (it is the dedupe key's hash), so a receiving
    server or mail client that dedupes by Message-ID drops a repeat after a crash.
    The domain is the sender's (``TOURNEE_MAIL_FROM``), else ``tournee.invalid``."""
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    domain = parseaddr(mail_from)[1].rpartition("@")[2].strip().lower()
    if not domain or not all(
        c.isascii() and (c.isalnum() or c in ".-") for c in domain
    ):
        domain = "tournee.invalid"
    return f"<notice-{digest}@{domain}>"


def build_email(
    notice: Notice, mail_from: str, to_name: str | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = (
        Address(display_name=to_name or "", addr_spec=str(notice.recipient))
        if to_name
        else str(notice.recipient)
    )
    msg["Subject"] = notice.subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id(notice.dedupe_key, mail_from)
    msg["X-Tournee-Notice"] = notice.dedupe_key
    msg.set_content(notice.body_text, charset="utf-8")
    if notice.body_html:
        msg.add_alternative(notice.body_html, subtype="html", charset="utf-8")
    if notice.category == "club":
        for line in notice.body_text.splitlines():
            if "unsubscribe=" in line:
                msg["List-Unsubscribe"] = f"<{line.split()[-1]}>"
    return msg


class SmtpTransport:
    channel = "email"

    def __init__(self, settings: SmtpSettings, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        conn: smtplib.SMTP
        if s.implicit_tls:
            conn = smtplib.SMTP_SSL(
                s.host,
                s.port,
                timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            if s.starttls:
                conn.starttls(context=ssl.create_default_context())
        if s.user:
            conn.login(s.user, s.password or "")
        return conn

    def send(self, notice: Notice, to_name: str | None = None) -> Outcome:
        if not notice.recipient or not looks_like_email(notice.recipient):
            return Outcome(
                ok=False,
                permanent=True,
                error=f"malformed e-mail address {notice.recipient!r}",
            )
        try:
            msg = build_email(notice, self.settings.mail_from, to_name)
        except (ValueError, TypeError) as exc:
            return Outcome(
                ok=False, permanent=True, error=f"cannot build message: {exc}"
            )
        for reconnect in (False, True):
            try:
                if self._conn is None:
                    self._conn = self._connect()
                refused = self._conn.send_message(msg)
                if refused:
                    return _refused(refused)
                return SENT
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if reconnect:
                    return Outcome(
                        ok=False,
                        error=f"mail server disconnected: {exc}",
                        unreachable=True,
                    )
            except smtplib.SMTPRecipientsRefused as exc:
                return _refused(exc.recipients)
            except smtplib.SMTPResponseException as exc:
                answer = f"{exc.smtp_code} {_text(exc.smtp_error)}"
                if exc.smtp_code >= 500:
                    return Outcome(
                        ok=False, permanent=True, error=f"mail server refused: {answer}"
                    )
                return Outcome(ok=False, error=f"mail server deferred: {answer}")
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                return Outcome(
                    ok=False, error=f"mail server unreachable: {exc}", unreachable=True
                )
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # closing a dead connection
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._conn.quit()
        self._drop()


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _refused(refused: dict[str, tuple[int, bytes]]) -> Outcome:
    addr, (code, answer) = next(iter(refused.items()))
    text = f"{code} {_text(answer)}"
    if code >= 500:
        return Outcome(
            ok=False, permanent=True, error=f"mail server refused {addr}: {text}"
        )
    return Outcome(ok=False, error=f"mail server deferred {addr}: {text}")


class SmsTransport:
    channel = "sms"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, notice: Notice, to_name: str | None = None) -> Outcome:
        if not notice.recipient or not notice.recipient.startswith("+"):
            return Outcome(
                ok=False,
                permanent=True,
                error=f"malformed mobile number {notice.recipient!r}",
            )
        body = json.dumps({"to": notice.recipient, "text": notice.body_text}).encode()
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": notice.dedupe_key,
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                resp.read()
            return SENT
        except urllib.error.HTTPError as exc:
            answer = f"{exc.code} {exc.read()[:200].decode('utf-8', 'replace')}".strip()
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                return Outcome(
                    ok=False, permanent=True, error=f"SMS gateway refused: {answer}"
                )
            return Outcome(ok=False, error=f"SMS gateway deferred: {answer}")
        except (OSError, urllib.error.URLError) as exc:
            return Outcome(
                ok=False, error=f"SMS gateway unreachable: {exc}", unreachable=True
            )

    def close(self) -> None:
        return None


def configured() -> dict[str, Transport]:
    """The transports the environment configures (none: notices stay in the outbox)."""
    out: dict[str, Transport] = {}
    smtp = os.environ.get("TOURNEE_SMTP_URL")
    if smtp:
        sender = (
            os.environ.get("TOURNEE_MAIL_FROM") or "Tournée <noreply@tournee.invalid>"
        )
        out["email"] = SmtpTransport(smtp_settings(smtp, sender))
    sms = os.environ.get("TOURNEE_SMS_URL")
    if sms:
        out["sms"] = SmsTransport(sms)
    return out


__all__ = ["Outcome", "SmsTransport", "SmtpTransport", "configured", "formataddr"]
