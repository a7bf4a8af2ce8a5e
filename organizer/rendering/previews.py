"""What a shared link shows in a messenger: OpenGraph and Twitter card tags and the share picture.

A page's tags are made in the reader's language, and its picture's address names that language
(``?lang=ar``), so a link shared from the Arabic page previews in Arabic. The picture is a function of the
card: its ETag is the card's hash, so a crawler's revalidation costs one card, not one drawing; each
process also keeps the last pictures it drew (``_recent``), as rendering takes ~100 ms.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from organizer.formatting import RTL_LANGUAGES, event_datetime
from organizer.models import Campaign, Event, EventCoverage, EventStatus, Visibility
from organizer.rendering.share_image import HEIGHT, WIDTH, ShareCard, render_png
from organizer.services.coverage import coverage as coverage_rules
from organizer.services.coverage.coverage import TimelineEntry
from organizer.services.events import listings as event_listings
from organizer.text import excerpt
from organizer.urls import absolute_url

DESCRIPTION_LENGTH = 200


@dataclass(frozen=True)
class Preview:
    """The tags of one page (templates/_previews.html writes them)."""

    title: str
    description: str
    canonical_url: str
    image_url: str
    image_alt: str
    og_locale: str
    site_name: str
    noindex: bool
    width: int = WIDTH
    height: int = HEIGHT


def image_language(requested: str | None) -> str:
    """The language of a picture: one the site offers, else its default (never the visitor's cookie:
    the picture is the same for everyone who fetches the same address)."""
    languages = list(current_app.config["LANGUAGES"])
    if requested in languages:
        return str(requested)
    default = str(current_app.config.get("DEFAULT_LOCALE") or "en").split("_")[0]
    return default if default in languages else languages[0]


def _locale_of(language: str) -> str:
    default_locale = str(current_app.config.get("DEFAULT_LOCALE") or "en")
    return default_locale if default_locale.split("_")[0] == language else language


def _direction(language: str) -> str:
    return "rtl" if language in RTL_LANGUAGES else "ltr"


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or ""


def shows_preview(event: Event) -> bool:
    """Drafts have no preview at all; unlisted events do (they are shared by link), but stay noindex."""
    return event.status is not EventStatus.DRAFT


# --- Events ------------------------------------------------------------------------------------

def event_card(event: Event, language: str, prompted: list[EventCoverage] | None = None) -> ShareCard:
    """``prompted``: the event's "prompted by" links when the caller has them already (the page does)."""
    if prompted is None:
        prompted = coverage_rules.for_event(event).prompted_by
    article = prompted[0].coverage if prompted else None
    with force_locale(_locale_of(language)):
        news_label = _("Why we met") if event.has_ended and not event.is_cancelled else _("Why we're meeting")
        title = event.title_in(language)
        if event.is_cancelled:
            title = _("Cancelled: %(title)s", title=title)
        return ShareCard(
            direction=_direction(language),
            kicker=event.campaign.name,
            title=title,
            when=event_datetime(event.starts_at, event.timezone),
            place=event.city or (_("Online") if event.online_url else ""),
            news_label=news_label if article else "",
            headline=article.headline if article else "",
            outlet=article.outlet if article else "",
            footer=_host(),
        )


def event_preview(event: Event, language: str, prompted: list[EventCoverage] | None = None) -> Preview:
    card = event_card(event, language, prompted)
    when_where = " · ".join(part for part in (card.when, card.place) if part)
    about = excerpt(_plain(event.description_in(language)), DESCRIPTION_LENGTH)
    return Preview(
        title=card.title,
        description=" — ".join(part for part in (when_where, about) if part),
        canonical_url=absolute_url("public.event", slug=event.slug),
        image_url=absolute_url("previews.event_image", slug=event.slug, lang=language, v=card.etag()[:12]),
        image_alt=" · ".join(part for part in (card.title, when_where) if part),
        og_locale=_locale_of(language),
        site_name=event.campaign.name,
        noindex=event.visibility is Visibility.UNLISTED or event.status is EventStatus.DRAFT,
    )


# --- Campaigns ---------------------------------------------------------------------------------

def campaign_card(campaign: Campaign, language: str, upcoming: list[Event] | None = None,
                  timeline: list[TimelineEntry] | None = None) -> ShareCard:
    """The campaign's next meeting (if any) and its latest news. ``upcoming`` and ``timeline``: what the
    campaign page has loaded already (its listed events still to come, its timeline)."""
    if upcoming is None:
        upcoming = event_listings.still_to_come(event_listings.public_campaign_events(campaign))
    if timeline is None:
        timeline = coverage_rules.timeline(campaign, [])
    next_event = next((event for event in upcoming if not event.is_cancelled), None)
    news = [entry.coverage for entry in timeline if entry.kind == "coverage" and entry.coverage is not None]
    article = news[-1] if news else None
    with force_locale(_locale_of(language)):
        when = ""
        if next_event is not None:
            when = _("Next meeting: %(when)s",
                     when=event_datetime(next_event.starts_at, next_event.timezone))
        return ShareCard(
            direction=_direction(language),
            kicker=_("Campaign"),
            title=campaign.name,
            when=when,
            place=next_event.city if next_event is not None else "",
            news_label=_("In the news") if article else "",
            headline=article.headline if article else "",
            outlet=article.outlet if article else "",
            footer=_host(),
        )


def campaign_preview(campaign: Campaign, language: str, upcoming: list[Event] | None = None,
                     timeline: list[TimelineEntry] | None = None) -> Preview:
    card = campaign_card(campaign, language, upcoming, timeline)
    summary = campaign.summary or excerpt(_plain(campaign.description), DESCRIPTION_LENGTH)
    when_where = " · ".join(part for part in (card.when, card.place) if part)
    return Preview(
        title=campaign.name,
        description=" — ".join(part for part in (summary, when_where) if part),
        canonical_url=absolute_url("public.campaign", slug=campaign.slug),
        image_url=absolute_url("previews.campaign_image", slug=campaign.slug, lang=language, v=card.etag()[:12]),
        image_alt=" · ".join(part for part in (campaign.name, when_where) if part),
        og_locale=_locale_of(language),
        site_name=campaign.name,
        noindex=False,
    )


def _plain(markdown: str) -> str:
    """Enough of Markdown removed for a one-line excerpt: markers, link targets, headings."""
    text = (markdown or "").replace("\r", "")
    for marker in ("**", "__", "`", "#", ">", "*", "_"):
        text = text.replace(marker, "")
    out: list[str] = []
    for chunk in text.split("]("):
        out.append(chunk.split(")", 1)[1] if out and ")" in chunk else chunk)
    return " ".join("".join(out).replace("[", "").split())


# --- The picture -------------------------------------------------------------------------------

_RECENT_LIMIT = 64
_recent: OrderedDict[str, bytes] = OrderedDict()
_recent_lock = threading.Lock()


def png(card: ShareCard) -> bytes:
    """The card's picture, drawn once per process while it stays among the last ones asked for."""
    key = card.etag()
    with _recent_lock:
        if key in _recent:
            _recent.move_to_end(key)
            return _recent[key]
    data = render_png(card)
    with _recent_lock:
        _recent[key] = data
        while len(_recent) > _RECENT_LIMIT:
            _recent.popitem(last=False)
    return data

