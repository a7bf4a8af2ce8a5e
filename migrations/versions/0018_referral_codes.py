"""referral codes: a campaign's sharing channels, and the code an RSVP came through

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "referral_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name=op.f("fk_referral_code_campaign_id_campaign"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_code")),
        sa.UniqueConstraint("campaign_id", "code", name=op.f("uq_referral_code_campaign_id_code")),
    )
    with op.batch_alter_table("referral_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_code_campaign_id"), ["campaign_id"], unique=False)
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referral_code_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_rsvp_referral_code_id_referral_code"), "referral_code",
                                    ["referral_code_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_rsvp_referral_code_id_referral_code"), type_="foreignkey")
        batch_op.drop_column("referral_code_id")
    with op.batch_alter_table("referral_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_code_campaign_id"))
    op.drop_table("referral_code")
