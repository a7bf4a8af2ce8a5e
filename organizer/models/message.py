from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from organizer.extensions import Model
from organizer.timeutil import utcnow

if TYPE_CHECKING:  # annotations only: SQLAlchemy resolves relationships by class name when mapping
    from organizer.models.event import Event
    from organizer.models.user import User


class Segment(enum.StrEnum):
    """Who a message goes to. The first four are an event's people, the last a campaign's."""

    GOING = "going"
    WAITLISTED = "waitlisted"
    ATTENDED = "attended"  # checked in, after the event
    NO_SHOW = "no_show"  # going, not checked in, after the event
    CONSENTED = "consented"  # anyone in the campaign who ticked "the organizers may contact me"


class Message(Model):
    """A message an organizer sent to a segment: the log entry, and what the worker renders for each
    recipient (the outbox rows point here, one per recipient, unique per message and address)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sender_email: Mapped[str] = mapped_column(String(254))  # kept if the account is deleted
    segments: Mapped[str] = mapped_column(String(100))  # comma-separated Segment values
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown, as typed
    recipient_count: Mapped[int]
    # From the confirmation form: a second submit of the same form finds this message instead of sending again.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    sender: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()

    @property
    def segment_list(self) -> list[Segment]:
        return [Segment(value) for value in self.segments.split(",") if value in Segment.__members__.values()]
