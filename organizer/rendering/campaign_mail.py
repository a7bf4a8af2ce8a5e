"""Campaign mail (issue 10.7): the bodies and headers of a mail the organizers send on their own initiative.

How a mail kind becomes campaign mail is told in services/mail/unsubscribe.py; this is its rendering
half. ``campaign_mail_bodies`` is what such a kind's renderer returns: it refuses to make a campaign
mail without its unsubscribe link, or for someone who unsubscribed since the message was written,
and otherwise renders the templates with ``unsubscribe_url`` in their context, so the HTML layout
(email/_base.html) shows the link, and appends it to the text (email/_unsubscribe.txt), whatever
the template forgot.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from flask import render_template
from flask_babel import get_locale

from organizer.bidi import isolates
from organizer.models import Campaign
from organizer.rendering.mail_bodies import render_bodies
from organizer.services.mail import unsubscribe
from organizer.services.mail.outbox import Bodies, NothingToSend
from organizer.urls import absolute_url


def unsubscribe_url(token: str) -> str:
    return absolute_url("unsubscribe.page", token=token)


def campaign_mail_bodies(template: str, subject: str, data: dict[str, Any], *, campaign: Campaign,
                         ics_attachment: str = "", same_for_everyone: Hashable | None = None,
                         **context: Any) -> Bodies:
    """``templates/email/<template>.txt`` and ``.html`` as a campaign mail of ``campaign`` to the recipient
    whose unsubscribe token ``data`` carries (``unsubscribe.enqueue_campaign_mail`` put it there).

    ``same_for_everyone`` names mail whose every recipient gets the same text but for the unsubscribe
    link (a message to a segment: its id): the templates are rendered once per language with a stand-in
    for the link, which each recipient's replaces. The checks above stay per recipient."""
    token = data.get(unsubscribe.UNSUBSCRIBE_KEY) or ""
    found = unsubscribe.read_token(token)
    if found is None or found[0].id != campaign.id:
        raise NothingToSend("a campaign mail without its recipient's unsubscribe link")
    if unsubscribe.is_hash_unsubscribed(campaign.id, found[1]):
        raise NothingToSend("the recipient unsubscribed from the campaign's mail")
    url = unsubscribe_url(token)
    if same_for_everyone is None:
        body_text, body_html = _render(template, subject, campaign, url, context)
    else:
        key = (same_for_everyone, template, subject, str(get_locale()))
        shared = _rendered_once.get(key)
        if shared is None:
            shared = _rendered_once[key] = _render(template, subject, campaign, _STAND_IN, context)
            while len(_rendered_once) > _KEEP_RENDERED:
                del _rendered_once[next(iter(_rendered_once))]
        body_text, body_html = (part.replace(_STAND_IN, url) for part in shared)
    if url not in body_html:  # a template that doesn't extend the layouts: a bug, loud in the worker's log
        raise ValueError(f"email/{template}.html shows no unsubscribe link: extend email/_layout.html or _base.html")
    return Bodies(body_text, body_html, ics_attachment, reply_to=campaign.contact_email or "", unsubscribe_url=url)


def _render(template: str, subject: str, campaign: Campaign, url: str, context: dict[str, Any]) -> tuple[str, str]:
    body_text, body_html = render_bodies(template, subject, campaign=campaign, unsubscribe_url=url, **context)
    footer = isolates(render_template("email/_unsubscribe.txt", campaign=campaign, unsubscribe_url=url))
    return body_text.rstrip("\n") + "\n\n" + footer, body_html


# Escaping leaves it as it is (no &, <, > or quotes), like every real link (/unsubscribe/<signed token>).
_STAND_IN = "https://organizer.invalid/unsubscribe/the-recipients-own-link"
_KEEP_RENDERED = 32  # messages being sent at once, times their languages: a few
_rendered_once: dict[tuple[Hashable, str, str, str], tuple[str, str]] = {}


def forget_rendered() -> None:
    """Start afresh (the outbox worker, before each batch): an id can name another message later on
    (SQLite reuses the highest id once its row is deleted), and a campaign's name can change."""
    _rendered_once.clear()
