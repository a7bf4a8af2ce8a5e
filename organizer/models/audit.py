from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from organizer.extensions import Model
from organizer.timeutil import utcnow

if TYPE_CHECKING:  # annotations only: SQLAlchemy resolves relationships by class name when mapping
    from organizer.models.event import Event
    from organizer.models.message import Message
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


class AccessKind(enum.StrEnum):
    """Everything that shows or moves supporters' data, or changes who can."""

    EXPORT = "export"
    MESSAGE = "message"
    LIST_VIEW = "list_view"
    DOOR_LINK_MADE = "door_link_made"
    DOOR_LINK_REVOKED = "door_link_revoked"
    ROLE_CHANGED = "role_changed"
    MEMBER_JOINED = "member_joined"
    MEMBER_REMOVED = "member_removed"
    INVITATION_SENT = "invitation_sent"
    INVITATION_WITHDRAWN = "invitation_withdrawn"
    RETENTION_RUN = "retention_run"
    SUPPORTER_DELETED = "supporter_deleted"


class AccessEntry(Model):
    """One line of a campaign's access log. Never changed or deleted by the app, retention included.

    Labels are copied in when the entry is written, so a deleted account or event still reads as
    who and what it was. Supporters never appear by name or address.
    """

    __table_args__ = (Index("ix_access_entry_campaign_created", "campaign_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")  # the member's email when written
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"))
    event_label: Mapped[str] = mapped_column(String(200), default="")
    export_id: Mapped[int | None] = mapped_column(ForeignKey("export_record.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(254), default="")  # a member, an invited address, a link's label
    detail: Mapped[str] = mapped_column(String(300), default="")
    count: Mapped[int | None]
    # Set only for entries written at most once (a list view: per person, event and day); unique, so
    # two requests at once still write one row.
    once_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()
    event: Mapped[Event | None] = relationship()
    export: Mapped[ExportRecord | None] = relationship()
    message: Mapped[Message | None] = relationship()
