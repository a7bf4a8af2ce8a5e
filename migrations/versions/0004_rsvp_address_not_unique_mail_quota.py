"""rsvp: an address may have more than one RSVP per event; mail_quota; addresses keyed by NFKC

Issue 16. A second RSVP with an address that already had one was refused by the unique index, so the
public "places left" moved for an unknown address and not for a known one: anyone could tell who had
RSVP'd. It is now stored like any other RSVP (its owner is told by email), and a plain index finds an
address's earlier RSVP. ``mail_quota`` counts, per HMAC of (event, address), the emails the RSVP form
sent in the current window. Stored address keys are re-normalized with NFKC, so a fullwidth spelling of
an address is the same address (accounts keep their old key when the new one is taken).

Revision ID: 0004
Revises: 0003
"""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _nfkc(value):
    return unicodedata.normalize("NFKC", value).lower()


def upgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rsvp_event_id_email_normalized", type_="unique")
        batch_op.create_index("ix_rsvp_event_id_email_normalized", ["event_id", "email_normalized"], unique=False)

    op.create_table(
        "mail_quota",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("mails", sa.Integer(), nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_mail_quota")),
    )
    with op.batch_alter_table("mail_quota", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_quota_window_started_at"), ["window_started_at"], unique=False)

    connection = op.get_bind()
    # Only keys with non-ASCII characters can change; ASCII is its own NFKC form.
    rsvps = connection.execute(sa.text("SELECT id, email_normalized FROM rsvp WHERE email_normalized IS NOT NULL"))
    for rsvp_id, key in rsvps.fetchall():
        if not key.isascii() and _nfkc(key) != key:
            connection.execute(sa.text("UPDATE rsvp SET email_normalized = :key WHERE id = :id"),
                               {"key": _nfkc(key), "id": rsvp_id})
    users = connection.execute(sa.text('SELECT id, email FROM user_account')).fetchall()
    taken = {email for _id, email in users}
    for user_id, email in users:
        if not email.isascii() and _nfkc(email) != email and _nfkc(email) not in taken:
            connection.execute(sa.text('UPDATE user_account SET email = :email WHERE id = :id'),
                               {"email": _nfkc(email), "id": user_id})
            taken.add(_nfkc(email))


def downgrade():
    with op.batch_alter_table("mail_quota", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_quota_window_started_at"))
    op.drop_table("mail_quota")
    # Addresses stay NFKC-normalized: the earlier form can't be recovered, and it only ever mattered
    # for matching. Duplicate addresses written meanwhile would break the old unique index: the
    # oldest RSVP keeps the key, later ones lose it (their email column is untouched).
    connection = op.get_bind()
    connection.execute(sa.text(
        "UPDATE rsvp SET email_normalized = NULL WHERE email_normalized IS NOT NULL AND id NOT IN "
        "(SELECT min(id) FROM rsvp WHERE email_normalized IS NOT NULL GROUP BY event_id, email_normalized)"))
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_index("ix_rsvp_event_id_email_normalized")
        batch_op.create_unique_constraint("uq_rsvp_event_id_email_normalized", ["event_id", "email_normalized"])
