"""What supporters are told by email about their RSVP. Each function writes one outbox message in the
caller's transaction (see services/mail.py); nothing here sends anything itself.

Manage links are built from BASE_URL. The token is only known at the moment it is issued, which is why
these functions take it as an argument: the database keeps hashes only (and the outbox row, until the
message is sent, the link it carries).

The confirmation of a new RSVP (going or waitlisted) is rendered by the outbox worker
(``mail.enqueue_for_worker``): the request writes the RSVP's id, the token and the waitlist position,
and ``_render_rsvp_received`` makes the bodies and calendar file when the message is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from organizer.extensions import db
from organizer.models import Event, Rsvp, RsvpStatus
from organizer.services import calendar, mail

RSVP_RECEIVED = "rsvp_received"


@dataclass(frozen=True)
class NewRsvp:
    """What the emails read of an RSVP just written with a plain INSERT (services.rsvps.create_rsvp),
    so that no ORM object has to be built, flushed or reloaded for them."""

    id: int
    event: Event
    name: str
    email: str
    guests: int
    status: RsvpStatus


def _context(rsvp: Rsvp | NewRsvp, token: str | None = None) -> dict:
    from organizer.templating import event_datetime

    event = rsvp.event
    context = {
        "rsvp": rsvp,
        "event": event,
        "campaign": event.campaign,
        "when": event_datetime(event.starts_at, event.timezone),
        "place": calendar.location_of(event),
        "event_url": mail.absolute_url("public.event", slug=event.slug),
        "calendar_url": mail.absolute_url("rsvp.event_ics", slug=event.slug),
        "manage_url": mail.absolute_url("rsvp.manage", token=token) if token else None,
        "site_url": current_app.config["BASE_URL"].rstrip("/"),
    }
    if token:
        context["ticket_url"] = context["manage_url"] + "#ticket"
    return context


def _ics(rsvp: Rsvp | NewRsvp) -> str:
    return calendar.event_ics(rsvp.event).decode("utf-8")


def rsvp_received(rsvp: Rsvp | NewRsvp, token: str, position: int | None) -> None:
    """Confirmation (going, with the calendar file) or "you're on the waitlist", rendered by the worker."""
    if not rsvp.email:
        return
    going = rsvp.status is RsvpStatus.GOING
    if going:
        subject = _("You're going: %(title)s", title=rsvp.event.title)
    else:
        subject = _("You're on the waitlist: %(title)s", title=rsvp.event.title)
    mail.enqueue_for_worker(rsvp.email, subject, RSVP_RECEIVED, {
        "template": "rsvp_confirmation" if going else "rsvp_waitlisted",
        "rsvp_id": rsvp.id,
        "token": token,
        "position": position,
        "calendar": going,
    })


def _render_rsvp_received(subject: str, data: dict) -> mail.Bodies | None:
    rsvp = db.session.get(Rsvp, data["rsvp_id"])
    if rsvp is None:
        return None  # deleted before the worker got to it: nobody is left to confirm
    context = _context(rsvp, data["token"])
    body_text, body_html = mail.render_bodies(data["template"], subject, position=data.get("position"), **context)
    return mail.Bodies(body_text, body_html, _ics(rsvp) if data.get("calendar") else "")


mail.register_renderer(RSVP_RECEIVED, _render_rsvp_received)


def promoted(rsvp: Rsvp, token: str) -> None:
    """A place opened up: they're going now. Holds the new private link and the calendar file."""
    if not rsvp.email:
        return
    mail.enqueue_template(rsvp.email, _("A place opened up — you're going: %(title)s", title=rsvp.event.title),
                          "rsvp_promoted", ics_attachment=_ics(rsvp), **_context(rsvp, token))


def link_again(rsvp: Rsvp, new_link_token: str) -> None:
    """Someone RSVP'd again with an address that already has an RSVP: its owner is told, and gets the
    way to a new private link should they have lost theirs (their current link keeps working)."""
    if not rsvp.email:
        return
    from organizer.services.rsvps import waitlist_position

    mail.enqueue_template(rsvp.email, _("Your RSVP: %(title)s", title=rsvp.event.title), "rsvp_link_again",
                          position=waitlist_position(rsvp),
                          new_link_url=mail.absolute_url("rsvp.new_link", signed=new_link_token), **_context(rsvp))


def event_changed(rsvp: Rsvp, change: str) -> None:
    """The event was cancelled, or its time or place changed."""
    if not rsvp.email:
        return
    context = _context(rsvp)
    if change == "cancelled":
        mail.enqueue_template(rsvp.email, _("Cancelled: %(title)s", title=rsvp.event.title),
                              "event_cancelled", ics_attachment=_ics(rsvp), **context)
        return
    if change == "time":
        subject = _("New time: %(title)s", title=rsvp.event.title)
    elif change == "place":
        subject = _("New place: %(title)s", title=rsvp.event.title)
    else:
        subject = _("New time and place: %(title)s", title=rsvp.event.title)
    mail.enqueue_template(rsvp.email, subject, "event_changed", change=change,
                          ics_attachment=_ics(rsvp) if rsvp.status is RsvpStatus.GOING else "", **context)
