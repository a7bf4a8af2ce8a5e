"""Email through an outbox: messages are rows written in the caller's transaction and sent after commit
(``flask --app organizer outbox send``), so a rolled-back change never sends and nothing is sent twice.

Sending (``organizer.worker.send_pending``; the backends in transport.py)
--------------------------------------------------------------------------
1. *Claim*: due messages are picked (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so parallel workers take
   different rows) and each is leased with a compare-and-set UPDATE (``attempts + 1`` and
   ``next_attempt_at = now + lease``, only if still pending and due). The claim is committed before
   any mail leaves, so no other worker can pick the same row while it is being sent.
2. *Send* through the configured backend: ``smtp`` (smtplib, MAIL_* settings), ``file`` (one .eml per
   message in MAIL_FILE_DIR, the development default) or ``memory`` (tests; ``memory_outbox``).
3. *Mark*: right after the server accepted the message it is marked sent in its own commit. On a
   temporary failure it is retried with exponential backoff (MAIL_RETRY_SECONDS × 2^(attempt-1),
   at most MAIL_RETRY_MAX_SECONDS) until MAIL_MAX_ATTEMPTS; a permanent refusal (5xx) fails at once.

The one window left is a crash between the server's "250 OK" and the mark-sent commit: the lease
then expires and the message is sent again. Every message carries a Message-ID derived from its
outbox row, the same on every attempt, so mail systems can recognize the repeat.

Once a message is sent (or given up), its bodies and calendar file are cleared: they may carry
private manage links or sign-in links, which are credentials the database otherwise keeps only as
hashes. Recipient, subject, dates and the last error stay for troubleshooting.

Rendered by the worker (``enqueue_for_worker``)
-----------------------------------------------
Services never render (rendering them in the request was also about a sixth of an RSVP's CPU). Every
email about an RSVP or its event is written with its recipient and subject, the name of a renderer
(rendering/mail.py, ``RENDERERS``) and, as JSON, what the renderer needs: ids, the locale, and the
one-time token the link carries (cleared the same way as the bodies once the message is sent or given
up). Account emails (sign-up, password reset) go the same way (renderer ``account``), so every email has a text
and an HTML part in one layout (templates/email/_base.html); ``enqueue`` with ready bodies stays for callers
that have them. Campaign mail (unsubscribe link and headers) is described in unsubscribe.py. The worker renders
it when it sends it, from the rows as they are then: an event moved in between is shown at its new time, and a
message whose RSVP was deleted before it left is not sent at all (it is marked failed, "nothing to
send"). The row is still written in the caller's transaction, so the guarantee is unchanged: no RSVP
without its email, no email without its RSVP.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import bindparam, insert, select, update

from organizer.database import is_sqlite
from organizer.extensions import db
from organizer.models import OutboxMessage, OutboxStatus
from organizer.text import without_bidi_controls
from organizer.timeutil import utcnow

CLEARED = ""
DEFAULT_LEASE_SECONDS = 300
DEFAULT_RETRY_SECONDS = 60
DEFAULT_RETRY_MAX_SECONDS = 6 * 3600


def enqueue(to_address: str, subject: str, body_text: str, *, body_html: str = "",
            ics_attachment: str = "") -> OutboxMessage:
    subject = clean_subject(subject)
    message = OutboxMessage(to_address=to_address, subject=subject, body_text=body_text,
                            body_html=body_html, ics_attachment=ics_attachment)
    db.session.add(message)
    return message


def clean_subject(subject: str) -> str:
    """A subject is one line, shown as typed: line breaks (header injection) and bidi overrides
    (which reorder what a mail client shows, e.g. in an event title) become spaces / disappear."""
    return " ".join(without_bidi_controls(str(subject)).split())


# --- Rendered by the worker ----------------------------------------------------------------------

@dataclass(frozen=True)
class Bodies:
    """What a renderer makes of a message: its parts, and the headers that depend on what it is about."""

    body_text: str
    body_html: str = ""
    ics_attachment: str = ""
    # The campaign's contact address (Campaign.contact_email), as the Reply-To; "": none.
    reply_to: str = ""
    # Campaign mail only (services/mail/unsubscribe.py): the one-click unsubscribe URL, sent as
    # List-Unsubscribe with List-Unsubscribe-Post (RFC 8058); "": not a campaign mail.
    unsubscribe_url: str = ""


class NothingToSend(Exception):
    """What the message was about is gone (e.g. the RSVP was deleted before the worker got to it)."""


def enqueue_for_worker(to_address: str, subject: str, renderer: str, data: dict[str, Any],
                       locale: str | None = None) -> None:
    """An outbox row (a plain INSERT, in the caller's transaction) whose bodies the worker renders
    with ``renderer`` from ``data`` in ``locale`` (the recipient's; by default the current one)."""
    data = {**data, "locale": locale or str(get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "en"))}
    db.session.execute(_INSERT_FOR_WORKER, {
        "to_address": to_address, "subject": clean_subject(subject), "body_text": "", "body_html": "",
        "ics_attachment": "", "renderer": renderer, "render_data": json.dumps(data, separators=(",", ":")),
    })


# On the table, not the mapped class: the ORM's bulk-insert path cost more than the INSERT itself.
_INSERT_FOR_WORKER = insert(OutboxMessage.__table__)


# --- Claiming and marking (the worker: organizer/worker.py) ----------------------------------------

@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def backoff(attempts: int, settings: Mapping[str, Any]) -> timedelta:
    base = int(settings.get("MAIL_RETRY_SECONDS") or DEFAULT_RETRY_SECONDS)
    ceiling = int(settings.get("MAIL_RETRY_MAX_SECONDS") or DEFAULT_RETRY_MAX_SECONDS)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), ceiling))


