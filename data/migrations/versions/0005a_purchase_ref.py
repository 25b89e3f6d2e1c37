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
    # A plain ADD COLUMN and a unique index: a batch "recreate" of purchase_order on
    # SQLite would drop the table, and ON DELETE CASCADE would empty purchase_line.
    op.add_column(
        "purchase_order", sa.Column("ref", sa.String(length=40), nullable=True)
    )
    op.create_index(
        op.f("ix_purchase_order_ref"), "purchase_order", ["ref"], unique=True
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_purchase_order_ref"), table_name="purchase_order")
    with op.batch_alter_table("purchase_order") as batch:
        batch.drop_column("ref")
