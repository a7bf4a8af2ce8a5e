"""Email through an outbox: messages are rows written in the caller's transaction and sent after commit
(``flask --app organizer outbox send``), so a rolled-back change never sends and nothing is sent twice.

Sending (``send_pending``)
--------------------------
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
An RSVP's confirmation is the busiest email: rendering its text, HTML and calendar file in the request
was about a sixth of an RSVP's CPU. Such a message is written with its recipient and subject, the name
of a renderer (``register_renderer``) and, as JSON, what the renderer needs: ids, the locale, and the
one-time token the link carries (until now it sat in the row inside the rendered body; it is cleared
the same way, with the bodies, once the message is sent or given up). The worker renders it when it
sends it, from the rows as they are then: an event moved in between is shown at its new time, and a
message whose RSVP was deleted before it left is not sent at all (it is marked failed, "nothing to
send"). The row is still written in the caller's transaction, so the guarantee is unchanged: no RSVP
without its email, no email without its RSVP.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from jinja2 import TemplateNotFound
from sqlalchemy import insert, select, update

from organizer.database import is_sqlite
from organizer.extensions import db
from organizer.models import OutboxMessage, OutboxStatus
from organizer.timeutil import utcnow

log = logging.getLogger(__name__)

CLEARED = ""
DEFAULT_LEASE_SECONDS = 300
DEFAULT_RETRY_SECONDS = 60
DEFAULT_RETRY_MAX_SECONDS = 6 * 3600
SMTP_TIMEOUT_SECONDS = 30

# The "memory" backend: tests read what would have been sent here.
memory_outbox: list[EmailMessage] = []
_memory_lock = threading.Lock()


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
    from organizer.services.text import without_bidi_controls

    return " ".join(without_bidi_controls(str(subject)).split())


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for emails and pages to share, built from BASE_URL, never from the request's Host header."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return current_app.config["BASE_URL"].rstrip("/") + adapter.build(endpoint, values)


def render_bodies(template: str, subject: str, **context: Any) -> tuple[str, str]:
    """``templates/email/<template>.txt`` and ``.html`` (empty when there is none)."""
    context.setdefault("subject", subject)
    body_text = render_template(f"email/{template}.txt", **context)
    try:
        body_html = render_template(f"email/{template}.html", **context)
    except TemplateNotFound:
        body_html = ""
    return body_text, body_html


def enqueue_template(to_address: str, subject: str, template: str, *, ics_attachment: str = "",
                     **context: Any) -> OutboxMessage:
    """Render ``templates/email/<template>.txt`` (and ``.html`` when it exists) into the outbox."""
    body_text, body_html = render_bodies(template, subject, **context)
    return enqueue(to_address, subject, body_text, body_html=body_html, ics_attachment=ics_attachment)


# --- Rendered by the worker ----------------------------------------------------------------------

@dataclass(frozen=True)
class Bodies:
    body_text: str
    body_html: str = ""
    ics_attachment: str = ""


class NothingToSend(Exception):
    """What the message was about is gone (e.g. the RSVP was deleted before the worker got to it)."""


# name -> function(subject, data) returning the bodies, or None when there is nothing to send.
Renderer = Callable[[str, dict], Bodies | None]
_renderers: dict[str, Renderer] = {}


def register_renderer(name: str, renderer: Renderer) -> None:
    _renderers[name] = renderer


def enqueue_for_worker(to_address: str, subject: str, renderer: str, data: dict[str, Any]) -> None:
    """An outbox row (a plain INSERT, in the caller's transaction) whose bodies the worker renders
    with ``renderer`` from ``data`` and the request's locale."""
    data = {**data, "locale": str(get_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE", "en"))}
    db.session.execute(_INSERT_FOR_WORKER, {
        "to_address": to_address, "subject": clean_subject(subject), "body_text": "", "body_html": "",
        "ics_attachment": "", "renderer": renderer, "render_data": json.dumps(data, separators=(",", ":")),
    })


# On the table, not the mapped class: the ORM's bulk-insert path cost more than the INSERT itself.
_INSERT_FOR_WORKER = insert(OutboxMessage.__table__)


def bodies_of(message: OutboxMessage) -> Bodies:
    """What the message says: as stored, or rendered now by its renderer (needs an app context)."""
    if not message.renderer:
        return Bodies(message.body_text, message.body_html, message.ics_attachment)
    if not message.render_data:
        raise NothingToSend("its content was cleared")
    from organizer.services import rsvp_mail  # noqa: F401 (registers its renderers)

    data = json.loads(message.render_data)
    renderer = _renderers.get(message.renderer)
    if renderer is None:
        raise NothingToSend(f"no renderer {message.renderer!r}")
    with force_locale(data.get("locale") or "en"):
        bodies = renderer(message.subject, data)
    if bodies is None:
        raise NothingToSend("what it was about no longer exists")
    return bodies


# --- Building the message ------------------------------------------------------------------------

def _mail_domain(settings: Mapping[str, Any]) -> str:
    return urlsplit(settings.get("BASE_URL") or "").hostname or "organizer.invalid"


def message_id(message: OutboxMessage, settings: Mapping[str, Any]) -> str:
    """Deterministic per outbox row: a retry of the same message carries the same Message-ID."""
    stamp = message.created_at.strftime("%Y%m%d%H%M%S%f") if message.created_at else "0"
    return f"<outbox.{message.id}.{stamp}@{_mail_domain(settings)}>"


def build_email(message: OutboxMessage, settings: Mapping[str, Any], now: datetime | None = None) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.get("MAIL_SENDER") or "Organizer <no-reply@organizer.invalid>"
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime((now or utcnow()).replace(tzinfo=UTC))
    email["Message-ID"] = message_id(message, settings)
    email["Auto-Submitted"] = "auto-generated"
    bodies = bodies_of(message)
    email.set_content(bodies.body_text)
    if bodies.body_html:
        email.add_alternative(bodies.body_html, subtype="html")
    if bodies.ics_attachment:
        email.add_attachment(bodies.ics_attachment.encode("utf-8"), maintype="text", subtype="calendar",
                             filename="event.ics", params={"method": "PUBLISH", "charset": "utf-8"})
    return email


# --- Backends --------------------------------------------------------------------------------------

class TemporaryFailure(Exception):
    """Try again later (server down, 4xx)."""


class PermanentFailure(Exception):
    """Don't try again (5xx: address refused, message rejected)."""


class _SmtpBackend:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        connection = smtplib.SMTP(settings.get("MAIL_SERVER") or "127.0.0.1", int(settings.get("MAIL_PORT") or 25),
                                  timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if settings.get("MAIL_USE_STARTTLS"):
                connection.starttls(context=ssl.create_default_context())
            if settings.get("MAIL_USERNAME"):
                connection.login(settings["MAIL_USERNAME"], settings.get("MAIL_PASSWORD") or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, email: EmailMessage, name: str) -> None:
        try:
            if self.connection is None:
                self.connection = self._connect()
            sender = parseaddr(str(email["From"]))[1]
            refused = self.connection.send_message(email, from_addr=sender)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            self.close()
            codes = _smtp_codes(error)
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(str(error)) from error
            raise TemporaryFailure(str(error)) from error
        except smtplib.SMTPResponseException as error:
            self.close()
            if error.smtp_code >= 500:
                raise PermanentFailure(str(error)) from error
            raise TemporaryFailure(str(error)) from error
        except (smtplib.SMTPException, OSError, socket.timeout) as error:
            self.close()
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
        if refused:
            raise PermanentFailure(f"refused: {refused}")

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None


def _smtp_codes(error: Exception) -> list[int]:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return [code for code, _message in error.recipients.values()]
    code = getattr(error, "smtp_code", None)
    return [code] if isinstance(code, int) else []


class _FileBackend:
    """Development: each message becomes an .eml file you can open in any mail program."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.directory = Path(settings.get("MAIL_FILE_DIR") or "instance/mail")

    def send(self, email: EmailMessage, name: str) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.directory / f"{name}.eml"
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "wb") as output:
                output.write(email.as_bytes())
            os.replace(temporary, target)  # atomic: a retry overwrites, never duplicates
        except OSError as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        pass


class _MemoryBackend:
    def send(self, email: EmailMessage, name: str) -> None:
        with _memory_lock:
            memory_outbox.append(email)

    def close(self) -> None:
        pass


# --- The worker ----------------------------------------------------------------------------------

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
    claimed: list[int] = []
    try:
        for message_id_ in db.session.scalars(query).all():
            result = db.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id_,
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                )
                .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=now + lease)
            )
            if result.rowcount == 1:
                claimed.append(message_id_)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return claimed


def _backend(settings: Mapping[str, Any]):
    kind = (settings.get("MAIL_BACKEND") or "file").lower()
    if kind == "smtp":
        return _SmtpBackend(settings)
    if kind == "file":
        return _FileBackend(settings)
    if kind == "memory":
        return _MemoryBackend()
    raise ValueError(f"Unknown MAIL_BACKEND {kind!r}: use smtp, file or memory.")


def send_pending(settings: Mapping[str, Any] | None = None, limit: int = 100,
                 now: datetime | None = None) -> SendReport:
    """Send what is due; each outcome is committed on its own. Needs an app context."""
    settings = settings if settings is not None else current_app.config
    now = now or utcnow()
    report = SendReport()
    ids = claim_due(settings, limit, now)
    if not ids:
        return report
    backend = _backend(settings)
    max_attempts = int(settings.get("MAIL_MAX_ATTEMPTS") or 8)
    try:
        for message_id_ in ids:
            message = db.session.get(OutboxMessage, message_id_)
            if message is None:
                continue
            try:
                email = build_email(message, settings, now)
            except NothingToSend as error:
                db.session.rollback()
                _finish(message_id_, OutboxStatus.FAILED, now, error=f"not sent: {error}")
                report.failed += 1
                log.info("outbox message %s not sent: %s", message_id_, error)
                continue
            except Exception as error:  # noqa: BLE001 - one message that can't be rendered must not stop the others
                attempts = message.attempts
                db.session.rollback()
                log.exception("outbox message %s could not be rendered", message_id_)
                if attempts >= max_attempts:  # given up: its data (the private link) is cleared too
                    _finish(message_id_, OutboxStatus.FAILED, now, error=f"could not be rendered: {error}")
                    report.failed += 1
                else:
                    _retry_later(message_id_, now + backoff(attempts, settings), f"could not be rendered: {error}")
                    report.retrying += 1
                continue
            attempts = message.attempts
            name = f"{(message.created_at or now):%Y%m%d-%H%M%S}-{message.id:06d}"
            db.session.rollback()  # no transaction stays open while talking to the mail server
            try:
                backend.send(email, name)
            except PermanentFailure as error:
                _finish(message_id_, OutboxStatus.FAILED, now, error=str(error))
                report.failed += 1
                log.warning("outbox message %s refused: %s", message_id_, error)
            except TemporaryFailure as error:
                if attempts >= max_attempts:
                    _finish(message_id_, OutboxStatus.FAILED, now, error=str(error))
                    report.failed += 1
                    log.warning("outbox message %s given up after %s attempts: %s", message_id_, attempts, error)
                else:
                    _retry_later(message_id_, now + backoff(attempts, settings), str(error))
                    report.retrying += 1
            else:
                _finish(message_id_, OutboxStatus.SENT, now)
                report.sent += 1
    finally:
        backend.close()
    return report


def _finish(message_id_: int, status: OutboxStatus, now: datetime, error: str = "") -> None:
    values: dict[str, Any] = {"status": status, "body_text": CLEARED, "body_html": CLEARED,
                              "ics_attachment": CLEARED, "render_data": CLEARED}
    if status is OutboxStatus.SENT:
        values["sent_at"] = now
    if error:
        values["last_error"] = error[:2000]
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id_).values(**values))
    db.session.commit()


def _retry_later(message_id_: int, when: datetime, error: str) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id_)
        .values(next_attempt_at=when, last_error=error[:2000])
    )
    db.session.commit()
