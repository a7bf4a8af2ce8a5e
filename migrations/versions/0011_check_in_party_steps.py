"""check_in.persons and persons_in: a party checked in in steps (2 now, 2 later), undone step by step

An RSVP for 1 + 3 guests can arrive apart. Each log entry records how many of the party it checked in
(positive) or took back (negative), and how many of the party are in after it; ``action`` keeps
saying whether anyone of the party is in, so every reader of "checked in" stays right. NULL in
entries written before: a check-in then meant the whole party, an undo nobody.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.add_column(sa.Column("persons", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("persons_in", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("check_in", schema=None) as batch_op:
        batch_op.drop_column("persons_in")
        batch_op.drop_column("persons")
