"""The migrations are the schema: they build it from empty, match the models exactly, and undo cleanly."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from organizer.database import include_object_for
from organizer.extensions import db
from tests.conftest import make_test_app

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


@pytest.fixture
def scratch_database_url(tmp_path):
    """An empty database of the same kind as the suite's, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    name = f"organizer_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.no_app_context
def test_upgrade_from_empty_matches_models_and_downgrades_to_base(scratch_database_url):
    app = make_test_app(scratch_database_url)
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        tables = set(inspect(db.engine).get_table_names())
        assert {table.name for table in db.metadata.sorted_tables} <= tables

        with db.engine.connect() as connection:
            # An index for one database only (organizer.database.only_on) is compared there and only there.
            context = MigrationContext.configure(connection, opts={
                "compare_type": True, "include_object": include_object_for(connection.dialect.name)})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"

        downgrade(directory=MIGRATIONS, revision="base")
        remaining = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()

        upgrade(directory=MIGRATIONS)
        db.session.remove()
        db.engine.dispose()
