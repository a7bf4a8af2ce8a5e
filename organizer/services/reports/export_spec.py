"""What an export holds: people, filters and columns, checked (``make_spec``) before anything is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from organizer.models import (
    Campaign,
    Event,
    RsvpStatus,
)
from organizer.services.common.errors import ValidationFailed

EVENT_COLUMNS: dict[str, Any] = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "guests": _l("Guests"),
    "status": _l("Status"),
    "source": _l("Source"),
    "consent_contact": _l("Consent to contact"),
    "rsvp_at": _l("RSVP time"),
    "checked_in": _l("Checked in"),
    "checked_in_at": _l("Checked in at"),
    "answers": _l("Answers"),  # one column per question
}


CAMPAIGN_COLUMNS: dict[str, Any] = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "consent_contact": _l("Consent to contact"),
    "events_rsvped": _l("Events RSVPed to"),
    "events_attended": _l("Events attended"),
    "first_rsvp_at": _l("First RSVP"),
    "last_rsvp_at": _l("Latest RSVP"),
}


PRESETS: dict[str, list[str]] = {
    "names": ["name"],
    "contact": ["name", "email", "phone", "consent_contact"],
    "all": list(EVENT_COLUMNS) + [column for column in CAMPAIGN_COLUMNS if column not in EVENT_COLUMNS],
}


CHECKED_IN_CHOICES = ("any", "yes", "no")
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ExportSpec:
    scope: str  # "event" or "campaign"
    event: Event | None = None
    statuses: tuple[RsvpStatus, ...] = (RsvpStatus.GOING,)
    checked_in: str = "any"  # any / yes / no
    consent_only: bool = False
    columns: tuple[str, ...] = ("name",)
    file_format: str = "csv"

    def filters(self) -> dict:
        return {
            "status": sorted(status.value for status in self.statuses),
            "checked_in": self.checked_in,
            "consent_to_contact": "yes" if self.consent_only else "any",
        }


class QuestionColumn(NamedTuple):
    """A question's id and label copied out of the ORM: the CSV is streamed after the request's
    session is gone, and an expired Question instance could not be read there."""

    id: int
    label: str


# Requests waiting for approval, and declined ones, are never exported (issue 12.2): they never came in.
EXPORTABLE = (RsvpStatus.GOING, RsvpStatus.WAITLISTED, RsvpStatus.CANCELLED)


def make_spec(campaign: Campaign, *, event: Event | None, statuses, checked_in: str, consent_only: bool,
              columns, file_format: str) -> ExportSpec:
    if event is not None and event.campaign_id != campaign.id:
        raise ValidationFailed(_("Choose an event of this campaign."), field="target")
    scope = "event" if event is not None else "campaign"
    try:
        status_set = tuple(sorted({RsvpStatus(value) for value in statuses}, key=list(RsvpStatus).index))
        if set(status_set) - set(EXPORTABLE):
            raise ValueError("not exportable")
    except ValueError as error:
        raise ValidationFailed(_("Choose which people to include."), field="statuses") from error
    if not status_set:
        raise ValidationFailed(_("Choose at least one: going, waitlisted or cancelled."), field="statuses")
    if checked_in not in CHECKED_IN_CHOICES:
        raise ValidationFailed(_("Choose whether to include people checked in."), field="checked_in")
    if file_format not in FORMATS:
        raise ValidationFailed(_("Choose CSV or spreadsheet."), field="file_format")
    allowed = EVENT_COLUMNS if scope == "event" else CAMPAIGN_COLUMNS
    chosen = [column for column in columns if column in allowed]
    chosen = list(dict.fromkeys(chosen))  # keep order, drop repeats
    if not chosen:
        raise ValidationFailed(_("Choose at least one column that this export has."), field="columns")
    return ExportSpec(scope, event, status_set, checked_in, bool(consent_only), tuple(chosen), file_format)
