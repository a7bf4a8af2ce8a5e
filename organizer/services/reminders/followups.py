"""The follow-up after the meeting, and the report sent afterwards to the people who came.

Due ``followup_hours`` after the event's end (published events only: a cancelled one sends none), and only
within ``GRACE`` of that, so a worker that was down for a week, or events that ended before this existed, don't
send thanks for a meeting long past. Who gets what, among RSVPs going at that moment with an email address:

- *attended* (anyone of the party checked in at the door): thanks, the organizers' text, the report of the
  meeting when one is linked, the campaign's next upcoming public event;
- *no-show* (going, nobody checked in): "sorry we missed you", the text and the next event.

Cancelled and waitlisted RSVPs get nothing, nor do addresses unsubscribed from the campaign's mail (these
are campaign mails: services/mail/unsubscribe.py, rendered with the unsubscribe link and headers). Claimed
like the reminder (reminders.py): a compare-and-set on ``followup_sent_at`` in the same transaction as the
outbox rows. When a report is linked after the follow-up
went out, ``send_report`` sends it to the attended once (``report_sent_at``, claimed the same way).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from organizer.database import rowcount
from organizer.extensions import db
from organizer.models import (
    AccessKind,
    CoverageRelation,
    Event,
    EventCoverage,
    EventStatus,
    Message,
    OutboxMessage,
    Rsvp,
    RsvpStatus,
    Segment,
    User,
    Visibility,
)
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict
from organizer.services.common.permissions import Action
from organizer.services.door.log import checked_in_expression, current_entries
from organizer.services.mail import outbox, unsubscribe
from organizer.services.privacy import access_log
from organizer.services.reminders.due import send_each
from organizer.services.reminders.settings import MAX_HOURS
from organizer.services.rsvp import notify
from organizer.text import address_key
from organizer.timeutil import utcnow

log = logging.getLogger("organizer.followups")

FOLLOWUP = "followup"  # renderer names (rendering/reminders.py)
REPORT = "followup_report"
GRACE = timedelta(days=2)


@dataclass(frozen=True)
class Segments:
    attended: list[Rsvp]
    missed: list[Rsvp]


def segments(event: Event) -> Segments:
    """Going RSVPs with an email address not unsubscribed from the campaign's mail, split by whether anyone
    of the party was checked in."""
    current = current_entries([event.id])
    rows: list[tuple[Rsvp, int]] = [(rsvp, checked) for rsvp, checked in db.session.execute(
        select(Rsvp, checked_in_expression(current))
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.GOING, Rsvp.email.is_not(None), Rsvp.email != "")
        .order_by(Rsvp.id)
    )]
    gone = unsubscribe.unsubscribed_among(event.campaign_id, [rsvp.email for rsvp, _checked in rows])
    rows = [(rsvp, checked) for rsvp, checked in rows if rsvp.email not in gone]
    return Segments(attended=[rsvp for rsvp, checked in rows if checked],
                    missed=[rsvp for rsvp, checked in rows if not checked])


def report_of(event: Event) -> EventCoverage | None:
    """The newest report coverage linked to the event."""
    return db.session.scalar(
        select(EventCoverage)
        .where(EventCoverage.event_id == event.id, EventCoverage.relation == CoverageRelation.REPORT)
        .order_by(EventCoverage.created_at.desc(), EventCoverage.id.desc())
        .limit(1)
    )


def next_event(event: Event, now: datetime) -> Event | None:
    """The campaign's next upcoming public, published event (not this one)."""
    return db.session.scalar(
        select(Event)
        .where(Event.campaign_id == event.campaign_id, Event.id != event.id, Event.status == EventStatus.PUBLISHED,
               Event.visibility == Visibility.PUBLIC, Event.starts_at > now)
        .order_by(Event.starts_at, Event.id)
        .limit(1)
    )


def followup_due_at(event: Event) -> datetime | None:
    if event.followup_hours is None:
        return None
    return event.ends_at + timedelta(hours=event.followup_hours)


def due_events(now: datetime) -> list[Event]:
    candidates = db.session.scalars(
        select(Event).where(
            Event.status == EventStatus.PUBLISHED,
            Event.followup_hours.is_not(None),
            Event.followup_sent_at.is_(None),
            Event.ends_at <= now,
            Event.ends_at >= now - timedelta(hours=MAX_HOURS) - GRACE,
        ).order_by(Event.ends_at, Event.id)
    ).all()
    return [event for event in candidates
            if (due := followup_due_at(event)) is not None and due <= now <= due + GRACE]


