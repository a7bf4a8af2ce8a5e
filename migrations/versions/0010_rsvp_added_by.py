"""rsvp.added_by_id: the organizer who added an RSVP by hand (someone who RSVPed by phone, at the desk)

An RSVP added by hand goes through the same capacity rule as one from the public page; the
organizers' list says who was added by hand, and by whom. NULL for RSVPs people made themselves.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.add_column(sa.Column("added_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_rsvp_added_by_id_user_account"), "user_account",
                                    ["added_by_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_rsvp_added_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("added_by_id")
