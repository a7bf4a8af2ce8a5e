"""Make SQLite behave like PostgreSQL where it matters: foreign keys, concurrent readers, waiting writers."""

from __future__ import annotations

import sqlite3
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Engine, Result


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_sqlite(session_or_engine) -> bool:
    return dialect_name(session_or_engine) == "sqlite"


# The two databases the app runs on (statements built once per dialect are keyed by these names).
DIALECTS = ("sqlite", "postgresql")


def dialect_name(session_or_engine) -> str:
    bind = session_or_engine.get_bind() if hasattr(session_or_engine, "get_bind") else session_or_engine
    return bind.dialect.name


def insert_for(dialect: str):
    """SQLAlchemy's INSERT for ``dialect``: ON CONFLICT is written by each dialect's own construct."""
    return sqlite_insert if dialect == "sqlite" else postgresql_insert


# --- indexes for one database only ----------------------------------------------------------------
# SQLAlchemy creates an index marked with ``ddl_if(dialect=...)`` only on that database, but Alembic's
# autogenerate and its model/database comparison ignore the condition. ``include_object`` (set in
# migrations/env.py for the database being migrated, and used by tests/test_migrations.py) leaves such an index out
# wherever it is not created, so the initial migration stays portable and SQLite shows no drift.


def only_on(dialect: str, index):
    """Create ``index`` only on ``dialect`` (e.g. a pg_trgm GIN index on "postgresql")."""
    index.info["only_on"] = dialect
    return index.ddl_if(dialect=dialect)


def include_object_for(dialect: str):
    """Alembic ``include_object`` hook for ``dialect``: skip indexes meant for another database."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ != "index" or reflected:
            return True
        only = obj.info.get("only_on")
        return only is None or only == dialect

    return include_object


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. ``Session.execute`` is typed as returning ``Result``, but for DML it is
    always a ``CursorResult``, which is what carries ``rowcount`` (SQLAlchemy's documented cast)."""
    return cast(CursorResult[Any], result).rowcount
