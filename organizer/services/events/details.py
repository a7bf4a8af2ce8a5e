"""Details for people coming (issue 12.1): who may read an event's venue and street address, its online
link and its notes for attendees.

Each of the three has an audience (models.Audience): everyone, the people going, or the people going
whom an organizer approved. Everyone else sees the area only: the city (and country), or "online".
Every page, calendar file, feed and email asks ``details_for`` what to show, with the reader's RSVP
when there is one (the manage page, the ticket, their emails, their calendar file) and None for
everyone else (the public pages, the shared page cache, the public calendar files, share links), so
the hidden details can only reach someone whose RSVP lets them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Audience, Event, Rsvp, RsvpStatus
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.validation import clean_text, one_of

NOTES_MAX = 2_000
SETTINGS = ("address_audience", "online_audience", "attendee_notes", "notes_audience", "requires_approval")


@dataclass(frozen=True)
class Details:
    """What one reader may see of where an event happens."""

    venue_name: str = ""
    address: str = ""
    city: str = ""
    country: str = ""
    online_url: str = ""
    notes: str = ""
    # The event has an online link, shown or not: the area then says "online".
    online: bool = False
    # Something this reader may not see is kept back: pages say how to get it.
    withheld: bool = False

    @property
    def place_parts(self) -> list[str]:
        parts = (self.venue_name, self.address, self.city, self.country)
        return [part.strip() for part in parts if part and part.strip()]

    @property
    def location(self) -> str:
        """One line for a calendar's LOCATION: the place, and the link when it may be shown."""
        place = ", ".join(self.place_parts)
        if self.online_url:
            return f"{place} ({self.online_url})" if place else self.online_url
        if not place and self.online:
            return "online"
        return place


def admits(audience: Audience, rsvp: Rsvp | None) -> bool:
    """Whether the holder of ``rsvp`` (None: anyone) belongs to ``audience``."""
    if audience is Audience.EVERYONE:
        return True
    if rsvp is None or rsvp.status is not RsvpStatus.GOING or rsvp.forgotten_at is not None:
        return False
    return audience is Audience.GOING or rsvp.approved_at is not None


def details_for(event: Event, rsvp: Rsvp | None = None) -> Details:
    """The details of ``event`` its reader may see: ``rsvp`` is theirs (of this event), None for anyone."""
    if rsvp is not None and rsvp.event_id != event.id:
        rsvp = None
    show_place = admits(event.address_audience, rsvp)
    show_link = admits(event.online_audience, rsvp)
    show_notes = admits(event.notes_audience, rsvp)
    withheld = ((not show_place and bool(event.venue_name or event.address))
                or (not show_link and bool(event.online_url))
                or (not show_notes and bool(event.attendee_notes.strip())))
    return Details(
        venue_name=event.venue_name if show_place else "",
        address=event.address if show_place else "",
        city=event.city,
        country=event.country,
        online_url=event.online_url if show_link else "",
        notes=event.attendee_notes.strip() if show_notes else "",
        online=bool(event.online_url),
        withheld=withheld,
    )


def hides_anything(event: Event) -> bool:
    """Whether anyone would be shown less than everything (the public view withholds something)."""
    return details_for(event).withheld


def everything(event: Event) -> Details:
    """All of it, for the campaign team's own pages."""
    return Details(venue_name=event.venue_name, address=event.address, city=event.city, country=event.country,
                   online_url=event.online_url, notes=event.attendee_notes.strip(), online=bool(event.online_url))


# --- The event form's settings ------------------------------------------------------------------

def settings_of(event: Event) -> dict[str, Any]:
    """The five settings as saved (the form's values, a duplicate's)."""
    return {name: getattr(event, name) for name in SETTINGS}


def settings_from(data: Any) -> dict[str, Any]:
    """The settings from the event form (``events.EventInput``), checked."""
    requires_approval = bool(data.requires_approval)
    values: dict[str, Any] = {"requires_approval": requires_approval,
                              "attendee_notes": clean_text(data.attendee_notes, NOTES_MAX, "attendee_notes")}
    for name in ("address_audience", "online_audience", "notes_audience"):
        audience = one_of(Audience, getattr(data, name), name)
        if audience is Audience.APPROVED and not requires_approval:
            raise ValidationFailed(_("“People approved” needs RSVPs on approval: turn that on below, "
                                     "or choose “people going”."), field=name)
        values[name] = audience
    return values


def check_approval_change(event: Event, requires_approval: bool) -> None:
    """Approval can't be turned off while requests wait for an answer: they would wait for ever."""
    if requires_approval or not event.requires_approval:
        return
    waiting = db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.event_id == event.id,
                                                                  Rsvp.status == RsvpStatus.PENDING))
    if waiting:
        raise ValidationFailed(_("Approve or decline the requests still waiting (%(num)s) before turning "
                                 "approval off.", num=waiting), field="requires_approval")
