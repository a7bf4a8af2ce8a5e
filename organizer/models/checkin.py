from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from organizer.extensions import Model
from organizer.models._types import enum_column
from organizer.timeutil import utcnow


class CheckInAction(enum.StrEnum):
    CHECK_IN = "check_in"
    UNDO = "undo"


class CheckIn(Model):
    """Append-only log of check-ins and undos.

    ``sequence`` numbers the entries of one RSVP; the unique index on (rsvp, sequence) means
    two phones acting on the same state at once cannot both write: the second's insert does
    nothing (ON CONFLICT DO NOTHING in services/door/checkins.py) and it re-reads. The idempotency key makes a
    retried tap a no-op.
    """

    __table_args__ = (
        UniqueConstraint("rsvp_id", "sequence"),
        Index("ix_check_in_event_created", "event_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    rsvp_id: Mapped[int] = mapped_column(ForeignKey("rsvp.id", ondelete="CASCADE"))
    sequence: Mapped[int]
    action: Mapped[CheckInAction] = mapped_column(enum_column(CheckInAction))
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    door_link_id: Mapped[int | None] = mapped_column(ForeignKey("door_link.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the volunteer tapped: earlier than created_at for a tap a phone kept while offline
    # (NULL in entries written before taps carried it: then created_at).
    tapped_at: Mapped[datetime | None]
    # A party (1 + guests) may arrive in steps: how many of it this entry checked in (positive) or
    # took back (negative), and how many are in after it. ``action`` says whether anyone of the party
    # is in. NULL in entries written before parties could arrive apart: the whole party, or nobody.
    persons: Mapped[int | None]
    persons_in: Mapped[int | None]


class CrowdCountEntry(Model):
    """Append-only log of crowd-count changes; the count is the sum of deltas."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int]
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    door_link_id: Mapped[int | None] = mapped_column(ForeignKey("door_link.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DoorLink(Model):
    """A revocable link that opens one event's door list, names only, for volunteers without accounts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and self.expires_at > now
