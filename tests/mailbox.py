"""Read the outbox in tests: emails are rows (services/mail/outbox.py), so a test can open the links."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from organizer import worker
from organizer.extensions import db
from organizer.models import OutboxMessage
from organizer.services.mail.outbox import NothingToSend

_URL = re.compile(r"https?://[^\s<>\"']+")


def as_sent(message: OutboxMessage) -> OutboxMessage:
    """A message the worker renders (services.mail.outbox.enqueue_for_worker) gets, in memory only, the bodies
    and calendar file the worker would send now; the row is not changed."""
    if message.renderer and message.render_data:
        try:
            bodies = worker.bodies_of(message)
        except NothingToSend:
            return message  # withheld (over the address's quota) or about a deleted RSVP: nothing is sent
        for key in ("body_text", "body_html", "ics_attachment"):
            set_committed_value(message, key, getattr(bodies, key))
    return message


def messages_to(address: str) -> list[OutboxMessage]:
    return [as_sent(message) for message in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == address.lower()).order_by(OutboxMessage.id)
    )]


def all_messages() -> list[OutboxMessage]:
    return [as_sent(message) for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def links_in(message: OutboxMessage) -> list[str]:
    return _URL.findall(message.body_text)


def last_link(address: str, containing: str = "") -> str:
    """The last link sent to ``address`` whose URL contains ``containing`` (absolute, from BASE_URL)."""
    for message in reversed(messages_to(address)):
        for link in reversed(links_in(message)):
            if containing in link:
                return link
    raise AssertionError(f"no link containing {containing!r} was emailed to {address}")


def path_of(link: str) -> str:
    """The path of an emailed link, for the test client (which serves http://localhost)."""
    return "/" + link.split("://", 1)[1].split("/", 1)[1]
