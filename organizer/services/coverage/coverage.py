"""News coverage: a campaign's library of articles, the news that prompted an event and the reports
that followed it, and the campaign timeline where articles and meetings interleave by date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from organizer.extensions import db
from organizer.models import Campaign, Coverage, CoverageRelation, Event, EventCoverage, User
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict, NotFound, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.common.validation import clean_text, is_valid_id, one_of
from organizer.text import is_http_url

URL_MAX = 500
HEADLINE_MAX = 300
OUTLET_MAX = 160
AUTHOR_MAX = 160
EXCERPT_MAX = 2_000
NOTE_MAX = 300
SEARCH_MAX = 100
MIN_YEAR = 1900  # as for event dates: a year-1 article would open the campaign's timeline
MAX_YEAR = 2200
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass
class CoverageInput:
    url: str
    headline: str
    outlet: str = ""
    author: str = ""
    published_on: date | None = None
    excerpt: str = ""
    language: str = "en"


def coverage_input_from(item: Coverage) -> CoverageInput:
    return CoverageInput(url=item.url, headline=item.headline, outlet=item.outlet, author=item.author,
                         published_on=item.published_on, excerpt=item.excerpt, language=item.language)


def _validated(data: CoverageInput) -> dict:
    url = clean_text(data.url, URL_MAX, "url", required_message=_("Paste the article's web address."))
    if not is_http_url(url):
        raise ValidationFailed(_("Enter a full web address starting with https:// or http://."), field="url")
    headline = clean_text(data.headline, HEADLINE_MAX, "headline", required_message=_("Enter the headline."))
    language = clean_text(data.language, 16, "language") or "en"
    if not _LANGUAGE.match(language):
        raise ValidationFailed(_("Use a language code such as en, ar or pt-BR."), field="language")
    if data.published_on is not None and not MIN_YEAR <= data.published_on.year <= MAX_YEAR:
        raise ValidationFailed(
            _("Enter a date between %(first)s and %(last)s.", first=MIN_YEAR, last=MAX_YEAR), field="published_on")
    return {
        "url": url,
        "headline": headline,
        "outlet": clean_text(data.outlet, OUTLET_MAX, "outlet"),
        "author": clean_text(data.author, AUTHOR_MAX, "author"),
        "published_on": data.published_on,
        "excerpt": clean_text(data.excerpt, EXCERPT_MAX, "excerpt"),
        "language": language,
    }


# --- Library -----------------------------------------------------------------------------------

def create_coverage(actor: User, campaign: Campaign, data: CoverageInput) -> Coverage:
    permissions.require(actor, campaign, Action.MANAGE_COVERAGE)
    item = Coverage(campaign_id=campaign.id, **_validated(data))
    db.session.add(item)
    db.session.flush()
    return item


def update_coverage(actor: User, item: Coverage, data: CoverageInput) -> Coverage:
    permissions.require(actor, _campaign_of(item), Action.MANAGE_COVERAGE)
    for name, value in _validated(data).items():
        setattr(item, name, value)
    db.session.flush()
    return item


def delete_coverage(actor: User, item: Coverage) -> None:
    """Removes the article from the library and from every event it was linked to."""
    permissions.require(actor, _campaign_of(item), Action.MANAGE_COVERAGE)
    db.session.delete(item)
    db.session.flush()


def _campaign_of(item: Coverage) -> Campaign:
    campaign = db.session.get(Campaign, item.campaign_id)
    assert campaign is not None
    return campaign


def get_coverage(campaign: Campaign, coverage_id: int) -> Coverage:
    """An article of the campaign's library. The id may come from a form, so any number is safe here."""
    item = db.session.get(Coverage, coverage_id) if is_valid_id(coverage_id) else None
    if item is None or item.campaign_id != campaign.id:
        raise NotFound(_("No such article in this campaign's library."))
    return item


def library(campaign: Campaign, query: str = "") -> list[Coverage]:
    """The whole library (or the matches for ``query``), newest article first."""
    return search(campaign, query, limit=None)


def search(campaign: Campaign, query: str, limit: int | None = 10) -> list[Coverage]:
    """Search-as-you-type over headline, outlet, author and address; every word must match."""
    statement = select(Coverage).where(Coverage.campaign_id == campaign.id)
    for word in (query or "").strip()[:SEARCH_MAX].split():
        needle = word.lower()
        statement = statement.where(
            or_(
                func.lower(Coverage.headline).contains(needle, autoescape=True),
                func.lower(Coverage.outlet).contains(needle, autoescape=True),
                func.lower(Coverage.author).contains(needle, autoescape=True),
                func.lower(Coverage.url).contains(needle, autoescape=True),
            )
        )
    statement = statement.order_by(Coverage.published_on.desc().nulls_last(), Coverage.id.desc())
    if limit is not None:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


