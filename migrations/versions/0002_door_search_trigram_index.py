"""door search: pg_trgm GIN index on rsvp.search_name (PostgreSQL only)

The door search filters an event's RSVPs with ``search_name LIKE '%needle%'``; without an index
PostgreSQL reads every RSVP of the event (3-4 ms at 10,000). SQLite has no trigram index and gets
nothing here: the model marks the index ``only_on("postgresql")``.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_rsvp_search_name_trgm", "rsvp", ["search_name"], unique=False,
                    postgresql_using="gin", postgresql_ops={"search_name": "gin_trgm_ops"})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_rsvp_search_name_trgm", table_name="rsvp")
    # The extension stays: other objects may use it, and it holds no data.
