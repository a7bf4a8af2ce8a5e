"""Messages to a segment: compose, test, send, and the log of what was sent.

Sending writes the message and one outbox row per recipient in one INSERT ... SELECT over the segment's
query (segments.py), so a request that reaches 10,000 people does one statement, builds no object per
person and returns at once; the outbox worker renders each mail (rendering/message_mail.py) when it sends
it. The unique key (message, normalized address) on the outbox rows means an address gets a message
once, whatever writes its rows; the message's idempotency key (from the confirmation form) means a
second submit of the same form finds the message already sent instead of sending it again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, String, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from organizer.database import rowcount
from organizer.extensions import db
from organizer.models import AccessKind, Campaign, Message, OutboxMessage, OutboxStatus, User
from organizer.services.common import permissions
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.common.validation import clean_text
from organizer.services.mail import outbox
from organizer.services.messaging import segments
from organizer.services.messaging.segments import Audience
from organizer.services.privacy import access_log
from organizer.timeutil import utcnow

# The renderer names the worker looks up (rendering/mail.py, RENDERERS).
MESSAGE = "message"
MESSAGE_TEST = "message_test"

SUBJECT_LIMIT = 200
BODY_LIMIT = 20_000
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str


def clean_draft(subject: str | None, body: str | None) -> Draft:
    return Draft(
        outbox.clean_subject(clean_text(subject, SUBJECT_LIMIT, "subject",
                                        required_message=_("Write a subject."))),
        clean_text(body, BODY_LIMIT, "body", required_message=_("Write the message.")),
    )


def recipient_count(user: User, target: Audience) -> int:
    permissions.require(user, target.campaign, Action.SEND_MESSAGES)
    return segments.count(target)


def send_test(user: User, target: Audience, draft: Draft) -> None:
    """The message as a recipient gets it, to the sender's own address only; not logged, not counted."""
    permissions.require(user, target.campaign, Action.SEND_MESSAGES)
    outbox.enqueue_for_worker(user.email, draft.subject, MESSAGE_TEST, {
        "campaign_id": target.campaign.id,
        "event_id": target.event.id if target.event else None,
        "body": draft.body,
    }, locale=user.locale or None)


def send(user: User, target: Audience, draft: Draft, idempotency_key: str) -> tuple[Message, bool]:
    """Writes the message and its outbox rows in the caller's transaction (call it first in that
    transaction). Returns the message and whether this call sent it (False: this form was already sent,
    and nothing more is written)."""
    permissions.require(user, target.campaign, Action.SEND_MESSAGES)
    if not _KEY.match(idempotency_key or ""):
        raise ValidationFailed(_("That request could not be matched. Reload the page and try again."))
    earlier = _by_key(idempotency_key)
    if earlier is not None:
        return earlier, False
    message = Message(
        campaign_id=target.campaign.id, event_id=target.event.id if target.event else None,
        sender_id=user.id, sender_email=user.email, segments=target.segment_values,
        subject=draft.subject, body=draft.body, recipient_count=0, idempotency_key=idempotency_key,
    )
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:
        # The same form sent twice at once: the other request wrote it (PostgreSQL made this one wait
        # for its commit); it sends, this one shows it. The transaction holds nothing else of this
        # request's yet, so it is rolled back whole (a savepoint would commit on SQLite's driver).
        db.session.rollback()
        earlier = _by_key(idempotency_key)
        if earlier is None:
            raise
        return earlier, False
    written = _write_outbox_rows(message, target)
    if written == 0:
        raise ValidationFailed(_("Nobody in this group has an email address we may write to."), field="segments")
    message.recipient_count = written
    access_log.record_access(target.campaign, AccessKind.MESSAGE, actor=user, event=target.event,
                             subject=message.segments, detail=message.subject, count=written, message=message)
    return message, True


def _by_key(idempotency_key: str) -> Message | None:
    return db.session.scalar(select(Message).where(Message.idempotency_key == idempotency_key))


def _write_outbox_rows(message: Message, target: Audience) -> int:
    people = segments.recipients(target).subquery()
    default_locale = current_app.config.get("DEFAULT_LOCALE") or "en"
    locale = func.coalesce(func.nullif(people.c.locale, ""), default_locale)
    # The renderer's data, built by the database: the message id and the recipient's locale (a locale is
    # letters and "_" only, nothing JSON would have to escape).
    prefix = json.dumps({"message_id": message.id})[:-1] + ',"locale":"'
    table = OutboxMessage.__table__
    now = utcnow()
    rows = select(
        people.c.address, literal(message.subject, String), literal("", String), literal("", String),
        literal("", String), literal(MESSAGE, String), literal(prefix, String) + locale + literal('"}', String),
        literal(OutboxStatus.PENDING.value, String), literal(0, Integer), literal(now, DateTime),
        literal("", String), literal(now, DateTime), literal(message.id, Integer), people.c.recipient_key,
    )
    result = db.session.execute(insert(table).from_select(
        ["to_address", "subject", "body_text", "body_html", "ics_attachment", "renderer", "render_data",
         "status", "attempts", "next_attempt_at", "last_error", "created_at", "message_id", "recipient_key"],
        rows,
    ), execution_options={"preserve_rowcount": True})  # an INSERT's count is kept only when asked for
    return rowcount(result)


# --- The log ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LogEntry:
    message: Message
    sent: int
    failed: int
    waiting: int

    @property
    def created_at(self):
        return self.message.created_at


def delivery_counts(message_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(sent, failed, waiting) for each of these messages, counted from their outbox rows in one statement."""
    counts: dict[int, list[int]] = {message_id: [0, 0, 0] for message_id in message_ids}
    if message_ids:
        column = {"sent": 0, "failed": 1, "pending": 2}
        for message_id, status, number in db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.status, func.count())
            .where(OutboxMessage.message_id.in_(message_ids))
            .group_by(OutboxMessage.message_id, OutboxMessage.status)
        ):
            if message_id is not None:
                counts[message_id][column[OutboxStatus(status).value]] = number
    return {message_id: (sent, failed, waiting) for message_id, (sent, failed, waiting) in counts.items()}


def log(campaign: Campaign, limit: int) -> list[LogEntry]:
    """The campaign's newest ``limit`` messages, with how many of each were sent, failed or are waiting
    (counted from their outbox rows: two statements for the whole page)."""
    messages = list(db.session.scalars(
        select(Message).options(selectinload(Message.sender), selectinload(Message.event))
        .where(Message.campaign_id == campaign.id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    ))
    counts: dict[tuple[int | None, str], int] = {}
    if messages:
        for message_id, status, number in db.session.execute(
            select(OutboxMessage.message_id, OutboxMessage.status, func.count())
            .where(OutboxMessage.message_id.in_([message.id for message in messages]))
            .group_by(OutboxMessage.message_id, OutboxMessage.status)
        ):
            counts[(message_id, OutboxStatus(status).value)] = number
    return [LogEntry(message, counts.get((message.id, "sent"), 0), counts.get((message.id, "failed"), 0),
                     counts.get((message.id, "pending"), 0)) for message in messages]


def message_for(campaign: Campaign, message_id: int) -> Message | None:
    return db.session.scalar(select(Message).where(Message.id == message_id, Message.campaign_id == campaign.id))
