"""Customers, their loyalty account and purchase history, their machines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Float, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base, TZDateTime, utcnow


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(
        String(32), unique=True
    )  # the brand's customer number
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)  # E.164
    email: Mapped[str | None] = mapped_column(String(160), index=True)  # lower-cased
    address: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10))
    town: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(80), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    geo_precision: Mapped[str] = mapped_column(String(16), default="postcode")
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)


class LoyaltyAccount(Base):
    """Membership: identified by phone or email, no card. Tier is a cached value."""

    __tablename__ = "loyalty_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), unique=True
    )
    enrolled_on: Mapped[date] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(String(16), default="Member")
    points_redeemed: Mapped[int] = mapped_column(Integer, default=0)
    tier_computed_on: Mapped[date | None] = mapped_column(Date)


class PurchaseOrder(Base):
    __tablename__ = "purchase_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    ordered_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    channel: Mapped[str] = mapped_column(String(16))  # data.enums.Channel
    # Pre-tax total (the perk cycle's base); None on orders recorded without lines.
    amount_excl: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    ref: Mapped[str | None] = mapped_column(
        String(40), unique=True, index=True
    )  # the brand's order number (imports)


class CustomerMachine(Base):
    __tablename__ = "customer_machine"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    model: Mapped[str] = mapped_column(String(80))
    model_family: Mapped[str] = mapped_column(String(40))
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    purchased_on: Mapped[date] = mapped_column(Date)
    warranty_end: Mapped[date] = mapped_column(Date)


class GeocodeCache(Base):
    """Every geocode answer, so an address is resolved once."""

    __tablename__ = "geocode_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(300), unique=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    precision: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