def _claim(event: Event, now: datetime) -> bool:
    result = db.session.execute(
        update(Event)
        .where(Event.id == event.id, Event.status == EventStatus.PUBLISHED, Event.followup_sent_at.is_(None))
        .values(followup_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def _enqueue(rsvp: Rsvp, renderer: str, subject_for, data: dict) -> None:
    with force_locale(notify.locale_of(rsvp)):
        subject = subject_for(notify.title_for(rsvp))
    outbox.enqueue_for_worker(rsvp.email or "", subject, renderer, unsubscribe.with_unsubscribe_token(
        rsvp.event.campaign_id, rsvp.email or "", {"rsvp_id": rsvp.id, **data}), locale=notify.locale_of(rsvp))


def _thanks_subject(title: str) -> str:
    return _("Thank you for coming: %(title)s", title=title)


def _missed_subject(title: str) -> str:
    return _("Sorry we missed you: %(title)s", title=title)


def _report_subject(title: str) -> str:
    return _("The report of the meeting: %(title)s", title=title)


def send_followup(event: Event, now: datetime) -> int | None:
    """Claim the follow-up and write its mails; the caller commits. None when it was already sent."""
    if not _claim(event, now):
        return None
    groups = segments(event)
    report = report_of(event)
    for rsvp in groups.attended:
        _enqueue(rsvp, FOLLOWUP, _thanks_subject,
                 {"attended": True, "coverage_id": report.coverage_id if report else None})
    for rsvp in groups.missed:
        _enqueue(rsvp, FOLLOWUP, _missed_subject, {"attended": False, "coverage_id": None})
    if report is not None:
        # The report went out with the thanks: the event page doesn't offer to send it again.
        db.session.execute(update(Event).where(Event.id == event.id).values(report_sent_at=now)
                           .execution_options(synchronize_session=False))
    db.session.expire(event)
    return len(groups.attended) + len(groups.missed)


def run_due(now: datetime | None = None) -> int:
    """Send every follow-up that is due, each event in its own transaction. Returns the mails written."""
    now = now or utcnow()
    return send_each(due_events(now), send_followup, now)


# --- The report, after the follow-up --------------------------------------------------------------

def can_send_report(event: Event) -> bool:
    """The follow-up went out without a report, and one is linked now."""
    return (event.followup_sent_at is not None and event.report_sent_at is None
            and report_of(event) is not None)


def send_report(actor: User, event: Event, now: datetime | None = None) -> int:
    """Send the linked report to the people who came, once: a second click (or two organizers at once)
    sends nothing more. Returns how many mails were written; the caller commits."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    now = now or utcnow()
    report = report_of(event)
    if report is None or event.followup_sent_at is None:
        raise Conflict(_("There is no report to send yet: link the report of the meeting first."))
    result = db.session.execute(
        update(Event)
        .where(Event.id == event.id, Event.report_sent_at.is_(None), Event.followup_sent_at.is_not(None))
        .values(report_sent_at=now, report_sent_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(event)
    if rowcount(result) != 1:
        raise Conflict(_("The report was already sent to the people who came."))
    attended, seen = [], set()
    for rsvp in segments(event).attended:  # an address with two RSVPs that came gets the report once
        key = rsvp.email_normalized or address_key(rsvp.email or "")
        if key not in seen:
            seen.add(key)
            attended.append(rsvp)
    # Logged as a message to the attended (services/messaging/messages.py): it shows in the message log with
    # how many were sent, failed or are waiting; its key makes a second one for this event impossible.
    coverage = report.coverage
    message = Message(campaign_id=event.campaign_id, event_id=event.id, sender_id=actor.id,
                      sender_email=actor.email, segments=Segment.ATTENDED.value,
                      subject=_report_subject(event.title), body=f"{coverage.headline}\n\n<{coverage.url}>",
                      recipient_count=len(attended), idempotency_key=f"event-report-{event.id}")
    db.session.add(message)
    db.session.flush()
    for rsvp in attended:
        _enqueue_for_message(rsvp, message, {"coverage_id": report.coverage_id})
    access_log.record_access(event.campaign, AccessKind.MESSAGE, actor=actor, event=event, subject=message.segments,
                             detail=message.subject, count=len(attended), message=message)
    log.info("report sent: event %s, coverage %s, message %s, %s recipients, by user %s", event.id,
             report.coverage_id, message.id, len(attended), actor.id)
    return len(attended)


def _enqueue_for_message(rsvp: Rsvp, message: Message, data: dict) -> None:
    """Like outbox.enqueue_for_worker, with the row tied to its message and the recipient's address key
    (unique per message: an address gets it once)."""
    locale = notify.locale_of(rsvp)
    with force_locale(locale):
        subject = outbox.clean_subject(_report_subject(notify.title_for(rsvp)))
    db.session.execute(insert(OutboxMessage.__table__), {
        "to_address": rsvp.email, "subject": subject, "body_text": "", "body_html": "", "ics_attachment": "",
        "renderer": REPORT, "render_data": json.dumps(unsubscribe.with_unsubscribe_token(
            message.campaign_id, rsvp.email or "",
            {"rsvp_id": rsvp.id, **data, "locale": locale or current_app.config.get("DEFAULT_LOCALE", "en")})),
        "message_id": message.id, "recipient_key": rsvp.email_normalized or address_key(rsvp.email or ""),
    })
