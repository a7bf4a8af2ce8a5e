"""Share pictures, robots.txt, sitemap.xml, /favicon.ico: the same for everyone; a draft has no picture at all,
not even for its campaign's team (the picture is public and cacheable)."""

from __future__ import annotations

from organizer.models import EventStatus, Visibility
from tests.authorization.routes_public import _event
from tests.authorization.rules import Rule


def _draft_image(w) -> str:
    return f"/e/{_event(w, 'draft-meeting', status=EventStatus.DRAFT).slug}/share.png"


def _unlisted_image(w) -> str:
    return f"/e/{_event(w, 'unlisted-meeting', visibility=Visibility.UNLISTED).slug}/share.png"


ROUTES: list[Rule] = [
    Rule("previews.event_image", "GET", lambda w: f"/e/{w.event.slug}/share.png?lang=ar", {}, default=200),
    Rule("previews.event_image", "GET", lambda w: "/e/no-such-event/share.png", {}, id_suffix=" unknown"),
    Rule("previews.event_image", "GET", _draft_image, {}, id_suffix=" draft"),
    Rule("previews.event_image", "GET", _unlisted_image, {}, default=200, id_suffix=" unlisted"),
    Rule("previews.campaign_image", "GET", lambda w: f"/c/{w.campaign.slug}/share.png", {}, default=200),
    Rule("previews.campaign_image", "GET", lambda w: "/c/no-such-campaign/share.png", {}, id_suffix=" unknown"),
    Rule("previews.robots", "GET", lambda w: "/robots.txt", {}, default=200),
    Rule("previews.sitemap", "GET", lambda w: "/sitemap.xml", {}, default=200),
    Rule("previews.favicon", "GET", lambda w: "/favicon.ico", {}, default=200),
]
