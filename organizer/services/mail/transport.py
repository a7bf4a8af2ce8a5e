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
from email.message import EmailMessage
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
                now: datetime | None = None) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.get("MAIL_SENDER") or "Organizer <no-reply@organizer.invalid>"
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime((now or utcnow()).replace(tzinfo=UTC))
    email["Message-ID"] = message_id(message, settings)
    email["Auto-Submitted"] = "auto-generated"
    if bodies.reply_to:
        email["Reply-To"] = bodies.reply_to
    if bodies.unsubscribe_url:
        # RFC 2369 / RFC 8058: mail clients show an "Unsubscribe" button that POSTs this body to the URL.
        email["List-Unsubscribe"] = f"<{bodies.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
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


def backend(settings: Mapping[str, Any]):
    kind = (settings.get("MAIL_BACKEND") or "file").lower()
    if kind == "smtp":
        return _SmtpBackend(settings)
    if kind == "file":
        return _FileBackend(settings)
    if kind == "memory":
        return _MemoryBackend()
    raise ValueError(f"Unknown MAIL_BACKEND {kind!r}: use smtp, file or memory.")


