"""The public JSON API, /api/v1/: read-only, no personal data, open to every origin (CORS for GET,
never with credentials), cached by anyone (Cache-Control public and an ETag), paged by opaque cursors.

It reads no session and sets no cookie; a refused parameter is a 400 JSON error, never a 500.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from organizer.api import bp, openapi
from organizer.api.schemas import (
    ArticlePageSchema,
    CampaignPageSchema,
    CampaignSchema,
    EventPageSchema,
    EventSchema,
)
from organizer.errors import MESSAGES
from organizer.extensions import limiter
from organizer.models import Campaign, Coverage, Event
from organizer.services.common.errors import ValidationFailed
from organizer.services.events.details import details_for
from organizer.services.open_data import listings
from organizer.services.open_data.listings import LinkedArticle
from organizer.urls import absolute_url
from organizer.views_common import redirect_if_moved

PREFIX = "/api/v1"


# --- documents ----------------------------------------------------------------------------------

def _article(item: Coverage) -> dict[str, Any]:
    return dict(id=item.id, url=item.url, headline=item.headline, outlet=item.outlet,
                published_on=item.published_on, excerpt=item.excerpt, language=item.language)


def _event(event: Event, linked: list[LinkedArticle]) -> dict[str, Any]:
    second = None
    if event.has_second_version():
        second = dict(language=event.second_language, title=event.second_title,
                      description=event.second_description)
    # What anyone may see (details_for with no RSVP): a place kept for people coming is the city only here too.
    details = details_for(event)
    return dict(
        slug=event.slug, campaign=event.campaign.slug, title=event.title, description=event.description,
        language=event.language, second_version=second, status=event.status.value,
        starts_at=event.local_start, ends_at=event.local_end, timezone=event.timezone,
        venue_name=details.venue_name, address=details.address, city=details.city, country=details.country,
        online_url=details.online_url, online=details.online, url=absolute_url("public.event", slug=event.slug),
        coverage=[dict(relation=link.relation.value, article=_article(link.article)) for link in linked],
    )


def _campaign(campaign: Campaign) -> dict[str, Any]:
    return dict(
        slug=campaign.slug, name=campaign.name, summary=campaign.summary, description=campaign.description,
        timezone=campaign.default_timezone, url=absolute_url("public.campaign", slug=campaign.slug),
        embed_url=absolute_url("embed.campaign", slug=campaign.slug),
        events_url=absolute_url("api.campaign_events", slug=campaign.slug),
        coverage_url=absolute_url("api.campaign_coverage", slug=campaign.slug),
    )


def _events(events: list[Event]) -> list[dict[str, Any]]:
    linked = listings.event_coverage(events)
    return [_event(event, linked[event.id]) for event in events]


# --- responses ----------------------------------------------------------------------------------

def _json(schema, data: Any, many: bool = False) -> Response:
    response = jsonify(schema(many=many).dump(data))
    seconds = int(current_app.config.get("API_CACHE_SECONDS", 60))
    response.cache_control.public = True
    response.cache_control.max_age = seconds
    response.add_etag()
    response.make_conditional(request)  # 304 without a body when the client's ETag still matches
    return response


def _bad_request(message: str) -> Response:
    response = jsonify(error="Bad Request", message=message)
    response.status_code = 400
    return response


def _paging() -> tuple[int, str | None]:
    raw = request.args.get("limit", "")
    if raw == "":
        limit = listings.DEFAULT_LIMIT
    elif raw.isascii() and raw.isdigit() and 1 <= int(raw) <= listings.MAX_LIMIT:
        limit = int(raw)
    else:
        raise ValidationFailed(_("limit must be a whole number from 1 to %(most)s.", most=listings.MAX_LIMIT),
                               "limit")
    return limit, request.args.get("cursor") or None


def _when() -> str:
    when = request.args.get("when", "upcoming")
    if when not in listings.WHEN:
        raise ValidationFailed(_("when must be one of: upcoming, past, all."), "when")
    return when


@bp.errorhandler(ValidationFailed)
def refused(error: ValidationFailed):
    return _bad_request(error.message)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    code = error.code or 500
    title, text = (str(part) for part in MESSAGES.get(code, (error.name, error.description or "")))
    response = jsonify(error=title, message=text)
    response.status_code = code
    return response


@bp.after_request
def open_to_every_origin(response: Response) -> Response:
    """Any site may read the API from a browser: it is public and answers the same to everyone.
    Never with credentials, so no browser sends a visitor's cookies along with a cross-site read."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "If-None-Match"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# Per client address; a 429 answers in JSON like every error here, with the CORS headers above.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(bp)


