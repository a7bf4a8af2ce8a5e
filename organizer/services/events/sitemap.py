"""The pages a search engine may list: published (or cancelled) public events and the campaigns that have one.

Unlisted events are reached only by the link their organizers share, and drafts exist for nobody else:
neither appears here (unlisted pages also say ``noindex``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Campaign, Event, EventStatus, Visibility

SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit for one file

_LISTED = (Event.status.in_([EventStatus.PUBLISHED, EventStatus.CANCELLED]), Event.visibility == Visibility.PUBLIC)


@dataclass(frozen=True)
class ListedPage:
    kind: str  # "campaign" or "event"
    slug: str
    last_modified: datetime | None  # naive UTC


def listed_pages() -> list[ListedPage]:
    """Campaigns first (each dated by its latest listed event), then events, newest first; two queries."""
    campaigns = db.session.execute(
        select(Campaign.slug, func.max(Event.updated_at))
        .join(Event, Event.campaign_id == Campaign.id)
        .where(*_LISTED)
        .group_by(Campaign.id, Campaign.slug)
        .order_by(Campaign.slug)
    ).all()
    events = db.session.execute(
        select(Event.slug, Event.updated_at).where(*_LISTED).order_by(Event.starts_at.desc(), Event.id.desc())
        .limit(SITEMAP_MAX_URLS - len(campaigns))
    ).all()
    return ([ListedPage("campaign", slug, changed) for slug, changed in campaigns]
            + [ListedPage("event", slug, changed) for slug, changed in events])
