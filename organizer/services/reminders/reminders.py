"""The reminder the day before ("See you tomorrow"), found and written by the outbox worker's loop.

When it is due: ``reminder_hours`` before the event's start as it is when the worker looks (a moved event
moves its reminder), while the event is published and has not started. Who gets it: RSVPs going at that
moment, with an email address, made before the reminder's time (an RSVP made later just got its
confirmation), not unsubscribed from the campaign's mail (it is campaign mail: services/mail/unsubscribe.py).
``reminder_sent_for`` holds the start the reminder was sent for: an event moved after its reminder went out
is due again for its new time; one moved before it is due simply waits.

Exactly once: the reminder is claimed with a compare-and-set UPDATE on the event row (only if not yet sent
for this start) in the same transaction as its outbox rows. A second worker's UPDATE waits for the first's
row lock (PostgreSQL re-reads the row when it is released) and then matches nothing; a rolled-back round
claims nothing and writes nothing. The worker renders each mail when it sends it and sends nothing for an
RSVP cancelled, an event cancelled or moved, or a start already passed in between (rendering/reminders.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from organizer.database import rowcount
from organizer.extensions import db
from organizer.models import Event, EventStatus, Rsvp, RsvpStatus
from organizer.services.common.errors import Conflict
from organizer.services.mail import outbox, unsubscribe
from organizer.services.reminders.due import send_each
from organizer.services.reminders.settings import MAX_HOURS
from organizer.services.rsvp import notify, rsvps
from organizer.timeutil import to_local, utcnow

REMINDER = "reminder"  # the renderer's name (rendering/reminders.py)


def reminder_due_at(event: Event) -> datetime | None:
    if event.reminder_hours is None:
        return None
    return event.starts_at - timedelta(hours=event.reminder_hours)


def due_events(now: datetime) -> list[Event]:
    """Published events whose reminder is due now and not yet sent for their current start."""
    candidates = db.session.scalars(
        select(Event).where(
            Event.status == EventStatus.PUBLISHED,
            Event.reminder_hours.is_not(None),
            Event.starts_at > now,
            Event.starts_at <= now + timedelta(hours=MAX_HOURS),
            or_(Event.reminder_sent_for.is_(None), Event.reminder_sent_for != Event.starts_at),
        ).order_by(Event.starts_at, Event.id)
    ).all()
    return [event for event in candidates if (due := reminder_due_at(event)) is not None and due <= now]


def _claim(event: Event) -> bool:
    """Mark the reminder sent for the event's current start, only if it wasn't and nothing changed since it
    was read (the concurrency test replaces this to show the race without it)."""
    result = db.session.execute(
        update(Event)
        .where(
            Event.id == event.id,
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at == event.starts_at,
            Event.reminder_hours == event.reminder_hours,
            or_(Event.reminder_sent_for.is_(None), Event.reminder_sent_for != Event.starts_at),
        )
        .values(reminder_sent_for=event.starts_at)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def recipients(event: Event, due_at: datetime) -> list[Rsvp]:
    return list(db.session.scalars(
        select(Rsvp).where(
            Rsvp.event_id == event.id,
            Rsvp.status == RsvpStatus.GOING,
            Rsvp.email.is_not(None),
            Rsvp.email != "",
            Rsvp.created_at <= due_at,
        ).order_by(Rsvp.id)
    ))


def _subject(rsvp: Rsvp, now: datetime) -> str:
    event = rsvp.event
    days = (to_local(event.starts_at, event.timezone).date() - to_local(now, event.timezone).date()).days
    title = notify.title_for(rsvp)
    if days == 1:
        return _("See you tomorrow: %(title)s", title=title)
    if days == 0:
        return _("See you today: %(title)s", title=title)
    return _("Coming up: %(title)s", title=title)


def send_reminder(event: Event, now: datetime) -> int | None:
    """Claim the event's reminder and write one outbox row per recipient; the caller commits. None when
    another worker (or an earlier round) already sent it, else how many mails were written."""
    due_at = reminder_due_at(event)
    if due_at is None or not _claim(event):
        return None
    people = recipients(event, due_at)
    # Campaign mail: an address unsubscribed from the campaign gets none (one query for all of them).
    gone = unsubscribe.unsubscribed_among(event.campaign_id, [rsvp.email for rsvp in people])
    written = 0
    for rsvp in people:
        if not rsvp.email or rsvp.email in gone:
            continue
        with force_locale(notify.locale_of(rsvp)):
            subject = _subject(rsvp, now)
        outbox.enqueue_for_worker(rsvp.email, subject, REMINDER, unsubscribe.with_unsubscribe_token(
            event.campaign_id, rsvp.email, {"rsvp_id": rsvp.id, "starts_at": event.starts_at.isoformat()},
        ), locale=notify.locale_of(rsvp))
        written += 1
    return written


def run_due(now: datetime | None = None) -> int:
    """Send every reminder that is due, each event in its own transaction. Returns the mails written."""
    now = now or utcnow()
    return send_each(due_events(now), send_reminder, now)


# --- The supporter's answers (the links in the reminder) ------------------------------------------

def can_answer(rsvp: Rsvp, now: datetime | None = None) -> bool:
    """The links work while the RSVP is going to an event that is on and hasn't ended."""
    event = rsvp.event
    return (rsvp.status is RsvpStatus.GOING and event.status is EventStatus.PUBLISHED
            and event.ends_at > (now or utcnow()))


def confirm_coming(rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """"Yes, I'm coming": recorded once (a second click keeps the first time); the caller commits."""
    if not can_answer(rsvp, now):
        raise Conflict(_("This RSVP can't be confirmed any more: it was cancelled, or the event is over or off."))
    if rsvp.confirmed_at is None:
        rsvp.confirmed_at = now or utcnow()
    return rsvp


def cant_make_it(rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """"I can't make it": the RSVP is cancelled and its places go to the waitlist (rsvps.cancel_rsvp)."""
    if rsvp.status is RsvpStatus.CANCELLED:
        return rsvp
    rsvp.confirmed_at = None
    return rsvps.cancel_rsvp(rsvp, now)
