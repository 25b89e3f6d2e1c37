"""purchases keep the brand's order number, so an import cannot record one twice

Revision ID: 0005a
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005a"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("purchase_order") as batch:
        batch.add_column(sa.Column("ref", sa.String(length=40), nullable=True))
        batch.create_unique_constraint(op.f("uq_purchase_order_ref"), ["ref"])


def downgrade() -> None:
    with op.batch_alter_table("purchase_order") as batch:
        batch.drop_constraint(op.f("uq_purchase_order_ref"), type_="unique")
        batch.drop_column("ref")
