"""Sending what the worker's loop found due: each event in a transaction of its own, so that one event's
failure leaves the mails of the events before it written (and their claims kept)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from organizer.extensions import db
from organizer.models import Event


def send_each(due: list[Event], send: Callable[[Event, datetime], int | None], now: datetime) -> int:
    """``send`` for every event of ``due``, committing after each. Returns the mails written."""
    written = 0
    for event_id in [event.id for event in due]:
        event = db.session.get(Event, event_id)
        try:
            sent = send(event, now) if event is not None else None
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        written += sent or 0
    return written
