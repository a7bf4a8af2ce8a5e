"""The public lists behind the API and the embed page, a page at a time.

Only what the public pages show: campaigns that have at least one published public event, their
published or cancelled public events (never drafts, never unlisted events), and the articles of
their coverage library that the campaign page's timeline shows (dated ones) or that a listed event
links to. Nothing about people: no members, RSVPs, counts of named people or article authors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from organizer.extensions import db
from organizer.models import Campaign, Coverage, CoverageRelation, Event, EventCoverage, EventStatus, Visibility
from organizer.services.open_data import cursors
from organizer.timeutil import utcnow

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
WHEN = ("upcoming", "past", "all")

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _listed_event():
    return and_(Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]), Event.visibility == Visibility.PUBLIC)


def _has_listed_event():
    return exists().where(Event.campaign_id == Campaign.id, Event.status == EventStatus.PUBLISHED,
                          Event.visibility == Visibility.PUBLIC)


def campaigns(limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page[Campaign]:
    """Campaigns with at least one published public event, oldest first."""
    stmt = select(Campaign).where(_has_listed_event()).order_by(Campaign.id)
    if cursor:
        _none, after = cursors.decode("campaigns", cursor, None)
        stmt = stmt.where(Campaign.id > after)
    found = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return Page(found, cursors.encode("campaigns", None, found[-1].id) if more else None)


def campaign(slug: str) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug, _has_listed_event()))


def events(campaign: Campaign | None = None, when: str = "upcoming", limit: int = DEFAULT_LIMIT,
           cursor: str | None = None, now: datetime | None = None) -> Page[Event]:
    """Listed events, of one campaign or all: upcoming (not over, soonest first; cancelled ones
    included so a calendar built from the API can drop them), past (latest first) or all (by start)."""
    now = now or utcnow()
    kind = f"events:{campaign.id if campaign else '*'}:{when}"
    stmt = select(Event).options(joinedload(Event.campaign)).where(_listed_event())
    if campaign is not None:
        stmt = stmt.where(Event.campaign_id == campaign.id)
    backwards = when == "past"
    if when == "upcoming":
        stmt = stmt.where(Event.ends_at > now)
    elif when == "past":
        stmt = stmt.where(Event.ends_at <= now)
    if cursor:
        starts, after = cursors.decode(kind, cursor, datetime)
        if backwards:
            stmt = stmt.where(or_(Event.starts_at < starts, and_(Event.starts_at == starts, Event.id < after)))
        else:
            stmt = stmt.where(or_(Event.starts_at > starts, and_(Event.starts_at == starts, Event.id > after)))
    order = (Event.starts_at.desc(), Event.id.desc()) if backwards else (Event.starts_at, Event.id)
    found = list(db.session.scalars(stmt.order_by(*order).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return Page(found, cursors.encode(kind, found[-1].starts_at, found[-1].id) if more else None)


def event(slug: str) -> Event | None:
    return db.session.scalar(
        select(Event).options(joinedload(Event.campaign)).where(Event.slug == slug, _listed_event()))


@dataclass(frozen=True)
class LinkedArticle:
    relation: CoverageRelation
    article: Coverage


def event_coverage(events: list[Event]) -> dict[int, list[LinkedArticle]]:
    """Each event's linked articles (the news behind it first, then reports), in one query."""
    result: dict[int, list[LinkedArticle]] = {item.id: [] for item in events}
    if not events:
        return result
    links = db.session.scalars(
        select(EventCoverage).options(joinedload(EventCoverage.coverage))
        .join(Coverage, Coverage.id == EventCoverage.coverage_id)
        .where(EventCoverage.event_id.in_(list(result)))
        .order_by(Coverage.published_on.asc().nulls_last(), EventCoverage.id)
    )
    for link in links:
        result[link.event_id].append(LinkedArticle(link.relation, link.coverage))
    for linked in result.values():
        linked.sort(key=lambda item: item.relation is not CoverageRelation.PROMPTED_BY)  # stable: dates kept
    return result


def coverage(campaign: Campaign, limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> Page[Coverage]:
    """The campaign's public articles, newest first: dated ones (the campaign page's timeline shows
    them) and any a listed event links to."""
    linked = exists().where(EventCoverage.coverage_id == Coverage.id, EventCoverage.event_id == Event.id,
                            _listed_event())
    stmt = select(Coverage).where(Coverage.campaign_id == campaign.id,
                                  or_(Coverage.published_on.is_not(None), linked))
    kind = f"coverage:{campaign.id}"
    # Undated articles come last; their sort key is the earliest possible date.
    day = func.coalesce(Coverage.published_on, date.min)
    if cursor:
        position, after = cursors.decode(kind, cursor, date)
        stmt = stmt.where(or_(day < position, and_(day == position, Coverage.id < after)))
    found = list(db.session.scalars(stmt.order_by(day.desc(), Coverage.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    last = found[-1] if found else None
    return Page(found, cursors.encode(kind, last.published_on or date.min, last.id) if more and last else None)
