"""messages to a segment: the message log, and its outbox rows unique per message and recipient

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("sender_email", sa.String(length=254), nullable=False),
        sa.Column("segments", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name=op.f("fk_message_campaign_id_campaign"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_message_event_id_event"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["sender_id"], ["user_account.id"], name=op.f("fk_message_sender_id_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_message_idempotency_key")),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recipient_key", sa.String(length=254), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_outbox_message_message_id_message"), "message",
                                    ["message_id"], ["id"], ondelete="SET NULL")
        batch_op.create_unique_constraint(batch_op.f("uq_outbox_message_message_id_recipient_key"),
                                          ["message_id", "recipient_key"])


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbox_message_message_id_recipient_key"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_outbox_message_message_id_message"), type_="foreignkey")
        batch_op.drop_column("recipient_key")
        batch_op.drop_column("message_id")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_created_at"))
        batch_op.drop_index(batch_op.f("ix_message_campaign_id"))
    op.drop_table("message")
