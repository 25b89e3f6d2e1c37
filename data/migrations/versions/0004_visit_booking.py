"""booked visits and the per-technician-day capacity row bookings lock

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from data.base import TZDateTime

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_day",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "technician_id",
            sa.Integer(),
            sa.ForeignKey("technician.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bookings", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("technician_id", "day"),
    )
    op.create_index("ix_booking_day_day", "booking_day", ["day"])
    op.create_table(
        "visit_booking",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("repair_ticket.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "technician_id",
            sa.Integer(),
            sa.ForeignKey("technician.id"),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window_start", TZDateTime(timezone=True), nullable=False),
        sa.Column("window_end", TZDateTime(timezone=True), nullable=False),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("booked_at", TZDateTime(timezone=True), nullable=False),
        sa.Column("booked_by", sa.String(length=64), nullable=False),
    )
    op.create_index(
        "ix_visit_booking_technician_id", "visit_booking", ["technician_id"]
    )
    op.create_index("ix_visit_booking_day", "visit_booking", ["day"])


def downgrade() -> None:
    op.drop_table("visit_booking")
    op.drop_table("booking_day")