def link_counts(items: list[Coverage]) -> dict[int, int]:
    """How many events each article is linked to (for the library and the delete confirmation)."""
    if not items:
        return {}
    rows = db.session.execute(
        select(EventCoverage.coverage_id, func.count(func.distinct(EventCoverage.event_id)))
        .where(EventCoverage.coverage_id.in_([item.id for item in items]))
        .group_by(EventCoverage.coverage_id)
    ).all()
    counts = dict(rows)
    return {item.id: counts.get(item.id, 0) for item in items}


# --- Links to events ---------------------------------------------------------------------------

def link(actor: User, event: Event, item: Coverage, relation: CoverageRelation | str,
         note: str = "") -> EventCoverage:
    permissions.require(actor, event.campaign, Action.MANAGE_COVERAGE)
    if item.campaign_id != event.campaign_id:
        raise NotFound(_("No such article in this campaign's library."))
    relation = one_of(CoverageRelation, relation, "relation", _("Choose how the article relates to the event."))
    note = clean_text(note, NOTE_MAX, "note")
    exists = db.session.scalar(
        select(EventCoverage.id).where(
            EventCoverage.event_id == event.id,
            EventCoverage.coverage_id == item.id,
            EventCoverage.relation == relation,
        )
    )
    if exists is not None:
        raise Conflict(_("This article is already linked to the event that way."))
    event_link = EventCoverage(event_id=event.id, coverage_id=item.id, relation=relation, note=note)
    db.session.add(event_link)
    db.session.flush()
    return event_link


def get_link(event: Event, link_id: int) -> EventCoverage:
    event_link = db.session.get(EventCoverage, link_id)
    if event_link is None or event_link.event_id != event.id:
        raise NotFound(_("No such link."))
    return event_link


def unlink(actor: User, event: Event, event_link: EventCoverage) -> None:
    """Takes the article off this event; it stays in the library."""
    permissions.require(actor, event.campaign, Action.MANAGE_COVERAGE)
    if event_link.event_id != event.id:
        raise NotFound(_("No such link."))
    db.session.delete(event_link)
    db.session.flush()


@dataclass
class EventCoverageView:
    prompted_by: list[EventCoverage]
    reports: list[EventCoverage]

    @property
    def all(self) -> list[EventCoverage]:
        return self.prompted_by + self.reports


def for_event(event: Event) -> EventCoverageView:
    """The event's articles with the library rows loaded, oldest news first."""
    links = db.session.scalars(
        select(EventCoverage)
        .options(joinedload(EventCoverage.coverage))
        .where(EventCoverage.event_id == event.id)
        .join(Coverage, Coverage.id == EventCoverage.coverage_id)
        .order_by(Coverage.published_on.asc().nulls_last(), EventCoverage.id)
    ).all()
    return EventCoverageView(
        prompted_by=[item for item in links if item.relation is CoverageRelation.PROMPTED_BY],
        reports=[item for item in links if item.relation is CoverageRelation.REPORT],
    )


# --- Timeline ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "coverage" or "event"
    day: date
    coverage: Coverage | None = None
    event: Event | None = None
    relation: str = ""  # for coverage: "prompted_by", "report" or "" when linked to no listed event


def timeline(campaign: Campaign, events: list[Event]) -> list[TimelineEntry]:
    """Articles (by published date) and events (by their local start) interleaved, oldest first.

    ``events`` are the events the viewer may see listed. Articles without a date are left out:
    they have no place in the story yet.
    """
    items = db.session.scalars(
        select(Coverage).where(Coverage.campaign_id == campaign.id, Coverage.published_on.is_not(None))
    ).all()
    event_ids = [event.id for event in events]
    relations: dict[int, set[str]] = {}
    if event_ids and items:
        for coverage_id, kind in db.session.execute(
            select(EventCoverage.coverage_id, EventCoverage.relation).where(EventCoverage.event_id.in_(event_ids))
        ):
            relations.setdefault(coverage_id, set()).add(kind.value)
    entries: list[tuple[tuple, TimelineEntry]] = []
    for item in items:
        assert item.published_on is not None  # the query keeps only published items
        kinds = relations.get(item.id, set())
        relation = "prompted_by" if "prompted_by" in kinds else ("report" if "report" in kinds else "")
        # On the same day, the news that prompted a meeting comes before it, a report after it.
        order = 2 if relation == "report" else 0
        entries.append(((item.published_on, order, datetime.min, item.id),
                        TimelineEntry("coverage", item.published_on, coverage=item, relation=relation)))
    for event in events:
        local = event.local_start.replace(tzinfo=None)
        entries.append(((local.date(), 1, local, event.id), TimelineEntry("event", local.date(), event=event)))
    entries.sort(key=lambda pair: pair[0])
    return [entry for _, entry in entries]
