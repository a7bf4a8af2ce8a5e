"""Share pictures, robots.txt, sitemap.xml and /favicon.ico: public, the same for everyone, cacheable.

A picture's ETag is the hash of what it says (rendering/previews.py), so a messenger's crawler that asks
again with ``If-None-Match`` gets a 304 without anything being drawn. Drafts have no picture (404), as
they have no public page.
"""

from __future__ import annotations

from functools import cache

from flask import Response, abort, render_template, request
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Campaign
from organizer.paths import STATIC_DIR
from organizer.previews import bp
from organizer.rendering import previews
from organizer.rendering.share_image import ShareCard
from organizer.services.events import listings as event_listings
from organizer.services.events import sitemap as sitemap_rules
from organizer.urls import absolute_url
from organizer.views_common import redirect_if_moved

# Crawlers and browsers may reuse a picture for this long, then revalidate it with its ETag.
IMAGE_MAX_AGE = 300
TEXT_MAX_AGE = 300
FAVICON_MAX_AGE = 7 * 24 * 3600

# Private links and signed-in pages: nothing there is for a search engine (and most of it answers 404
# or a sign-in page to a crawler anyway). The links are secrets; robots.txt only keeps honest crawlers away.
PRIVATE_PATHS = ("/r/", "/t/", "/door/", "/auth", "/manage", "/language/", "/csrf-token", "/healthz")


@bp.get("/e/<slug>/share.png")
def event_image(slug: str):
    event = event_listings.event_by_slug(slug)
    if event is None:
        _redirect_if_moved("event", slug)
    if event is None or not previews.shows_preview(event):
        abort(404)
    return _picture(previews.event_card(event, previews.image_language(request.args.get("lang"))))


@bp.get("/c/<slug>/share.png")
def campaign_image(slug: str):
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        _redirect_if_moved("campaign", slug)
        abort(404)
    return _picture(previews.campaign_card(campaign, previews.image_language(request.args.get("lang"))))


def _redirect_if_moved(kind: str, old_slug: str) -> None:
    """A preview fetched again after the organizers edited the address: the picture at the new one."""
    language = request.args.get("lang")
    redirect_if_moved(kind, old_slug, f"previews.{kind}_image", **({"lang": language} if language else {}))


def _picture(card: ShareCard) -> Response:
    response = Response(mimetype="image/png")
    response.set_etag(card.etag())
    response.cache_control.public = True
    response.cache_control.max_age = IMAGE_MAX_AGE
    if request.if_none_match.contains(card.etag()):
        response.status_code = 304
        return response
    response.set_data(previews.png(card))
    return response


def _public_text(body: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = TEXT_MAX_AGE
    return response


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in PRIVATE_PATHS), "",
             f"Sitemap: {absolute_url('previews.sitemap')}", ""]
    return _public_text("\n".join(lines), "text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    pages = [(absolute_url(f"public.{page.kind}", slug=page.slug), page.last_modified)
             for page in sitemap_rules.listed_pages()]
    body = render_template("previews/sitemap.xml", home=absolute_url("public.home"), pages=pages)
    return _public_text(body, "application/xml")


@bp.get("/favicon.ico")
def favicon():
    """Browsers and crawlers ask for /favicon.ico whatever the page says; pages also link the SVG."""
    response = Response(_favicon_bytes(), mimetype="image/x-icon")
    response.cache_control.public = True
    response.cache_control.max_age = FAVICON_MAX_AGE
    return response


@cache
def _favicon_bytes() -> bytes:
    return (STATIC_DIR / "favicon.ico").read_bytes()
