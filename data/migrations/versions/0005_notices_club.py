"""notices outbox, contact preferences, purchase lines, pre-tax order totals

Revision ID: 0005
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import data.base

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = data.base.TZDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient", sa.String(length=160), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", TZ, nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_notice_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notice_dedupe_key")),
    )
    op.create_index(op.f("ix_notice_customer_id"), "notice", ["customer_id"])
    op.create_index(op.f("ix_notice_kind"), "notice", ["kind"])
    op.create_index("ix_notice_status_due", "notice", ["status", "due_at"])

    op.create_table(
        "contact_preference",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("preferred_channel", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("club_consent", sa.Boolean(), nullable=False),
        sa.Column("consent_changed_at", TZ, nullable=True),
        sa.Column("unsubscribe_token", sa.String(length=48), nullable=False),
        sa.Column("quiet_from", sa.Integer(), nullable=False),
        sa.Column("quiet_until", sa.Integer(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_contact_preference_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_contact_preference")),
        sa.UniqueConstraint(
            "unsubscribe_token", name=op.f("uq_contact_preference_unsubscribe_token")
        ),
    )
    op.create_index(
        op.f("ix_contact_preference_mobile"), "contact_preference", ["mobile"]
    )

    op.create_table(
        "purchase_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("variety", sa.String(length=60), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("amount_excl", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("amount_incl", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_order.id"],
            name=op.f("fk_purchase_line_order_id_purchase_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_line")),
    )
    op.create_index(op.f("ix_purchase_line_order_id"), "purchase_line", ["order_id"])
    op.create_index(op.f("ix_purchase_line_category"), "purchase_line", ["category"])

    with op.batch_alter_table("purchase_order") as batch:
        batch.add_column(
            sa.Column("amount_excl", sa.Numeric(precision=10, scale=2), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("purchase_order") as batch:
        batch.drop_column("amount_excl")
    op.drop_table("purchase_line")
    op.drop_table("contact_preference")
    op.drop_table("notice")
