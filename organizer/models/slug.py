from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from organizer.extensions import Model
from organizer.timeutil import utcnow


class SlugRedirect(Model):
    """An address an event or campaign had before its slug was edited: links already shared keep
    working (a permanent redirect to the current address)."""

    __table_args__ = (UniqueConstraint("kind", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "event" or "campaign"
    slug: Mapped[str] = mapped_column(String(100))
    target_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
