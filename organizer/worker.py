"""The outbox worker (``flask --app organizer outbox send [--loop]``): claims due messages, has the rendering
layer make the bodies of those written for the worker, sends them and marks each outcome.

It sits above services and rendering and joins them: the rule layer writes what a message needs
(services/mail/outbox.py), presentation turns that into text, HTML and a calendar file
(rendering/mail.py), and only here are both imported.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale

from organizer.extensions import db
from organizer.models import OutboxMessage, OutboxStatus
from organizer.rendering.mail import RENDERERS
from organizer.services.mail.outbox import (
    Bodies,
    NothingToSend,
    SendReport,
    backoff,
    claim_due,
    finish,
    retry_later,
)
from organizer.services.mail.transport import PermanentFailure, TemporaryFailure, backend, build_email
from organizer.timeutil import utcnow

log = logging.getLogger(__name__)


def bodies_of(message: OutboxMessage) -> Bodies:
    """What the message says: as stored, or rendered now by its renderer (needs an app context)."""
    if not message.renderer:
        return Bodies(message.body_text, message.body_html, message.ics_attachment)
    if not message.render_data:
        raise NothingToSend("its content was cleared")
    data = json.loads(message.render_data)
    renderer = RENDERERS.get(message.renderer)
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
    max_attempts = int(settings.get("MAIL_MAX_ATTEMPTS") or 8)
    try:
        for message_id_ in ids:
            message = db.session.get(OutboxMessage, message_id_)
            if message is None:
                continue
            try:
                email = build_email(message, bodies_of(message), settings, now)
            except NothingToSend as error:
                db.session.rollback()
                finish(message_id_, OutboxStatus.FAILED, now, error=f"not sent: {error}")
                report.failed += 1
                log.info("outbox message %s not sent: %s", message_id_, error)
                continue
            except Exception as error:  # noqa: BLE001 - one message that can't be rendered must not stop the others
                attempts = message.attempts
                db.session.rollback()
                log.exception("outbox message %s could not be rendered", message_id_)
                if attempts >= max_attempts:  # given up: its data (the private link) is cleared too
                    finish(message_id_, OutboxStatus.FAILED, now, error=f"could not be rendered: {error}")
                    report.failed += 1
                else:
                    retry_later(message_id_, now + backoff(attempts, settings), f"could not be rendered: {error}")
                    report.retrying += 1
                continue
            attempts = message.attempts
            name = f"{(message.created_at or now):%Y%m%d-%H%M%S}-{message.id:06d}"
            db.session.rollback()  # no transaction stays open while talking to the mail server
            try:
                sender.send(email, name)
            except PermanentFailure as error:
                finish(message_id_, OutboxStatus.FAILED, now, error=str(error))
                report.failed += 1
                log.warning("outbox message %s refused: %s", message_id_, error)
            except TemporaryFailure as error:
                if attempts >= max_attempts:
                    finish(message_id_, OutboxStatus.FAILED, now, error=str(error))
                    report.failed += 1
                    log.warning("outbox message %s given up after %s attempts: %s", message_id_, attempts, error)
                else:
                    retry_later(message_id_, now + backoff(attempts, settings), str(error))
                    report.retrying += 1
            else:
                finish(message_id_, OutboxStatus.SENT, now)
                report.sent += 1
    finally:
        sender.close()
    return report