def _campaign_or_404(slug: str) -> Campaign:
    found = listings.campaign(slug)
    if found is None:
        # An address kept by another site before the organizers edited it: sent on (301), to the same route.
        redirect_if_moved("campaign", slug, request.endpoint or "api.campaign", **request.args.to_dict())
        abort(404)
    return found


# --- routes -------------------------------------------------------------------------------------

@bp.get(f"{PREFIX}/campaigns")
@openapi.operation("Public campaigns", CampaignPageSchema, openapi.PAGED,
                   "Campaigns with at least one published public event, oldest first.")
def campaigns():
    limit, cursor = _paging()
    page = listings.campaigns(limit, cursor)
    return _json(CampaignPageSchema, dict(items=[_campaign(item) for item in page.items],
                                          next_cursor=page.next_cursor))


@bp.get(f"{PREFIX}/campaigns/<slug>")
@openapi.operation("One public campaign", CampaignSchema)
def campaign(slug: str):
    found = _campaign_or_404(slug)
    return _json(CampaignSchema, _campaign(found))


@bp.get(f"{PREFIX}/campaigns/<slug>/events")
@openapi.operation("A campaign's public events", EventPageSchema, (openapi.WHEN, *openapi.PAGED),
                   "Published and cancelled public events; never drafts or unlisted events.")
def campaign_events(slug: str):
    found = _campaign_or_404(slug)
    limit, cursor = _paging()
    page = listings.events(found, _when(), limit, cursor)
    return _json(EventPageSchema, dict(items=_events(page.items), next_cursor=page.next_cursor))


@bp.get(f"{PREFIX}/campaigns/<slug>/coverage")
@openapi.operation("A campaign's articles", ArticlePageSchema, openapi.PAGED,
                   "Newest first; articles without a date last.")
def campaign_coverage(slug: str):
    found = _campaign_or_404(slug)
    limit, cursor = _paging()
    page = listings.coverage(found, limit, cursor)
    return _json(ArticlePageSchema, dict(items=[_article(item) for item in page.items],
                                         next_cursor=page.next_cursor))


@bp.get(f"{PREFIX}/events")
@openapi.operation("Public events of every campaign", EventPageSchema, (openapi.WHEN, *openapi.PAGED))
def events():
    limit, cursor = _paging()
    page = listings.events(None, _when(), limit, cursor)
    return _json(EventPageSchema, dict(items=_events(page.items), next_cursor=page.next_cursor))


@bp.get(f"{PREFIX}/events/<slug>")
@openapi.operation("One public event", EventSchema, description="Unlisted events and drafts are not found here.")
def event(slug: str):
    found = listings.event(slug)
    if found is None:
        redirect_if_moved("event", slug, "api.event", **request.args.to_dict())
        abort(404)
    return _json(EventSchema, _events([found])[0])


@bp.get(f"{PREFIX}/openapi.json")
def openapi_document():
    document = current_app.extensions.get("api_openapi")
    if document is None:
        document = current_app.extensions["api_openapi"] = openapi.build(current_app)
    response = jsonify(document)
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get(f"{PREFIX}/docs")
def docs():
    """The OpenAPI document as a page people read (no script: the CSP allows none from elsewhere)."""
    document = current_app.extensions.get("api_openapi")
    if document is None:
        document = current_app.extensions["api_openapi"] = openapi.build(current_app)
    return render_template("api/docs.html", spec=document)
