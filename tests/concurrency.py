"""Racing requests in tests: each person on their own thread, app context, session and database connection.

Each one first loads what their page showed (``prepare``), all wait at one start line, then each acts
and commits (``act``). The PostgreSQL race tests and their controls use it; on SQLite the database's
write lock serializes them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from sqlalchemy import text

from organizer.extensions import db

Loaded = TypeVar("Loaded")


def at_once(app: Flask, people: int, prepare: Callable[[int], Loaded], act: Callable[[int, Loaded], object],
            *, timeout: float = 60) -> list[BaseException]:
    """Run ``act(index, prepare(index))`` for ``people`` at once and commit each; the errors raised, in no order."""
    start_line = threading.Barrier(people, timeout=30)
    errors: list[BaseException] = []

    def person(index: int) -> None:
        try:
            with app.app_context():
                try:
                    db.session.connection()  # hold a connection before the start line
                    loaded = prepare(index)
                    start_line.wait()
                    act(index, loaded)
                    db.session.commit()
                finally:
                    db.session.remove()
        except BaseException as error:  # noqa: BLE001 - the test reports it
            errors.append(error)

    threads = [threading.Thread(target=person, args=(index,)) for index in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors


def sessions_waiting_for_a_lock() -> int:
    """How many sessions of this database wait for a lock now (PostgreSQL), read on a connection of its own:
    a transaction would keep reading the first snapshot of pg_stat_activity it took."""
    with db.engine.connect() as connection:
        return connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
