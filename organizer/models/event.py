from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from organizer.extensions import Model
from organizer.models._types import enum_column
from organizer.timeutil import to_local, utcnow

if TYPE_CHECKING:  # annotations only: SQLAlchemy resolves relationships by class name when mapping
    from organizer.models.campaign import Campaign


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"


class EmailPolicy(enum.StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NOT_ASKED = "not_asked"


class Audience(enum.StrEnum):
    """Who sees one of an event's private details (issue 12.1): everyone, the people going, or only the
    people going whom an organizer approved (an event that requires approval)."""

    EVERYONE = "everyone"
    GOING = "going"
    APPROVED = "approved"


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    YES_NO = "yes_no"
    CHOICE = "choice"


class Event(Model):
    __table_args__ = (Index("ix_event_listing", "status", "visibility", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The language the title and description are written in ("": the default locale's), and the same
    # texts in a second language if the organizers wrote them: the public page shows a visitor's own
    # language first and offers the other; emails use the supporter's (issue 11.7).
    language: Mapped[str] = mapped_column(String(16), default="", server_default="")
    second_language: Mapped[str] = mapped_column(String(16), default="", server_default="")
    second_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    second_description: Mapped[str] = mapped_column(Text, default="", server_default="")
    starts_at: Mapped[datetime]  # naive UTC
    ends_at: Mapped[datetime]  # naive UTC
    timezone: Mapped[str] = mapped_column(String(64))
    venue_name: Mapped[str] = mapped_column(String(160), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(120), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    # Who sees the venue and street address, the online link and the notes for attendees; everyone
    # else sees the area only (the city, or "online"). See services/events/details.py.
    address_audience: Mapped[Audience] = mapped_column(
        enum_column(Audience, "address_audience"), default=Audience.EVERYONE, server_default=Audience.EVERYONE.value
    )
    online_audience: Mapped[Audience] = mapped_column(
        enum_column(Audience, "online_audience"), default=Audience.GOING, server_default=Audience.GOING.value
    )
    attendee_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes_audience: Mapped[Audience] = mapped_column(
        enum_column(Audience, "notes_audience"), default=Audience.GOING, server_default=Audience.GOING.value
    )
    # RSVPs wait for an organizer's approval (pending) before they take a place (issue 12.2).
    requires_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    capacity: Mapped[int | None]
    rsvp_deadline: Mapped[datetime | None]  # naive UTC
    status: Mapped[EventStatus] = mapped_column(enum_column(EventStatus), default=EventStatus.DRAFT)
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility), default=Visibility.PUBLIC)
    email_policy: Mapped[EmailPolicy] = mapped_column(
        enum_column(EmailPolicy), default=EmailPolicy.OPTIONAL
    )
    ask_phone: Mapped[bool] = mapped_column(default=False)
    max_guests: Mapped[int] = mapped_column(default=0)
    # Reminder the day before and follow-up after (services/messaging/): hours before the start and after
    # the end, None when the organizers turned it off. ``reminder_sent_for`` is the start a reminder was
    # sent for (a moved event is due again); the ``*_sent_at`` markers are claimed with a compare-and-set
    # UPDATE in the same transaction as the outbox rows, so two workers never send one twice.
    reminder_hours: Mapped[int | None] = mapped_column(default=24, server_default="24")
    reminder_sent_for: Mapped[datetime | None]
    followup_hours: Mapped[int | None] = mapped_column(default=3, server_default="3")
    followup_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    followup_sent_at: Mapped[datetime | None]
    # The report sent to the people who came, after a follow-up that had none (one click, once).
    report_sent_at: Mapped[datetime | None]
    report_sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[Campaign] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Question.position"
    )

    def has_second_version(self) -> bool:
        return bool(self.second_language and self.second_title)

    def in_second_language(self, language: str) -> bool:
        """Whether a reader of ``language`` ("ar", "en") gets the second version first."""
        return self.has_second_version() and language == self.second_language and language != self.language

    def title_in(self, language: str) -> str:
        return self.second_title if self.in_second_language(language) else self.title

    def description_in(self, language: str) -> str:
        if self.in_second_language(language) and self.second_description:
            return self.second_description
        return self.description

    @property
    def local_start(self) -> datetime:
        return to_local(self.starts_at, self.timezone)

    @property
    def local_end(self) -> datetime:
        return to_local(self.ends_at, self.timezone)

    @property
    def is_published(self) -> bool:
        return self.status is EventStatus.PUBLISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status is EventStatus.CANCELLED

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= utcnow()

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Question(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    # One choice per line, for QuestionKind.CHOICE.
    choices: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship(back_populates="questions")

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]
