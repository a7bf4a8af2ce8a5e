"""What the RSVP panel on the public event page needs. The public event view merges
``rsvp_panel_context(event)`` into its template context and includes ``rsvp/_panel.html``."""

from __future__ import annotations

from organizer.models import Event
from organizer.rsvp.forms import rsvp_form_for
from organizer.services import rsvps, turnout


def rsvp_panel_context(event: Event, form=None, counts: rsvps.RsvpSummary | None = None) -> dict:
    """Places left, the form (fresh, or the submitted one with its errors) or why RSVPs are closed;
    once a published meeting is over, how many people we know came (0 when nobody counted)."""
    reason = rsvps.closed_reason(event)
    if reason is None and form is None:
        form = rsvp_form_for(event, formdata=None)
    return {
        "rsvp_summary": counts if counts is not None else rsvps.summary(event),
        "rsvp_form": form if reason is None else None,
        "rsvp_closed_reason": reason.value if reason else None,
        "rsvp_closed_message": rsvps.closed_message(event, reason) if reason else None,
        "people_who_came": turnout.people_who_came(event) if event.is_published and event.has_ended else 0,
    }
