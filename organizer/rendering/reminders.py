"""Bodies of the reminder the day before, the follow-up after the meeting and the report sent later
(services/reminders/): rendered by the outbox worker when it sends them, from the rows as they are then.
All three are campaign mail (rendering/campaign_mail.py): the unsubscribe link in both parts, the
List-Unsubscribe headers, the campaign's Reply-To, and nothing for someone who unsubscribed meanwhile."""

from __future__ import annotations

from typing import Any

from organizer.extensions import db
from organizer.formatting import event_datetime
from organizer.models import Coverage, Event, EventStatus, Rsvp, RsvpStatus
from organizer.rendering import mail
from organizer.rendering.campaign_mail import campaign_mail_bodies
from organizer.services.door.scanning import short_code
from organizer.services.mail.outbox import Bodies, NothingToSend
from organizer.services.reminders import followups, reminders
from organizer.services.reminders.links import reminder_token
from organizer.timeutil import utcnow
from organizer.urls import absolute_url


def _context(rsvp: Rsvp) -> dict[str, Any]:
    """What the templates show, as in every mail about an RSVP (the details its reader may have); the campaign
    in it (``campaign_mail_bodies`` takes it too) makes it campaign mail."""
    return mail.rsvp_context(rsvp)


def _going_rsvp(data: dict) -> Rsvp:
    rsvp = db.session.get(Rsvp, data["rsvp_id"])
    if rsvp is None or rsvp.status is not RsvpStatus.GOING or not rsvp.email:
        raise NothingToSend("the RSVP is no longer going")
    return rsvp


def _reminder(subject: str, data: dict) -> Bodies | None:
    rsvp = _going_rsvp(data)
    event = rsvp.event
    if event.status is not EventStatus.PUBLISHED:
        raise NothingToSend("the event is not on")
    if event.starts_at.isoformat() != data["starts_at"]:
        raise NothingToSend("the event moved: a reminder for its new time is due instead")
    signed = reminder_token(rsvp)
    return campaign_mail_bodies(
        "reminder", subject, data,
        coming_url=absolute_url("reminders.coming", signed=signed),
        cancel_url=absolute_url("reminders.cant_make_it", signed=signed),
        ticket_url=absolute_url("reminders.answer", signed=signed) + "#ticket",
        ticket_code=short_code(rsvp.ticket_token_hash),
        **_context(rsvp))


def _coverage(data: dict, event: Event) -> Coverage | None:
    coverage_id = data.get("coverage_id")
    coverage = db.session.get(Coverage, coverage_id) if coverage_id else None
    return coverage if coverage is not None and coverage.campaign_id == event.campaign_id else None


def _next_event(event: Event) -> dict[str, str] | None:
    upcoming = followups.next_event(event, utcnow())
    if upcoming is None:
        return None
    return {"title": upcoming.title, "when": event_datetime(upcoming.starts_at, upcoming.timezone),
            "url": absolute_url("public.event", slug=upcoming.slug)}


def _followup(subject: str, data: dict) -> Bodies | None:
    rsvp = _going_rsvp(data)
    event = rsvp.event
    return campaign_mail_bodies(
        "followup_thanks" if data.get("attended") else "followup_missed", subject, data,
        report=_coverage(data, event), next_event=_next_event(event), text=event.followup_text,
        **_context(rsvp))


def _report(subject: str, data: dict) -> Bodies | None:
    rsvp = _going_rsvp(data)
    report = _coverage(data, rsvp.event)
    if report is None:
        raise NothingToSend("the report was removed from the library")
    return campaign_mail_bodies("followup_report", subject, data, report=report, **_context(rsvp))


RENDERERS = {
    reminders.REMINDER: _reminder,
    followups.FOLLOWUP: _followup,
    followups.REPORT: _report,
}
