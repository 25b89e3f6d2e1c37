"""plans a dispatcher can trust: priority and reasons kept per job, one published round per technician-day

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_stop") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("priority_class", sa.Integer(), nullable=True))
    with op.batch_alter_table("plan_route") as batch:
        batch.add_column(sa.Column("skills", sa.JSON(), nullable=True))
    with op.batch_alter_table("unassigned_job") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("priority_class", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("constraint", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("skill", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("windows", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("blockers", sa.JSON(), nullable=True))
    op.create_table(
        "published_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "plan_id",
            sa.Integer(),
            sa.ForeignKey("plan.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("vehicle_ref", sa.String(length=40), nullable=False),
        sa.UniqueConstraint(
            "kind", "plan_date", "vehicle_ref", name="uq_published_round_vehicle_day"
        ),
    )


def downgrade() -> None:
    op.drop_table("published_round")
    with op.batch_alter_table("unassigned_job") as batch:
        for c in (
            "blockers",
            "windows",
            "skill",
            "constraint",
            "priority_class",
            "priority",
        ):
            batch.drop_column(c)
    with op.batch_alter_table("plan_route") as batch:
        batch.drop_column("skills")
    with op.batch_alter_table("plan_stop") as batch:
        batch.drop_column("priority_class")
        batch.drop_column("priority")
