"""The outbox of customer notices and each customer's contact preferences.

One ``notice`` row per message the brand owes a customer; its ``dedupe_key`` is
unique in the database, so whichever process computes a notice, it is queued
once. Senders claim rows (``claimed_by`` / ``claimed_until``; ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL) so several can run at once without sending one twice.
A transient failure sets ``next_attempt_at`` (exponential back-off); until then
no sender claims the row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class Notice(Base):
    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), index=True)  # notices.kinds.Kind
    category: Mapped[str] = mapped_column(String(8))  # service | club
    channel: Mapped[str] = mapped_column(String(8))  # email | sms | none
    recipient: Mapped[str | None] = mapped_column(String(160))  # address or E.164
    language: Mapped[str] = mapped_column(String(2), default="fr")
    subject: Mapped[str] = mapped_column(String(200), default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(TZDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(TZDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # after a transient failure: not sent again before this time (the run's clock)
    next_attempt_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    entity_type: Mapped[str] = mapped_column(String(16))  # ticket, visit, order, ...
    entity_id: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class ContactPreference(Base):
    """How and when a customer wants to hear from the brand (one row per customer).

    Service notices (repair, visit, order, loan) go out while a channel exists;
    club reminders only with ``club_consent``. ``unsubscribe_token`` is the
    secret in the e-mail's unsubscribe link; a STOP reply by SMS withdraws too.
    """

    __tablename__ = "contact_preference"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    preferred_channel: Mapped[str] = mapped_column(String(8), default="email")
    language: Mapped[str] = mapped_column(String(2), default="fr")
    club_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_changed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    unsubscribe_token: Mapped[str] = mapped_column(String(48), unique=True)
    quiet_from: Mapped[int] = mapped_column(Integer, default=21 * 60)  # minutes
    quiet_until: Mapped[int] = mapped_column(Integer, default=7 * 60)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
