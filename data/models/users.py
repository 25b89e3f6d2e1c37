"""People who sign in, and the audit log of what they changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # data.enums.Role
    store_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id")
    )  # store staff only
    region: Mapped[str | None] = mapped_column(String(80))  # a dispatcher's home region
    technician_id: Mapped[int | None] = mapped_column(
        ForeignKey("technician.id")
    )  # technicians only: whose round they see
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(TZDateTime)
    # Bumped when an admin deactivates the user or resets the password: every open
    # session carries the value it signed in with and ends when they differ (0010).
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    demo: Mapped[bool] = mapped_column(default=False)  # created by `tournee demo`
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(40), index=True)
    entity_id: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(40))
    change: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
