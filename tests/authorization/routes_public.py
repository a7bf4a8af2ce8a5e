"""Public pages: open to everyone; drafts exist only for their campaign's team; the health check."""

from __future__ import annotations

from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Event, EventStatus, Visibility
from tests import builders
from tests.authorization.rules import STAFF, Rule, only


def _event(w, slug: str, **overrides) -> Event:
    """An extra event in the world's campaign, made once (GET rules share one world)."""
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    return event or builders.make_event(w.campaign, slug=slug, **overrides)


def _draft(w) -> str:
    return f"/e/{_event(w, 'draft-meeting', status=EventStatus.DRAFT).slug}"


def _unlisted(w) -> str:
    return f"/e/{_event(w, 'unlisted-meeting', visibility=Visibility.UNLISTED).slug}"


def _cancelled(w) -> str:
    return f"/e/{_event(w, 'cancelled-meeting', status=EventStatus.CANCELLED).slug}"


ROUTES: list[Rule] = [
    Rule("public.home", "GET", lambda w: "/", {}, default=200),
    Rule("public.healthz", "GET", lambda w: "/healthz", {}, default=200),
    Rule("public.set_language", "GET", lambda w: "/language/ar?next=/", {}, default=303),
    Rule("public.set_language", "GET", lambda w: "/language/xx", {}, id_suffix=" unknown"),
    Rule("public.csrf_token", "GET", lambda w: "/csrf-token", {}, default=200),
    Rule("public.campaign", "GET", lambda w: f"/c/{w.campaign.slug}", {}, default=200),
    Rule("public.campaign", "GET", lambda w: "/c/no-such-campaign", {}, id_suffix=" unknown"),
    Rule("public.event", "GET", lambda w: f"/e/{w.event.slug}", {}, default=200),
    Rule("public.event", "GET", lambda w: "/e/no-such-event", {}, id_suffix=" unknown"),
    # A draft is a preview for the campaign's team; for everyone else it doesn't exist.
    Rule("public.event", "GET", _draft, only(STAFF, 200), id_suffix=" draft"),
    Rule("public.event", "GET", _unlisted, {}, default=200, id_suffix=" unlisted"),
    Rule("public.event", "GET", _cancelled, {}, default=200, id_suffix=" cancelled"),
]
