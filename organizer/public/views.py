"""What everyone sees: upcoming meetings, a campaign's story, an event's page; and the health check.

For anonymous visitors the pages are rendered at most once per PUBLIC_CACHE_SECONDS per process, and
visitors without a session all get the same bytes, which may be kept by shared caches
(organizer.pagecache, organizer.sharedcache); everyone else gets ``Cache-Control: no-store``.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import abort, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError

from organizer import pagecache
from organizer.extensions import db
from organizer.models import Campaign, Event, EventStatus
from organizer.public import bp
from organizer.rsvp.panel import rsvp_panel_context
from organizer.services import coverage as coverage_rules
from organizer.services import events as event_rules
from organizer.services import permissions, rsvps
from organizer.services.mail import absolute_url
from organizer.services.permissions import Action
from organizer.templating import event_datetime


@bp.app_template_global()
def optional_url(endpoint: str, **values) -> str | None:
    """A link to another area's page, or None while that page doesn't exist (templates then leave it out)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def place_query(event: Event) -> str:
    parts = [event.venue_name, event.address, event.city, event.country]
    return ", ".join(part for part in parts if part)


def maps_url(event: Event) -> str | None:
    query = place_query(event)
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


@bp.get("/")
def home():
    def render() -> str:
        upcoming = event_rules.upcoming_public_events()
        return render_template("public/home.html", events=upcoming, summaries=rsvps.summaries(upcoming))

    return pagecache.cached_page(("public.home",), render)


@bp.get("/c/<slug>")
def campaign(slug: str):
    def render() -> str:
        found = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
        if found is None:
            abort(404)
        listed = event_rules.public_campaign_events(found)
        upcoming = event_rules.still_to_come(listed)
        return render_template(
            "public/campaign.html",
            campaign=found,
            upcoming=upcoming,
            summaries=rsvps.summaries(upcoming),
            timeline=coverage_rules.timeline(found, listed),
            can_manage=permissions.can(current_user, found, Action.VIEW_DASHBOARD),
        )

    return pagecache.cached_page(("public.campaign", slug), render)


def event_page_context(event: Event, **panel_overrides) -> dict:
    """Everything the public event page shows; the RSVP views reuse it to re-render with form errors."""
    counts = rsvps.summary(event)
    context = {
        "event": event,
        "campaign": event.campaign,
        "coverage": coverage_rules.for_event(event),
        "counts": counts,
        "maps_url": maps_url(event),
        "share": share_links(event),
        "can_manage": permissions.can(current_user, event.campaign, Action.VIEW_DASHBOARD),
    }
    context.update(rsvp_panel_context(event, counts=counts, **panel_overrides))
    return context


@bp.get("/e/<slug>")
def event(slug: str):
    def render() -> str:
        found = event_rules.event_by_slug(slug)
        if found is None:
            abort(404)
        # A draft doesn't exist for the public; its campaign team sees it as a preview.
        if found.status is EventStatus.DRAFT and not permissions.can(current_user, found.campaign,
                                                                      Action.VIEW_DASHBOARD):
            abort(404)
        return render_template("public/event.html", **event_page_context(found))

    return pagecache.cached_page(("public.event", slug), render)


@bp.get("/csrf-token")
def csrf_token():
    """The visitor's CSRF token, for a form on a page served the same to every visitor without a
    session (the RSVP form: static/js/rsvp.js asks when someone starts filling it in). Starts the
    session that the token is bound to; never cached (the default ``no-store``)."""
    return jsonify(csrf_token=pagecache.csrf_token())


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("Health check: the database does not answer")
        return jsonify(status="unavailable", error=_("The database does not answer.")), 503
    return jsonify(status="ok")
