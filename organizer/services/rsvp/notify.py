"""What supporters are told by email about their RSVP. Each function writes one outbox message in the
caller's transaction (services/mail/outbox.py); nothing here renders or sends anything itself.

Every message here is rendered by the outbox worker (organizer/worker.py, through rendering/mail.py): the
request writes the recipient, the subject and the locale (the supporter's: the one they RSVP'd in, kept
with the RSVP, whoever's request writes the message) and what the renderer needs (the
RSVP's id, the one-time token its link carries, the waitlist position...). The token is only known at the
moment it is issued, which is why these functions take it as an argument: the database keeps hashes only
(and the outbox row, until the message is sent, the data that carries it).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from organizer.models import Event, Rsvp, RsvpStatus
from organizer.services.mail import outbox

# The renderer names the worker looks up in rendering/mail.py.
RSVP_RECEIVED = "rsvp_received"
RSVP_PROMOTED = "rsvp_promoted"
EVENT_CHANGED = "event_changed"


@dataclass(frozen=True)
class NewRsvp:
    """What the emails read of an RSVP just written with a plain INSERT (services.rsvp.rsvps.create_rsvp),
    so that no ORM object has to be built, flushed or reloaded for them."""

    id: int
    event: Event
    name: str
    email: str
    guests: int
    status: RsvpStatus
    locale: str = ""


def locale_of(rsvp: Rsvp | NewRsvp) -> str:
    """The locale the supporter RSVP'd in; the default for RSVPs older than that column."""
    return rsvp.locale or current_app.config.get("DEFAULT_LOCALE") or "en"


def title_for(rsvp: Rsvp | NewRsvp) -> str:
    """The event's title in the supporter's language when the organizers wrote one (issue 11.7)."""
    return rsvp.event.title_in(locale_of(rsvp).split("_", 1)[0])


def _in_their_language(rsvp: Rsvp | NewRsvp) -> AbstractContextManager:
    """Subjects in the supporter's language, whoever's request writes the email (an organizer moving
    the event, a cancellation that promotes the next on the waitlist); the worker renders the bodies
    in the locale stored with the message."""
    return force_locale(locale_of(rsvp))


def rsvp_received(rsvp: Rsvp | NewRsvp, token: str, position: int | None, *, earlier_id: int | None = None,
                  send: bool = True) -> None:
    """Confirmation (going, with the calendar file) or "you're on the waitlist"; for an address that
    already had an RSVP (``earlier_id``), the email says so. Written even when ``send`` is False (over
    the address's quota, services/mail/limits.py), without the link, and the worker sends nothing: the
    request does the same work either way."""
    if not rsvp.email:
        return
    going = rsvp.status is RsvpStatus.GOING
    with _in_their_language(rsvp):
        if going:
            subject = _("You're going: %(title)s", title=title_for(rsvp))
        else:
            subject = _("You're on the waitlist: %(title)s", title=title_for(rsvp))
    outbox.enqueue_for_worker(rsvp.email, subject, RSVP_RECEIVED, {
        "template": "rsvp_confirmation" if going else "rsvp_waitlisted",
        "rsvp_id": rsvp.id,
        "token": token if send else "",
        "position": position,
        "calendar": going,
        "earlier_id": earlier_id,
        "withheld": not send,
    }, locale=locale_of(rsvp))


def promoted(rsvp: Rsvp, new_link_token: str) -> None:
    """A place opened up: they're going now. No new private link is issued (the one they hold keeps
    working and now shows their ticket); the email carries the signed way to a new one, should they
    have lost it, and the calendar file."""
    if not rsvp.email:
        return
    with _in_their_language(rsvp):
        subject = _("A place opened up — you're going: %(title)s", title=title_for(rsvp))
    outbox.enqueue_for_worker(rsvp.email, subject, RSVP_PROMOTED,
                              {"rsvp_id": rsvp.id, "new_link_token": new_link_token},
                              locale=locale_of(rsvp))


def event_changed_subject(event: Event, locale: str, change: str) -> str:
    """The subject of the change email, in ``locale`` (services/rsvp/changes.py writes one per locale)."""
    title = event.title_in(locale.split("_", 1)[0])
    with force_locale(locale):
        if change == "cancelled":
            return _("Cancelled: %(title)s", title=title)
        if change == "time":
            return _("New time: %(title)s", title=title)
        if change == "place":
            return _("New place: %(title)s", title=title)
        return _("New time and place: %(title)s", title=title)


def event_changed(rsvp: Rsvp, change: str) -> None:
    """The event was cancelled (``change == "cancelled"``), or its time or place changed."""
    if not rsvp.email:
        return
    subject = event_changed_subject(rsvp.event, locale_of(rsvp), change)
    outbox.enqueue_for_worker(rsvp.email, subject, EVENT_CHANGED, {
        "rsvp_id": rsvp.id,
        "change": change,
        # As it was when the change was made: the cancellation always, a move only for those going.
        "calendar": change == "cancelled" or rsvp.status is RsvpStatus.GOING,
    }, locale=locale_of(rsvp))
