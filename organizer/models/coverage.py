from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from organizer.extensions import Model
from organizer.models._types import enum_column
from organizer.timeutil import utcnow

if TYPE_CHECKING:  # annotations only: SQLAlchemy resolves relationships by class name when mapping
    from organizer.models.event import Event


class CoverageRelation(enum.StrEnum):
    PROMPTED_BY = "prompted_by"  # the news behind the meeting
    REPORT = "report"  # coverage of the meeting afterwards


class Coverage(Model):
    """An article in a campaign's coverage library."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    headline: Mapped[str] = mapped_column(String(300))
    outlet: Mapped[str] = mapped_column(String(160), default="")
    author: Mapped[str] = mapped_column(String(160), default="")
    published_on: Mapped[date | None]
    excerpt: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EventCoverage(Model):
    __table_args__ = (UniqueConstraint("event_id", "coverage_id", "relation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverage.id", ondelete="CASCADE"), index=True)
    relation: Mapped[CoverageRelation] = mapped_column(enum_column(CoverageRelation))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    coverage: Mapped[Coverage] = relationship()
    event: Mapped[Event] = relationship()
