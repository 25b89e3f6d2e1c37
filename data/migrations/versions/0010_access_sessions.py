"""access: session version and demo flag on users, sign-in throttle per account and client

Revision ID: 0010
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import data.base

revision = "0010"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column(
                "session_version", sa.Integer(), nullable=False, server_default="0"
            )
        )
        batch.add_column(
            sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Every user created before this revision came from `tournee demo`.
    op.execute(sa.text("UPDATE app_user SET demo = :t").bindparams(t=True))
    op.create_table(
        "signin_throttle",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", data.base.TZDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_failure_at", data.base.TZDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_signin_throttle")),
    )


def downgrade() -> None:
    op.drop_table("signin_throttle")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("demo")
        batch.drop_column("session_version")
