"""Email bodies: ``templates/email/<template>.txt`` and ``.html``, and the calendar file they attach.

Called by the outbox worker (organizer/worker.py) when it sends a message written for it: each renderer
takes the message's subject and the data the rule layer stored (services/rsvp/notify.py) and reads the
rows as they are then, so an event moved in between is shown at its new time, and a message whose RSVP
was deleted before it left is not sent at all (``None``: nothing to send).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from organizer.extensions import db
from organizer.formatting import event_datetime
from organizer.models import Rsvp, RsvpStatus
from organizer.rendering import calendar
from organizer.rendering.mail_bodies import render_bodies
from organizer.services.mail.outbox import Bodies, NothingToSend
from organizer.services.rsvp import notify
from organizer.services.rsvp.capacity import waitlist_position
from organizer.services.rsvp.links import new_link_token
from organizer.urls import absolute_url


def _context(rsvp: Rsvp, token: str | None = None) -> dict:
    event = rsvp.event
    context = {
        "rsvp": rsvp,
        "event": event,
        "event_title": notify.title_for(rsvp),
        "campaign": event.campaign,
        "when": event_datetime(event.starts_at, event.timezone),
        "place": calendar.location_of(event),
        "event_url": absolute_url("public.event", slug=event.slug),
        "calendar_url": absolute_url("rsvp.event_ics", slug=event.slug),
        "manage_url": absolute_url("rsvp.manage", token=token) if token else None,
        "site_url": current_app.config["BASE_URL"].rstrip("/"),
    }
    if token:
        context["ticket_url"] = context["manage_url"] + "#ticket"
    return context


def reply_to(rsvp: Rsvp) -> str:
    """Replies to any mail about a campaign's event go to the campaign's contact address, if it has one."""
    return rsvp.event.campaign.contact_email or ""


# For renderers of other mail kinds about one RSVP (reminders, follow-ups): the same context.
rsvp_context = _context


def _ics(rsvp: Rsvp) -> str:
    return calendar.event_ics(rsvp.event).decode("utf-8")


def _rsvp(data: dict) -> Rsvp | None:
    """The RSVP a message is about, or None when it was deleted before the worker got to it."""
    return db.session.get(Rsvp, data["rsvp_id"])


def _rsvp_received(subject: str, data: dict) -> Bodies | None:
    if data.get("withheld"):
        raise NothingToSend("withheld: this address's quota of RSVP emails for the event was used up")
    rsvp = _rsvp(data)
    if rsvp is None:
        return None  # nobody is left to confirm
    context = _context(rsvp, data["token"])
    attachment = _ics(rsvp) if data.get("calendar") else ""
    earlier = db.session.get(Rsvp, data["earlier_id"]) if data.get("earlier_id") else None
    if earlier is not None and earlier.status is not RsvpStatus.CANCELLED:
        # The address already had an RSVP: greet its owner by the name on their own RSVP, not the one
        # just typed, and offer a new link for theirs.
        body_text, body_html = render_bodies(
            "rsvp_again", subject, earlier=earlier, earlier_position=waitlist_position(earlier),
            position=data.get("position"), new_link_url=absolute_url("rsvp.new_link", signed=new_link_token(earlier)),
            **context)
        return Bodies(body_text, body_html, attachment, reply_to=reply_to(rsvp))
    body_text, body_html = render_bodies(data["template"], subject, position=data.get("position"), **context)
    return Bodies(body_text, body_html, attachment, reply_to=reply_to(rsvp))


def _promoted(subject: str, data: dict) -> Bodies | None:
    rsvp = _rsvp(data)
    if rsvp is None:
        return None
    body_text, body_html = render_bodies(
        "rsvp_promoted", subject, new_link_url=absolute_url("rsvp.new_link", signed=data["new_link_token"]),
        **_context(rsvp))
    return Bodies(body_text, body_html, _ics(rsvp), reply_to=reply_to(rsvp))


def _event_changed(subject: str, data: dict) -> Bodies | None:
    rsvp = _rsvp(data)
    if rsvp is None:
        return None
    change = data["change"]
    if change == "cancelled":
        body_text, body_html = render_bodies("event_cancelled", subject, **_context(rsvp))
    else:
        body_text, body_html = render_bodies("event_changed", subject, change=change, **_context(rsvp))
    return Bodies(body_text, body_html, _ics(rsvp) if data.get("calendar") else "", reply_to=reply_to(rsvp))


# The outbox row's ``renderer`` -> function(subject, data) returning the bodies, or None when there is
# nothing to send.
Renderer = Callable[[str, dict], Bodies | None]
RENDERERS: dict[str, Renderer] = {
    notify.RSVP_RECEIVED: _rsvp_received,
    notify.RSVP_PROMOTED: _promoted,
    notify.EVENT_CHANGED: _event_changed,
}
