"""plan stops keep where the plan sent the vehicle: coordinates and label

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_stop") as batch:
        batch.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("label", sa.String(length=160), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_stop") as batch:
        batch.drop_column("label")
        batch.drop_column("lon")
        batch.drop_column("lat")
