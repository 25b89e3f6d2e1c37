"""Sign-in throttling: failed attempts counted per account name and per client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime


class SignInThrottle(Base):
    """One counter per key: ``account:<username>`` (known or not) or ``client:<address>``.

    Unknown usernames get a row too, so the database work does not tell who exists.
    Updated only under a row lock (``dispatch.access.auth``).
    """

    __tablename__ = "signin_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(TZDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(TZDateTime)
