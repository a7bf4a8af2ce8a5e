"""outbox: messages the worker renders (renderer, render_data)

An RSVP's confirmation email was rendered in the request (text, HTML and the calendar file): about a
sixth of an RSVP's CPU. The request now writes what the worker needs to render it (services.mail,
services.rsvp_mail), in the same transaction as the RSVP as before.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renderer", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("render_data", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("render_data")
        batch_op.drop_column("renderer")
