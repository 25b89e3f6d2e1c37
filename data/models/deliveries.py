"""Delivery orders: home, store pick-up bag, relay point; and repair logistics legs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class DeliveryOrder(Base):
    __tablename__ = "delivery_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    kind: Mapped[str] = mapped_column(
        String(20), default="order"
    )  # data.enums.DeliveryKind
    mode: Mapped[str] = mapped_column(String(20), index=True)  # data.enums.DeliveryMode
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("repair_ticket.id"), index=True
    )
    items: Mapped[str] = mapped_column(Text, default="")
    parcels: Mapped[int] = mapped_column(Integer, default=1)
    depot_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id"), index=True
    )  # ships from
    destination_site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id"), index=True
    )
    promised_on: Mapped[date] = mapped_column(Date, index=True)
    window_start: Mapped[datetime | None] = mapped_column(TZDateTime)
    window_end: Mapped[datetime | None] = mapped_column(TZDateTime)
    status: Mapped[str] = mapped_column(String(20), index=True, default="new")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    collected_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    holding_until: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
