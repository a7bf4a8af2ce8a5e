"""Turning an outbox row into an email and handing it to a backend: ``smtp`` (smtplib, MAIL_* settings),
``file`` (one .eml per message in MAIL_FILE_DIR, the development default) or ``memory`` (tests; ``memory_outbox``)."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from email.charset import BASE64, QP, Charset
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from organizer.models import OutboxMessage
from organizer.services.mail.outbox import Bodies
from organizer.timeutil import utcnow

SMTP_TIMEOUT_SECONDS = 30

# The "memory" backend: tests read what would have been sent here.
memory_outbox: list[EmailMessage] = []
_memory_lock = threading.Lock()


def _mail_domain(settings: Mapping[str, Any]) -> str:
    return urlsplit(settings.get("BASE_URL") or "").hostname or "organizer.invalid"


def message_id(message: OutboxMessage, settings: Mapping[str, Any]) -> str:
    """Deterministic per outbox row: a retry of the same message carries the same Message-ID."""
    stamp = message.created_at.strftime("%Y%m%d%H%M%S%f") if message.created_at else "0"
    return f"<outbox.{message.id}.{stamp}@{_mail_domain(settings)}>"


def build_email(message: OutboxMessage, bodies: Bodies, settings: Mapping[str, Any],
                now: datetime | None = None) -> Message:
    """The MIME message: multipart/alternative (text, then HTML), inside multipart/mixed with the
    calendar file when there is one.

    Built with the classic ``email.mime`` classes and plain header strings: ``EmailMessage`` with the
    default policy parses and folds every header it is given and picks each part's encoding by
    trying them, ~2 ms a mail, a fifth of what the outbox worker spent per mail (bench/README.md).
    Non-ASCII in headers is encoded here (RFC 2047), as that policy did."""
    sender = settings.get("MAIL_SENDER") or "Organizer <no-reply@organizer.invalid>"
    alternative: Message = _text_part(bodies.body_text, "plain")
    if bodies.body_html:
        alternative = MIMEMultipart("alternative", _subparts=[alternative, _text_part(bodies.body_html, "html")],
                                    policy=_POLICY)
    email: Message = alternative
    if bodies.ics_attachment:
        calendar = _text_part(bodies.ics_attachment, "calendar")
        calendar.set_param("method", "PUBLISH")
        calendar.add_header("Content-Disposition", "attachment", filename="event.ics")
        email = MIMEMultipart("mixed", _subparts=[alternative, calendar], policy=_POLICY)
    email["From"] = _header("From", sender)
    email["To"] = _header("To", message.to_address)
    email["Subject"] = _header("Subject", message.subject)
    email["Date"] = format_datetime((now or utcnow()).replace(tzinfo=UTC))
    email["Message-ID"] = message_id(message, settings)
    email["Auto-Submitted"] = "auto-generated"
    if bodies.reply_to:
        email["Reply-To"] = _header("Reply-To", bodies.reply_to)
    if bodies.unsubscribe_url:
        # RFC 2369 / RFC 8058: mail clients show an "Unsubscribe" button that POSTs this body to the URL.
        email["List-Unsubscribe"] = f"<{bodies.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return email


def _text_part(text: str, subtype: str) -> Message:
    if text.isascii():
        return MIMEText(text, subtype, "us-ascii", policy=_POLICY)
    # Mostly Latin text reads best as quoted-printable; Arabic (two bytes a letter) is shorter in base64.
    mostly_ascii = (len(text.encode()) - len(text)) * 6 < len(text)  # bytes beyond one per character
    part = MIMENonMultipart("text", subtype, policy=_POLICY, charset="utf-8")
    part.set_payload(text, _UTF8_QUOTED_PRINTABLE if mostly_ascii else _UTF8_BASE64)
    return part


# Headers as given, on one line however long (RFC 5322 allows 998 characters): folded, an unbreakable
# List-Unsubscribe URL went to a line of its own and read back with a leading space. Encoded words
# (``_header``) fold themselves.
_POLICY = compat32.clone(max_line_length=0)
_UTF8_QUOTED_PRINTABLE = Charset("utf-8")
_UTF8_QUOTED_PRINTABLE.body_encoding = QP
_UTF8_BASE64 = Charset("utf-8")
_UTF8_BASE64.body_encoding = BASE64


def _header(name: str, value: str) -> str:
    """The value as it goes on the wire: ASCII as given; otherwise folded into encoded words (RFC 2047) by
    the default policy, as ``EmailMessage`` did, so that readers split and join them the same way."""
    if value.isascii():
        return value
    folded = default_policy.header_factory(name, value).fold(policy=_FOLDING)
    return folded[len(name) + 2:].rstrip("\n")


_FOLDING = default_policy.clone(linesep="\n")


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

    def send(self, email: Message, name: str) -> None:
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
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
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

    def send(self, email: Message, name: str) -> None:
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
    def send(self, email: Message, name: str) -> None:
        # What a mail program would read: the bytes sent, parsed (tests use EmailMessage's accessors).
        received = BytesParser(_class=EmailMessage, policy=default_policy).parsebytes(email.as_bytes())
        assert isinstance(received, EmailMessage)
        with _memory_lock:
            memory_outbox.append(received)

    def close(self) -> None:
        pass


def backend(settings: Mapping[str, Any]):
    kind = (settings.get("MAIL_BACKEND") or "file").lower()
    if kind == "smtp":
        return _SmtpBackend(settings)
    if kind == "file":
        return _FileBackend(settings)
    if kind == "memory":
        return _MemoryBackend()
    raise ValueError(f"Unknown MAIL_BACKEND {kind!r}: use smtp, file or memory.")


