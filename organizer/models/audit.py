from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from organizer.extensions import Model
from organizer.timeutil import utcnow

if TYPE_CHECKING:  # annotations only: SQLAlchemy resolves relationships by class name when mapping
    from organizer.models.event import Event
    from organizer.models.user import User


class ExportRecord(Model):
    """Who exported which people, with which filters and columns. Never deleted by the app."""

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    user_email: Mapped[str] = mapped_column(String(254))  # kept if the account is deleted
    scope: Mapped[str] = mapped_column(String(20))  # "event" or "campaign"
    file_format: Mapped[str] = mapped_column(String(10))
    filters: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    columns: Mapped[str] = mapped_column(Text, default="")
    row_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()
