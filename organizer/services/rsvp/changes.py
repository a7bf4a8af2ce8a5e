"""Telling everyone going or waiting that their event was cancelled or moved."""

from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import DateTime, Integer, String, case, cast, func, insert, literal, select

from organizer.database import rowcount
from organizer.extensions import db
from organizer.models import (
    Event,
    OutboxMessage,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
)
from organizer.services.mail import outbox
from organizer.services.rsvp import notify
from organizer.timeutil import utcnow


def _to_notify(event: Event):
    """Who hears about a change or a cancellation: going or waiting, with an email address."""
    return (
        Rsvp.event_id == event.id,
        Rsvp.status.in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED]),
        Rsvp.email.is_not(None),
        Rsvp.email != "",
    )


def count_to_notify(event: Event) -> int:
    return int(db.session.scalar(select(func.count(Rsvp.id)).where(*_to_notify(event))) or 0)


def notify_event_changed(event: Event, change: str) -> int:
    """Email everyone going or waiting (with an address) that the event was cancelled (``change ==
    "cancelled"``) or moved: ``"time"``, ``"place"`` or ``"time_and_place"``. Returns how many emails were queued.

    One ``INSERT ... SELECT`` per language the supporters RSVP'd in (the subject is theirs), not an object
    and a statement per person: at 10,000 RSVPs that took the request from seconds to a few dozen
    milliseconds (bench/README.md). The rows are those notify.event_changed writes one at a time."""
    default = current_app.config.get("DEFAULT_LOCALE") or "en"
    locales = db.session.scalars(select(Rsvp.locale).where(*_to_notify(event)).distinct()).all()
    table = OutboxMessage.__table__
    now = utcnow()
    # Going people get the calendar file with a move; everyone with a cancellation (as notify.event_changed).
    calendar = (literal("true", String) if change == "cancelled"
                else case((Rsvp.status == RsvpStatus.GOING, literal("true", String)), else_=literal("false", String)))
    written = 0
    for stored in locales:
        locale = stored or default
        subject = outbox.clean_subject(notify.event_changed_subject(event, locale, change))
        # The renderer's data, made by the database: ids are digits and the change and locale come from
        # fixed sets of letters and "_", so nothing in it needs escaping.
        data = (literal('{"rsvp_id":', String) + cast(Rsvp.id, String)
                + literal(',"change":' + json.dumps(change) + ',"calendar":', String) + calendar
                + literal(',"locale":' + json.dumps(locale) + "}", String))
        rows = select(
            Rsvp.email, literal(subject, String), literal("", String), literal("", String), literal("", String),
            literal(notify.EVENT_CHANGED, String), data, literal(OutboxStatus.PENDING.value, String),
            literal(0, Integer), literal(now, DateTime), literal("", String), literal(now, DateTime),
        ).where(*_to_notify(event), Rsvp.locale == stored).order_by(Rsvp.id)
        written += rowcount(db.session.execute(insert(table).from_select(
            ["to_address", "subject", "body_text", "body_html", "ics_attachment", "renderer", "render_data",
             "status", "attempts", "next_attempt_at", "last_error", "created_at"], rows),
            execution_options={"preserve_rowcount": True}))  # psycopg's count of an INSERT, kept by SQLAlchemy
    return written
