"""access log for personal data (every kind of access, not only exports) and team invitations

Existing export records and messages get their access-log entries, so the log starts complete.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ROLE = sa.Enum("door", "coordinator", "organizer", "owner", native_enum=False, create_constraint=True,
               length=20, name="role")


def upgrade():
    op.create_table(
        "access_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=254), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("event_label", sa.String(length=200), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=254), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("once_key", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name=op.f("fk_access_entry_campaign_id_campaign"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"],
                                name=op.f("fk_access_entry_actor_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_access_entry_event_id_event"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["export_id"], ["export_record.id"],
                                name=op.f("fk_access_entry_export_id_export_record"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"], name=op.f("fk_access_entry_message_id_message"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_entry")),
        sa.UniqueConstraint("once_key", name=op.f("uq_access_entry_once_key")),
    )
    with op.batch_alter_table("access_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_entry_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_access_entry_campaign_created", ["campaign_id", "created_at"], unique=False)
    op.execute(
        "INSERT INTO access_entry (campaign_id, kind, actor_id, actor_label, event_id, event_label, export_id,"
        " subject, detail, count, created_at)"
        " SELECT r.campaign_id, 'export', r.user_id, r.user_email, r.event_id, COALESCE(e.title, ''), r.id,"
        " '', r.file_format, r.row_count, r.created_at"
        " FROM export_record r LEFT JOIN event e ON e.id = r.event_id"
    )
    op.execute(
        "INSERT INTO access_entry (campaign_id, kind, actor_id, actor_label, event_id, event_label, message_id,"
        " subject, detail, count, created_at)"
        " SELECT m.campaign_id, 'message', m.sender_id, m.sender_email, m.event_id, COALESCE(e.title, ''), m.id,"
        " m.segments, SUBSTR(m.subject, 1, 300), m.recipient_count, m.created_at"
        " FROM message m LEFT JOIN event e ON e.id = m.event_id"
    )
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", ROLE, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name=op.f("fk_invitation_campaign_id_campaign"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by_id"], ["user_account.id"],
                                name=op.f("fk_invitation_invited_by_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["accepted_by_id"], ["user_account.id"],
                                name=op.f("fk_invitation_accepted_by_id_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_campaign_id"), ["campaign_id"], unique=False)


def downgrade():
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_campaign_id"))
    op.drop_table("invitation")
    with op.batch_alter_table("access_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_access_entry_campaign_created")
        batch_op.drop_index(batch_op.f("ix_access_entry_actor_id"))
    op.drop_table("access_entry")
