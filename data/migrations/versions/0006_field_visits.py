"""the technician's day: visit statuses and actual times, users bound to a technician

Revision ID: 0006
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import data.base

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visit") as batch:
        batch.add_column(
            sa.Column(
                "status", sa.String(length=16), nullable=False, server_default="done"
            )
        )
        batch.add_column(sa.Column("on_my_way_at", data.base.TZDateTime(timezone=True)))
        batch.add_column(sa.Column("eta_at", data.base.TZDateTime(timezone=True)))
        batch.add_column(sa.Column("window_end", data.base.TZDateTime(timezone=True)))
        batch.add_column(sa.Column("fix_code", sa.String(length=40)))
        batch.add_column(sa.Column("failure_reason", sa.String(length=32)))
        batch.add_column(sa.Column("notes", sa.Text()))
        batch.add_column(sa.Column("lat", sa.Float()))
        batch.add_column(sa.Column("lon", sa.Float()))
        batch.create_index("ix_visit_status", ["status"])
        batch.create_unique_constraint("uq_visit_ticket_id", ["ticket_id", "visit_on"])
    # History rows written before statuses existed are finished visits.
    op.execute("UPDATE visit SET status = 'failed' WHERE fixed = false")
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column(
                "technician_id",
                sa.Integer(),
                sa.ForeignKey(
                    "technician.id", name="fk_app_user_technician_id_technician"
                ),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint(
            "fk_app_user_technician_id_technician", type_="foreignkey"
        )
        batch.drop_column("technician_id")
    with op.batch_alter_table("visit") as batch:
        batch.drop_constraint("uq_visit_ticket_id", type_="unique")
        batch.drop_index("ix_visit_status")
        for col in (
            "lon", "lat", "notes", "failure_reason", "fix_code",
            "window_end", "eta_at", "on_my_way_at", "status",
        ):  # fmt: skip
            batch.drop_column(col)
