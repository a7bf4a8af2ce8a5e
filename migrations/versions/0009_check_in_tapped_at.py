"""check_in.tapped_at: when the volunteer tapped, which can be before the entry reached the server

A door phone without signal keeps its taps and sends them when the connection returns. Two phones may
then have changed the same person in the other order than their taps reach the server; the rule
(README, "The door without signal") compares tap times, so each entry keeps its own. NULL in rows
written before: the tap time of those is their created_at.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tapped_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_column("tapped_at")
