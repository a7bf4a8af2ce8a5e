"""The bodies of a message to a segment (services/messaging/messages.py), rendered by the outbox worker for
each recipient: the organizers' Markdown, sanitized as event descriptions are (rendering/markdown.py), as
campaign mail (rendering/campaign_mail.py): the unsubscribe link in both parts and the List-Unsubscribe
headers, nothing for someone who unsubscribed since it was written, the campaign's Reply-To.

The request wrote every recipient's row in one statement, without their unsubscribe tokens (a signed HMAC
each: 10,000 of them were more than the whole request may take), so each recipient's token is made here,
from the row's address (the worker passes it as ``RECIPIENT``).

A message is never changed once sent, so what every recipient's mail shares (the Markdown made HTML, the
event's name and time, the rendered templates but for the unsubscribe link) is kept per message for one
batch of the worker: at 10,000 recipients it is made 50 times, not 10,000 (bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import render_template
from markupsafe import Markup

from organizer.bidi import isolates
from organizer.extensions import db
from organizer.formatting import event_datetime
from organizer.models import Campaign, Event, Message
from organizer.rendering.campaign_mail import campaign_mail_bodies, forget_rendered, unsubscribe_url
from organizer.rendering.mail_bodies import render_bodies
from organizer.rendering.markdown import render_markdown
from organizer.services.mail import unsubscribe
from organizer.services.mail.outbox import Bodies, NothingToSend
from organizer.services.messaging import messages
from organizer.urls import absolute_url

RECIPIENT = "_to"  # the key under which the worker passes the row's address


@dataclass(frozen=True)
class Content:
    campaign_id: int
    body_text: str
    body_html: Markup
    event_title: str | None = None
    event_starts_at: datetime | None = None
    event_timezone: str = ""
    event_url: str | None = None


def _content(campaign: Campaign, event: Event | None, body: str) -> Content:
    if event is None:
        return Content(campaign.id, body, render_markdown(body))
    return Content(campaign.id, body, render_markdown(body), event.title, event.starts_at, event.timezone,
                   absolute_url("public.event", slug=event.slug))


@lru_cache(maxsize=32)
def _message_content(message_id: int) -> Content:
    message = db.session.get(Message, message_id)
    if message is None:
        raise NothingToSend("the message was deleted")
    campaign = db.session.get(Campaign, message.campaign_id)
    event = db.session.get(Event, message.event_id) if message.event_id else None
    assert campaign is not None  # a message goes with its campaign
    return _content(campaign, event, message.body)


def new_batch() -> None:
    """What is kept per message is kept for one batch of the outbox worker: it calls this first."""
    _message_content.cache_clear()
    forget_rendered()


def _when(content: Content) -> str | None:
    if content.event_starts_at is None:
        return None
    return event_datetime(content.event_starts_at, content.event_timezone)


def _campaign_mail(subject: str, data: dict, content: Content, *, test: bool = False,
                   same_for_everyone: tuple[str, int] | None = None) -> Bodies:
    campaign = db.session.get(Campaign, content.campaign_id)
    if campaign is None:
        raise NothingToSend("the campaign was deleted")
    token = unsubscribe.unsubscribe_token(campaign.id, data[RECIPIENT])
    return campaign_mail_bodies("message", subject, {**data, unsubscribe.UNSUBSCRIBE_KEY: token}, campaign=campaign,
                                content=content, when=_when(content), test=test, same_for_everyone=same_for_everyone)


def _message(subject: str, data: dict) -> Bodies | None:
    message_id = int(data["message_id"])
    return _campaign_mail(subject, data, _message_content(message_id), same_for_everyone=("message", message_id))


def _message_test(subject: str, data: dict) -> Bodies | None:
    campaign = db.session.get(Campaign, data["campaign_id"])
    if campaign is None:
        return None
    event = db.session.get(Event, data["event_id"]) if data.get("event_id") else None
    return _campaign_mail(subject, data, _content(campaign, event, data["body"]), test=True)


@dataclass(frozen=True)
class Preview:
    content: Content
    when: str | None
    body_text: str


def preview(subject: str, campaign: Campaign, event: Event | None, body: str, address: str) -> Preview:
    """What a recipient will get, for the organizer's page before sending: the parts of the HTML mail
    (the page shows them in its own styles) and the whole text version, with ``address``'s own link."""
    content = _content(campaign, event, body)
    url = unsubscribe_url(unsubscribe.unsubscribe_token(campaign.id, address))
    body_text, _html = render_bodies("message", subject, campaign=campaign, content=content, when=_when(content),
                                     unsubscribe_url=url)
    footer = isolates(render_template("email/_unsubscribe.txt", campaign=campaign, unsubscribe_url=url))
    return Preview(content, _when(content), body_text.rstrip("\n") + "\n\n" + footer)


RENDERERS = {
    messages.MESSAGE: _message,
    messages.MESSAGE_TEST: _message_test,
}