def claim_due(settings: Mapping[str, Any], limit: int = 100, now: datetime | None = None) -> list[int]:
    """Lease up to ``limit`` due messages to this worker and commit; returns their ids."""
    now = now or utcnow()
    lease = timedelta(seconds=int(settings.get("MAIL_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS))
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if not is_sqlite(db.session):
        query = query.with_for_update(skip_locked=True)
    # One statement for the whole batch (it was an UPDATE per message: a round trip per mail, bench/README.md):
    # the rows are locked by a materialized CTE, run once (as a plain IN subquery PostgreSQL may run it again
    # and claim more than ``limit``), skipping those another worker holds; the compare-and-set is kept in the
    # UPDATE's own WHERE.
    due = query.cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
    try:
        claimed = list(db.session.scalars(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(select(due.c.id)),
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
            )
            .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + lease)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    claimed.sort()
    return claimed


def finish(message_id_: int, status: OutboxStatus, now: datetime, error: str = "") -> None:
    """The message's outcome, committed; what it said is cleared (the private links in it too)."""
    values: dict[str, Any] = {"status": status, **_CLEARED_CONTENT}
    if status is OutboxStatus.SENT:
        values["sent_at"] = now
    if error:
        values["last_error"] = error[:2000]
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id_).values(**values))
    db.session.commit()


def mark_sent(message_id_: int, now: datetime) -> None:
    """``finish(message_id_, SENT, now)`` for the worker, which runs it after every mail and with no
    transaction open (it commits before talking to the mail server): the UPDATE, made once, runs in
    autocommit, one round trip to the database instead of three (BEGIN, UPDATE, COMMIT), which took
    the worker from ~180 to ~280 mails a second (bench/README.md)."""
    connection = db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    connection.execute(_MARK_SENT, {"outbox_id": message_id_, "stamp": now})
    db.session.commit()  # ends the session's transaction object; nothing is left to commit


_CLEARED_CONTENT = {"body_text": CLEARED, "body_html": CLEARED, "ics_attachment": CLEARED, "render_data": CLEARED}
_outbox = OutboxMessage.__table__
_MARK_SENT = (
    update(_outbox)
    .where(_outbox.c.id == bindparam("outbox_id"))
    .values(status=OutboxStatus.SENT, sent_at=bindparam("stamp"), **_CLEARED_CONTENT)
)


def retry_later(message_id_: int, when: datetime, error: str) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id_)
        .values(next_attempt_at=when, last_error=error[:2000])
    )
    db.session.commit()
