"""technicians' availability: weekly pattern, daily and weekly hour limits, absence kinds

Revision ID: 0008
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("technician") as batch:
        batch.add_column(sa.Column("weekly_hours", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("max_hours_day", sa.Float(), nullable=True))
        batch.add_column(sa.Column("max_hours_week", sa.Float(), nullable=True))
    with op.batch_alter_table("technician_absence") as batch:
        batch.add_column(
            sa.Column(
                "kind", sa.String(length=20), nullable=False, server_default="leave"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("technician_absence") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("technician") as batch:
        batch.drop_column("max_hours_week")
        batch.drop_column("max_hours_day")
        batch.drop_column("weekly_hours")
