"""notices that failed a transient send wait for their next attempt (exponential back-off)

Revision ID: 0005n
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import data.base

revision = "0005n"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (nullable: NULL means "as soon as due"), no table recreate.
    op.add_column(
        "notice",
        sa.Column(
            "next_attempt_at", data.base.TZDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("next_attempt_at")
