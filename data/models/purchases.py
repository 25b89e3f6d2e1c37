"""What a purchase held: one row per product line, with pre-tax and taxed amounts."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from data.base import Base


class PurchaseLine(Base):
    """``category``: capsules, machine, accessory, descaling (a descaling kit).

    Capsules are counted one by one (``quantity`` capsules at ``unit_price``
    each), so consumption is a count of capsules whatever the sleeve size.
    """

    __tablename__ = "purchase_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True
    )
    product: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(16), index=True)
    variety: Mapped[str | None] = mapped_column(String(60))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # with tax
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # percent
    amount_excl: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    amount_incl: Mapped[Decimal] = mapped_column(Numeric(10, 2))
