"""Event listings: the home page, a campaign's events, counts, finding an event by its address, the calendar feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload, selectinload

from organizer.extensions import db
from organizer.models import (
    Campaign,
    Event,
    EventStatus,
    Visibility,
)
from organizer.timeutil import utcnow

FEED_MAX_EVENTS = 500  # a subscribed calendar needs the coming meetings, not an unbounded file


def upcoming_public_events(limit: int = 100, now: datetime | None = None) -> list[Event]:
    """For the home page: published, public, not over yet; soonest first."""
    return list(
        db.session.scalars(
            select(Event)
            .options(joinedload(Event.campaign))
            .where(
                Event.status == EventStatus.PUBLISHED,
                Event.visibility == Visibility.PUBLIC,
                Event.ends_at > (now or utcnow()),
            )
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
    )


def public_campaign_events(campaign: Campaign) -> list[Event]:
    """Every event the public may see listed for a campaign (published or cancelled, never unlisted)."""
    return list(
        db.session.scalars(
            select(Event)
            .where(
                Event.campaign_id == campaign.id,
                Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]),
                Event.visibility == Visibility.PUBLIC,
            )
            .order_by(Event.starts_at, Event.id)
        )
    )


def still_to_come(events: list[Event], now: datetime | None = None) -> list[Event]:
    """Of a campaign's listed events, the ones people can still go to: published and not over."""
    now = now or utcnow()
    return [event for event in events if event.status is EventStatus.PUBLISHED and event.ends_at > now]


@dataclass
class CampaignEvents:
    upcoming: list[Event]  # published or cancelled, not over; soonest first
    drafts: list[Event]  # soonest first
    past: list[Event]  # most recent first

    @property
    def all(self) -> list[Event]:
        return self.upcoming + self.drafts + self.past


def campaign_events(campaign: Campaign, now: datetime | None = None) -> CampaignEvents:
    """All a campaign's events for its dashboard, in one query."""
    now = now or utcnow()
    events = db.session.scalars(
        select(Event).where(Event.campaign_id == campaign.id).order_by(Event.starts_at, Event.id)
    ).all()
    drafts = [e for e in events if e.status is EventStatus.DRAFT]
    upcoming = [e for e in events if e.status is not EventStatus.DRAFT and e.ends_at > now]
    past = [e for e in events if e.status is not EventStatus.DRAFT and e.ends_at <= now]
    past.reverse()
    return CampaignEvents(upcoming=upcoming, drafts=drafts, past=past)


@dataclass(frozen=True)
class EventCounts:
    upcoming: int = 0  # published, not over
    drafts: int = 0


def event_counts(campaign_ids: list[int], now: datetime | None = None) -> dict[int, EventCounts]:
    """Upcoming and draft events per campaign, in one query (for "my campaigns")."""
    if not campaign_ids:
        return {}
    now = now or utcnow()
    rows = db.session.execute(
        select(
            Event.campaign_id,
            func.sum(case((and_(Event.status == EventStatus.PUBLISHED, Event.ends_at > now), 1), else_=0)),
            func.sum(case((Event.status == EventStatus.DRAFT, 1), else_=0)),
        )
        .where(Event.campaign_id.in_(campaign_ids))
        .group_by(Event.campaign_id)
    ).all()
    found = {row[0]: EventCounts(int(row[1] or 0), int(row[2] or 0)) for row in rows}
    return {campaign_id: found.get(campaign_id, EventCounts()) for campaign_id in campaign_ids}


def event_by_slug(slug: str) -> Event | None:
    """Any event by its slug, with what its page needs; callers decide who may see drafts."""
    return db.session.scalar(
        select(Event)
        .options(joinedload(Event.campaign), selectinload(Event.questions))
        .where(Event.slug == slug)
    )


def public_event_by_slug(slug: str) -> Event | None:
    """The event a public link points at: drafts don't exist for the public."""
    event = event_by_slug(slug)
    if event is None or event.status is EventStatus.DRAFT:
        return None
    return event


def campaign_feed_events(campaign: Campaign, now=None) -> list[Event]:
    """Upcoming public events of the campaign (cancelled ones too, so subscribed calendars update)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Event)
            .options(joinedload(Event.campaign))
            .where(
                Event.campaign_id == campaign.id,
                Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]),
                Event.visibility == Visibility.PUBLIC,
                Event.ends_at > now,
            )
            .order_by(Event.starts_at, Event.id)
            .limit(FEED_MAX_EVENTS)
        )
    )


