"""a campaign's contact address (Reply-To of its mails), and unsubscribes from campaign mail

``mail_unsubscribe`` keeps one keyed hash per campaign and address (services/mail/unsubscribe.py),
never the address.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))
    op.create_table(
        "mail_unsubscribe",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"],
                                name=op.f("fk_mail_unsubscribe_campaign_id_campaign"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_unsubscribe")),
        sa.UniqueConstraint("campaign_id", "address_hash", name=op.f("uq_mail_unsubscribe_campaign_id_address_hash")),
    )


def downgrade():
    op.drop_table("mail_unsubscribe")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_column("contact_email")
