"""Email through an outbox: messages are rows written in the caller's transaction and sent after commit
(``flask --app organizer outbox send``), so a rolled-back change never sends and nothing is sent twice."""

from __future__ import annotations

from organizer.extensions import db
from organizer.models import OutboxMessage


def enqueue(to_address: str, subject: str, body_text: str, *, body_html: str = "",
            ics_attachment: str = "") -> OutboxMessage:
    message = OutboxMessage(to_address=to_address, subject=subject, body_text=body_text,
                            body_html=body_html, ics_attachment=ics_attachment)
    db.session.add(message)
    return message
