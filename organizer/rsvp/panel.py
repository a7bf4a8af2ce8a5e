"""The public event page's context: the event, its coverage, share links and the RSVP panel
(``rsvp/_panel.html``). The public view renders it; the RSVP views render it again with a form's errors.
It lives with the RSVP blueprint so that the public blueprint depends on this one, never both ways."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask_babel import gettext as _
from flask_login import current_user

from organizer.formatting import event_datetime
from organizer.models import Event
from organizer.rsvp.forms import rsvp_form_for
from organizer.services.common import permissions
from organizer.services.common.permissions import Action
from organizer.services.coverage import coverage as coverage_rules
from organizer.services.events.details import Details, details_for
from organizer.services.reports import turnout
from organizer.services.rsvp import capacity
from organizer.services.rsvp import opening as rsvp_opening
from organizer.urls import absolute_url


def rsvp_panel_context(event: Event, form=None, counts: capacity.RsvpSummary | None = None) -> dict:
    """Places left, the form (fresh, or the submitted one with its errors) or why RSVPs are closed;
    once a published meeting is over, how many people we know came (0 when nobody counted)."""
    reason = rsvp_opening.closed_reason(event)
    if reason is None and form is None:
        form = rsvp_form_for(event, formdata=None)
    return {
        "rsvp_summary": counts if counts is not None else capacity.summary(event),
        "rsvp_form": form if reason is None else None,
        "rsvp_closed_reason": reason.value if reason else None,
        "rsvp_closed_message": rsvp_opening.closed_message(event, reason) if reason else None,
        "people_who_came": turnout.people_who_came(event) if event.is_published and event.has_ended else 0,
    }


def maps_url(details: Details) -> str | None:
    """A map search for the place as its reader may see it (the city alone when the address is kept back)."""
    query = ", ".join(details.place_parts)
    if not query:
        return None
    return "https://www.openstreetmap.org/search?" + urlencode({"query": query})


def share_links(event: Event) -> dict[str, str]:
    url = absolute_url("public.event", slug=event.slug)  # from BASE_URL, never the request's Host
    when = event_datetime(event.starts_at, event.timezone)
    # Translators: the text of a shared link (WhatsApp, Telegram, email), followed by the link.
    message = (_("%(title)s — %(when)s, %(city)s", title=event.title, when=when, city=event.city) if event.city
               else _("%(title)s — %(when)s", title=event.title, when=when))
    return {
        "url": url,
        "email": "mailto:?" + urlencode({"subject": event.title, "body": f"{message}\n\n{url}"}, quote_via=quote),
        "whatsapp": "https://wa.me/?" + urlencode({"text": f"{message} {url}"}, quote_via=quote),
        "telegram": "https://t.me/share/url?" + urlencode({"url": url, "text": message}, quote_via=quote),
    }


def event_page_context(event: Event, **panel_overrides) -> dict:
    """Everything the public event page shows; the RSVP views reuse it to re-render with form errors."""
    counts = capacity.summary(event)
    # Anyone's view, never a visitor's own: the page is the same for everyone and kept in the shared
    # cache (organizer/pagecache.py), so what is kept for people coming is never in it.
    details = details_for(event)
    context = {
        "event": event,
        "details": details,
        "campaign": event.campaign,
        "coverage": coverage_rules.for_event(event),
        "counts": counts,
        "maps_url": maps_url(details),
        "share": share_links(event),
        "can_manage": permissions.can(current_user, event.campaign, Action.VIEW_DASHBOARD),
    }
    context.update(rsvp_panel_context(event, counts=counts, **panel_overrides))
    return context
