"""What everyone sees: upcoming meetings, a campaign's story, an event's page; and the health check.

For anonymous visitors the pages are rendered at most once per PUBLIC_CACHE_SECONDS per process, and
visitors without a session all get the same bytes, which may be kept by shared caches
(organizer.pagecache, organizer.sharedcache); everyone else gets ``Cache-Control: no-store``.
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import BuildError

from organizer import pagecache
from organizer.extensions import db
from organizer.models import Campaign, EventStatus
from organizer.public import bp
from organizer.rendering import calendar, previews
from organizer.rsvp.panel import event_page_context
from organizer.services.common import permissions
from organizer.services.common.permissions import Action
from organizer.services.coverage import coverage as coverage_rules
from organizer.services.events import listings as event_listings
from organizer.services.rsvp import capacity
from organizer.services.rsvp import opening as rsvp_opening
from organizer.templating import current_language
from organizer.views_common import is_safe_redirect, redirect_if_moved, remember_language


@bp.app_template_global()
def optional_url(endpoint: str, **values) -> str | None:
    """A link to another area's page, or None while that page doesn't exist (templates then leave it out)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _open_summaries(events):
    """Places left only for events still taking RSVPs: "3 places left" beside a meeting whose
    deadline has passed would invite people to a form that refuses them."""
    return capacity.summaries([event for event in events if rsvp_opening.closed_reason(event) is None])


@bp.get("/")
def home():
    def render() -> str:
        upcoming = event_listings.upcoming_public_events()
        return render_template("public/home.html", events=upcoming, summaries=_open_summaries(upcoming))

    return pagecache.cached_page(("public.home",), render)


@bp.get("/c/<slug>")
def campaign(slug: str):
    def render() -> str:
        found = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
        if found is None:
            redirect_if_moved("campaign", slug, "public.campaign")
            abort(404)
        listed = event_listings.public_campaign_events(found)
        upcoming = event_listings.still_to_come(listed)
        timeline = coverage_rules.timeline(found, listed)
        return render_template(
            "public/campaign.html",
            campaign=found,
            upcoming=upcoming,
            summaries=_open_summaries(upcoming),
            timeline=timeline,
            can_manage=permissions.can(current_user, found, Action.VIEW_DASHBOARD),
            preview=previews.campaign_preview(found, current_language(), upcoming, timeline),
            feed=calendar.subscription(found),
        )

    return pagecache.cached_page(("public.campaign", slug), render)


@bp.get("/e/<slug>")
def event(slug: str):
    def render() -> str:
        found = event_listings.event_by_slug(slug)
        if found is None:
            redirect_if_moved("event", slug, "public.event")
            abort(404)
        # A draft doesn't exist for the public; its campaign team sees it as a preview.
        if found.status is EventStatus.DRAFT and not permissions.can(current_user, found.campaign,
                                                                      Action.VIEW_DASHBOARD):
            abort(404)
        context = event_page_context(found)
        if previews.shows_preview(found):
            context["preview"] = previews.event_preview(found, current_language(), context["coverage"].prompted_by)
        return render_template("public/event.html", **context)

    return pagecache.cached_page(("public.event", slug), render)


@bp.get("/language/<code>")
def set_language(code: str):
    """The language switcher: remember the choice in a cookie and go back to the page it was made on.

    A plain GET link, so that it works without JavaScript and on the public pages everyone shares,
    which carry no CSRF token. What another site could do with it is switch a visitor's language,
    nothing more: it changes no data, and the answer (a redirect setting a cookie) is never cached.
    """
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    target = request.args.get("next")
    response = redirect(target if is_safe_redirect(target) else url_for("public.home"), 303)
    remember_language(response, code)
    return response


@bp.get("/csrf-token")
def csrf_token():
    """The visitor's CSRF token, for a form on a page served the same to every visitor without a
    session (the RSVP form: static/js/rsvp.js asks when someone starts filling it in). Starts the
    session that the token is bound to; never cached (the default ``no-store``)."""
    return jsonify(csrf_token=generate_csrf())


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("Health check: the database does not answer")
        return jsonify(status="unavailable", error=_("The database does not answer.")), 503
    return jsonify(status="ok")
