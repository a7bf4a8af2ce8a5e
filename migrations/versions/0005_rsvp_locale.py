"""rsvp.locale: the language a supporter RSVP'd in, so every later email to them is written in it

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_column("locale")
