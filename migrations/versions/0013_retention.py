"""automatic forgetting: a campaign's retention period, and when an RSVP was forgotten

Campaigns that exist already keep everything (NULL: never) until an owner chooses; new campaigns
start at 90 days (the model's default).

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forgotten_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_column("forgotten_at")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("retention_days")
