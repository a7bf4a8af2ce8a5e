"""rsvp.submission_key_hash: the RSVP form sent again after a lost answer is answered, not stored twice

The RSVP form's script sends a key with each filled-in form. When a node dies after saving an RSVP
and before answering, the supporter's retry on another node carries the same key and finds the RSVP
instead of storing a second one. A unique index, not a constraint: SQLite adds the column and the
index in place, without rebuilding the table (a rebuild would drop the tally triggers of 0020).

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_rsvp_submission_key_hash"), ["submission_key_hash"], unique=True)


def downgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rsvp_submission_key_hash"))
        batch_op.drop_column("submission_key_hash")
