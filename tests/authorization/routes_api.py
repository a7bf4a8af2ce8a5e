"""The public API and the embeddable list: the same for everyone, signed in or not; drafts and
unlisted events don't exist there, not even for their campaign's team."""

from __future__ import annotations

from tests.authorization.routes_public import _draft, _unlisted
from tests.authorization.rules import Rule


def _api_event(path_of):
    return lambda w: "/api/v1/events/" + path_of(w).removeprefix("/e/")


ROUTES: list[Rule] = [
    Rule("embed.campaign", "GET", lambda w: f"/c/{w.campaign.slug}/embed", {}, default=200),
    Rule("embed.campaign", "GET", lambda w: f"/c/{w.campaign.slug}/embed?lang=ar", {}, default=200,
         id_suffix=" arabic"),
    Rule("embed.campaign", "GET", lambda w: "/c/no-such-campaign/embed", {}, id_suffix=" unknown"),
    Rule("api.openapi_document", "GET", lambda w: "/api/v1/openapi.json", {}, default=200),
    Rule("api.docs", "GET", lambda w: "/api/v1/docs", {}, default=200),
    Rule("api.campaigns", "GET", lambda w: "/api/v1/campaigns", {}, default=200),
    Rule("api.campaign", "GET", lambda w: f"/api/v1/campaigns/{w.campaign.slug}", {}, default=200),
    Rule("api.campaign", "GET", lambda w: "/api/v1/campaigns/no-such-campaign", {}, id_suffix=" unknown"),
    Rule("api.campaign_events", "GET", lambda w: f"/api/v1/campaigns/{w.campaign.slug}/events?when=all", {},
         default=200),
    Rule("api.campaign_coverage", "GET", lambda w: f"/api/v1/campaigns/{w.campaign.slug}/coverage", {},
         default=200),
    Rule("api.events", "GET", lambda w: "/api/v1/events", {}, default=200),
    Rule("api.event", "GET", lambda w: f"/api/v1/events/{w.event.slug}", {}, default=200),
    Rule("api.event", "GET", _api_event(_draft), {}, id_suffix=" draft"),
    Rule("api.event", "GET", _api_event(_unlisted), {}, id_suffix=" unlisted"),
]
