"""The outbox worker (``flask --app organizer outbox send [--loop]``): claims due messages, has the rendering
layer make the bodies of those written for the worker, sends them and marks each outcome.

It sits above services and rendering and joins them: the rule layer writes what a message needs
(services/mail/outbox.py), presentation turns that into text, HTML and a calendar file
(rendering/mail.py), and only here are both imported.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import event as orm_events
from sqlalchemy import select
from sqlalchemy.orm import Session

from organizer.extensions import db
from organizer.models import OutboxMessage, OutboxStatus
from organizer.rendering import mail, message_mail, reminders
from organizer.services.mail import unsubscribe
from organizer.services.mail.outbox import (
    Bodies,
    NothingToSend,
    SendReport,
    backoff,
    claim_due,
    finish,
    mark_sent,
    retry_later,
)
from organizer.services.mail.transport import PermanentFailure, TemporaryFailure, backend, build_email
from organizer.timeutil import utcnow

log = logging.getLogger(__name__)

RECIPIENT = message_mail.RECIPIENT


def bodies_of(message: OutboxMessage) -> Bodies:
    """What the message says: as stored, or rendered now by its renderer (needs an app context)."""
    if not message.renderer:
        return Bodies(message.body_text, message.body_html, message.ics_attachment)
    if not message.render_data:
        raise NothingToSend("its content was cleared")
    # The recipient too: a message to a segment makes each one's unsubscribe link when it is sent, since
    # the request wrote its rows in one statement (rendering/message_mail.py).
    data = {**json.loads(message.render_data), RECIPIENT: message.to_address}
    # Looked up when sending, not copied at import, so a renderer added to one of the tables is found.
    renderer = (message_mail.RENDERERS.get(message.renderer) or reminders.RENDERERS.get(message.renderer)
                or mail.RENDERERS.get(message.renderer))
    if renderer is None:
        raise NothingToSend(f"no renderer {message.renderer!r}")
    with force_locale(data.get("locale") or "en"):
        bodies = renderer(message.subject, data)
    if bodies is None:
        raise NothingToSend("what it was about no longer exists")
    return bodies


def send_pending(settings: Mapping[str, Any] | None = None, limit: int = 100,
                 now: datetime | None = None) -> SendReport:
    """Send what is due; each outcome is committed on its own. Needs an app context."""
    settings = settings if settings is not None else current_app.config
    now = now or utcnow()
    report = SendReport()
    ids = claim_due(settings, limit, now)
    if not ids:
        return report
    sender = backend(settings)
    message_mail.new_batch()
    max_attempts = int(settings.get("MAIL_MAX_ATTEMPTS") or 8)
    # The claimed rows in one query, detached so that the rollbacks and commits around each mail don't
    # reload them one by one (a SELECT per mail, bench/README.md).
    claimed = {message.id: message for message in
               db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
    for row in claimed.values():
        db.session.expunge(row)
    db.session.rollback()
    # What the renderers read (a campaign, its message, its event) stays loaded across the batch: every
    # mail's commit expiring it, or the session's weak references letting it go, made each mail load
    # its campaign again (bench/README.md).
    session = db.session()
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    loaded: list[object] = []  # strong references: the session's identity map holds weak ones

    def keep(_session: Session, instance: object) -> None:
        loaded.append(instance)

    orm_events.listen(session, "loaded_as_persistent", keep)
    try:
        with unsubscribe.one_lookup_per_campaign():
            _send_batch(ids, claimed, sender, settings, now, max_attempts, report)
    finally:
        orm_events.remove(session, "loaded_as_persistent", keep)
        session.expire_on_commit = expire_on_commit
        session.expire_all()
        sender.close()
    return report


def _send_batch(ids: list[int], claimed: dict[int, OutboxMessage], sender: Any, settings: Mapping[str, Any],
                now: datetime, max_attempts: int, report: SendReport) -> None:
    for message_id_ in ids:
        if message_id_ not in claimed:
            continue
        message = claimed[message_id_]
        kind, claimed_attempts = message.renderer or "prepared", message.attempts
        try:
            email = build_email(message, bodies_of(message), settings, now)
        except NothingToSend as error:
            db.session.rollback()
            finish(message_id_, OutboxStatus.FAILED, now, error=f"not sent: {error}")
            report.failed += 1
            _log_outcome(message_id_, kind, claimed_attempts, "not_sent")
            continue
        except Exception as error:
            attempts = message.attempts
            db.session.rollback()
            log.exception("outbox message %s could not be rendered", message_id_,
                          extra={"message_id": message_id_, "kind": kind, "attempt": attempts,
                                 "outcome": "render_failed"})
            if attempts >= max_attempts:  # given up: its data (the private link) is cleared too
                finish(message_id_, OutboxStatus.FAILED, now, error=f"could not be rendered: {error}")
                report.failed += 1
            else:
                retry_later(message_id_, now + backoff(attempts, settings), f"could not be rendered: {error}")
                report.retrying += 1
            continue
        attempts = message.attempts
        name = f"{(message.created_at or now):%Y%m%d-%H%M%S}-{message.id:06d}"
        # No transaction stays open while talking to the mail server. The renderers only read, so
        # this commit writes nothing; unlike a rollback it leaves what they loaded loaded.
        if db.session.new or db.session.dirty or db.session.deleted:
            db.session.rollback()  # a renderer that changed something: none of it is kept
        else:
            db.session.commit()
        try:
            sender.send(email, name)
        except PermanentFailure as error:
            finish(message_id_, OutboxStatus.FAILED, now, error=str(error))
            report.failed += 1
            _log_outcome(message_id_, kind, attempts, "refused", error, logging.WARNING)
        except TemporaryFailure as error:
            if attempts >= max_attempts:
                finish(message_id_, OutboxStatus.FAILED, now, error=str(error))
                report.failed += 1
                _log_outcome(message_id_, kind, attempts, "given_up", error, logging.WARNING)
            else:
                retry_later(message_id_, now + backoff(attempts, settings), str(error))
                report.retrying += 1
                _log_outcome(message_id_, kind, attempts, "retrying", error)
        else:
            mark_sent(message_id_, now)
            report.sent += 1
            _log_outcome(message_id_, kind, attempts, "sent")


def _log_outcome(message_id_: int, kind: str, attempt: int | None, outcome: str, error: Exception | None = None,
                 level: int = logging.INFO) -> None:
    """One line per message and attempt: id, kind, attempt and outcome, never to whom. A failure is named by
    its class and SMTP codes only: a server's reply often quotes the address (SMTPRecipientsRefused holds it)."""
    cause = error.__cause__ if error is not None and isinstance(error.__cause__, Exception) else error
    reason = f" ({type(cause).__name__}{''.join(f' {code}' for code in _smtp_codes(cause))})" if cause else ""
    log.log(level, "outbox message %s %s, attempt %s, kind %s%s", message_id_, outcome, attempt, kind, reason,
            extra={"message_id": message_id_, "kind": kind, "attempt": attempt, "outcome": outcome})


def _smtp_codes(error: BaseException | None) -> list[int]:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return [code for code, _reply in error.recipients.values()]
    code = getattr(error, "smtp_code", None)
    return [code] if isinstance(code, int) else []
