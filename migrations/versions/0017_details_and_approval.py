"""details for people coming, and approval: who sees an event's address, online link and notes; RSVPs
that wait for an organizer's approval

Existing events keep showing their venue and address to everyone, as before, but their online link
becomes "people going" (issue 12.1): a link shown before anyone RSVPs let strangers into meetings.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

AUDIENCES = ("everyone", "going", "approved")
OLD_STATUSES = ("going", "waitlisted", "cancelled")
NEW_STATUSES = (*OLD_STATUSES, "pending", "declined")


def _audience(name: str, default: str) -> sa.Column:
    return sa.Column(name, sa.Enum(*AUDIENCES, name=name, native_enum=False, create_constraint=True,
                                   length=20), nullable=False, server_default=default)


def _status(values) -> sa.Enum:
    return sa.Enum(*values, name="rsvpstatus", native_enum=False, create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(_audience("address_audience", "everyone"))
        batch_op.add_column(_audience("online_audience", "going"))
        batch_op.add_column(sa.Column("attendee_notes", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(_audience("notes_audience", "going"))
        batch_op.add_column(sa.Column("requires_approval", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    _change_statuses(OLD_STATUSES, NEW_STATUSES)
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(), nullable=True))


def downgrade():
    # Requests nobody answered, and those turned down, become cancelled RSVPs: the old schema has no word for them.
    op.execute("UPDATE rsvp SET status = 'cancelled' WHERE status IN ('pending', 'declined')")
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
    _change_statuses(NEW_STATUSES, OLD_STATUSES)
    with op.batch_alter_table("event", schema=None) as batch_op:
        # Each CHECK first: SQLite's batch copy would otherwise keep it, naming a column that is gone.
        for name in ("notes_audience", "online_audience", "address_audience"):
            batch_op.drop_constraint(op.f(f"ck_event_{name}"), type_="check")
        batch_op.drop_column("requires_approval")
        batch_op.drop_column("notes_audience")
        batch_op.drop_column("attendee_notes")
        batch_op.drop_column("online_audience")
        batch_op.drop_column("address_audience")


def _change_statuses(old, new) -> None:
    """The status column's CHECK constraint, widened or narrowed (a non-native enum: a string and a CHECK)."""
    if op.get_bind().dialect.name == "sqlite":
        # SQLite can't alter a constraint: batch mode copies the table with the column's new type and CHECK.
        with op.batch_alter_table("rsvp", schema=None, recreate="always") as batch_op:
            batch_op.alter_column("status", existing_type=_status(old), type_=_status(new), existing_nullable=False)
        return
    op.drop_constraint(op.f("ck_rsvp_rsvpstatus"), "rsvp", type_="check")
    listed = ", ".join(f"'{value}'" for value in new)
    op.create_check_constraint(op.f("ck_rsvp_rsvpstatus"), "rsvp", f"status IN ({listed})")
