from sqlalchemy import inspect

from organizer.extensions import db


def test_migrations_created_every_table(app):
    tables = set(inspect(db.engine).get_table_names())
    assert {"campaign", "event", "rsvp", "check_in", "outbox_message", "export_record"} <= tables
