"""a ticket may book a second visit after one that could not fix: bookings are unique
per ticket and attempt (1 = the first visit) instead of per ticket

Revision ID: 0004a
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004a"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visit_booking") as batch:
        batch.add_column(
            sa.Column("attempt", sa.Integer(), nullable=False, server_default="1")
        )
        batch.drop_constraint("uq_visit_booking_ticket_id", type_="unique")
        batch.create_unique_constraint(
            "uq_visit_booking_ticket_id", ["ticket_id", "attempt"]
        )


def downgrade() -> None:
    op.execute("DELETE FROM visit_booking WHERE attempt > 1")
    with op.batch_alter_table("visit_booking") as batch:
        batch.drop_constraint("uq_visit_booking_ticket_id", type_="unique")
        batch.create_unique_constraint("uq_visit_booking_ticket_id", ["ticket_id"])
        batch.drop_column("attempt")
