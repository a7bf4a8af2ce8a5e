"""reminders the day before and follow-ups after: per-event settings, their sent markers, "I'm coming"

Events that exist already get the defaults (a reminder 24 hours before, a follow-up 3 hours after);
a follow-up is only sent within two days of being due, so past meetings get none.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_hours", sa.Integer(), server_default="24", nullable=True))
        batch_op.add_column(sa.Column("reminder_sent_for", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("followup_hours", sa.Integer(), server_default="3", nullable=True))
        batch_op.add_column(sa.Column("followup_text", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("followup_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("report_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("report_sent_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_event_report_sent_by_id_user_account"), "user_account",
                                    ["report_sent_by_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_event_report_sent_by_id_user_account"), type_="foreignkey")
        for name in ("report_sent_by_id", "report_sent_at", "followup_sent_at", "followup_text", "followup_hours",
                     "reminder_sent_for", "reminder_hours"):
            batch_op.drop_column(name)
