"""loaner transfer proposals from the stock forecast

Revision ID: 0009
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import data.base

revision = "0009"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer_proposal",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "from_site_id", sa.Integer(), sa.ForeignKey("site.id"), nullable=False
        ),
        sa.Column("to_site_id", sa.Integer(), sa.ForeignKey("site.id"), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("for_day", sa.Date(), nullable=False),
        sa.Column("km", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("made_at", data.base.TZDateTime(timezone=True), nullable=False),
        sa.Column("made_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", data.base.TZDateTime(timezone=True), nullable=True),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plan.id"), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    for col in ("from_site_id", "to_site_id", "day", "status"):
        op.create_index(f"ix_transfer_proposal_{col}", "transfer_proposal", [col])


def downgrade() -> None:
    op.drop_table("transfer_proposal")
