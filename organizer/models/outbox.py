from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from organizer.extensions import Model
from organizer.models._types import enum_column
from organizer.timeutil import utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS


class OutboxMessage(Model):
    """An email written in the same transaction as the change it reports; sent after commit."""

    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # A message to a segment reaches each address once: however often its rows are written, by
        # whichever request (services/messaging/messages.py). NULLs (every other mail) never collide.
        UniqueConstraint("message_id", "recipient_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    ics_attachment: Mapped[str] = mapped_column(Text, default="")
    # Rendered by the worker (rendering/mail.py, called by organizer/worker.py): the bodies above stay empty until it
    # sends, and ``render_data`` (JSON) holds what the renderer needs. Cleared with the bodies.
    renderer: Mapped[str] = mapped_column(String(40), default="")
    render_data: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # For a message to a segment (models/message.py): which one, and the recipient's normalized address.
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    recipient_key: Mapped[str | None] = mapped_column(String(254))


class MailQuota(Model):
    """How many emails the RSVP form has sent to one address about one event in the current window
    (services.mail_limits). The key is an HMAC (SECRET_KEY) of the event and the normalized address:
    the address itself is not stored here. Rows whose window has passed are deleted by the outbox worker."""

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(index=True)
    mails: Mapped[int] = mapped_column(default=0)
    notices: Mapped[int] = mapped_column(default=0)  # of which "this address already had an RSVP"
