from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from organizer.extensions import Model
from organizer.timeutil import utcnow


class ReferralCode(Model):
    """A channel a campaign shares its links through ("mosque-newsletter", "paper-sale"). An RSVP that
    came through a link with ``?r=<code>`` records the code: where it came from, never who shared it."""

    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
