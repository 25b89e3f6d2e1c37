"""tickets record the SLA policy edition their due time was computed with

Revision ID: 0011
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repair_ticket") as batch:
        batch.add_column(
            sa.Column("sla_policy_version", sa.String(length=40), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("repair_ticket") as batch:
        batch.drop_column("sla_policy_version")
