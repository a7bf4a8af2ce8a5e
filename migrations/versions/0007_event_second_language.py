"""event: the language of its texts, and its title and description in a second language

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("second_language", sa.String(length=16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("second_title", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("second_description", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("second_description")
        batch_op.drop_column("second_title")
        batch_op.drop_column("second_language")
        batch_op.drop_column("language")
