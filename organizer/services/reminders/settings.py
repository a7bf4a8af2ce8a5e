"""Per-event settings of the reminder the day before and the follow-up after the meeting (on the event form)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _

from organizer.models import Event, User
from organizer.services.common import permissions
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.common.validation import clean_text

DEFAULT_REMINDER_HOURS = 24
DEFAULT_FOLLOWUP_HOURS = 3
MAX_HOURS = 7 * 24  # the worker looks this far ahead (reminders) and back (follow-ups)
FOLLOWUP_TEXT_MAX = 5_000


@dataclass
class MailSettings:
    reminder_on: bool = True
    reminder_hours: int | None = DEFAULT_REMINDER_HOURS
    followup_on: bool = True
    followup_hours: int | None = DEFAULT_FOLLOWUP_HOURS
    followup_text: str = ""


def settings_of(event: Event | None) -> MailSettings:
    """What the form shows: the event's settings, or the defaults for a new one."""
    if event is None:
        return MailSettings()
    return MailSettings(
        reminder_on=event.reminder_hours is not None,
        reminder_hours=event.reminder_hours if event.reminder_hours is not None else DEFAULT_REMINDER_HOURS,
        followup_on=event.followup_hours is not None,
        followup_hours=event.followup_hours if event.followup_hours is not None else DEFAULT_FOLLOWUP_HOURS,
        followup_text=event.followup_text,
    )


def _hours(value: int | None, minimum: int, field: str) -> int:
    if value is None or not minimum <= value <= MAX_HOURS:
        raise ValidationFailed(_("Enter a number of hours from %(min)s to %(max)s.", min=minimum, max=MAX_HOURS),
                               field=field)
    return value


def apply_settings(actor: User, event: Event, data: MailSettings) -> None:
    """Store the settings; the caller commits. The reminder is due ``reminder_hours`` before the start
    as it is when the worker looks, so a moved event moves its reminder without anything else here."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    event.reminder_hours = _hours(data.reminder_hours, 1, "reminder_hours") if data.reminder_on else None
    event.followup_hours = _hours(data.followup_hours, 0, "followup_hours") if data.followup_on else None
    event.followup_text = clean_text(data.followup_text, FOLLOWUP_TEXT_MAX, "followup_text")


@dataclass(frozen=True)
class MailPlan:
    """What the event page says about its reminder and follow-up: off, when due, or sent."""

    reminder_hours: int | None
    reminder_due: datetime | None
    reminder_sent: bool
    followup_hours: int | None
    followup_due: datetime | None
    followup_sent_at: datetime | None


def plan(event: Event) -> MailPlan:
    reminder_due = (event.starts_at - timedelta(hours=event.reminder_hours)
                    if event.reminder_hours is not None else None)
    followup_due = (event.ends_at + timedelta(hours=event.followup_hours)
                    if event.followup_hours is not None else None)
    return MailPlan(event.reminder_hours, reminder_due,
                    event.reminder_sent_for is not None and event.reminder_sent_for == event.starts_at,
                    event.followup_hours, followup_due, event.followup_sent_at)
