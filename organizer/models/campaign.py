from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from organizer.extensions import Model
from organizer.models._types import enum_column
from organizer.timeutil import utcnow

if TYPE_CHECKING:  # annotations only: SQLAlchemy resolves relationships by class name when mapping
    from organizer.models.user import User


class Role(enum.StrEnum):
    """Campaign roles, from least to most trusted."""

    DOOR = "door"
    COORDINATOR = "coordinator"
    ORGANIZER = "organizer"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class Campaign(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    default_venue_name: Mapped[str] = mapped_column(String(160), default="")
    default_address: Mapped[str] = mapped_column(String(300), default="")
    default_city: Mapped[str] = mapped_column(String(120), default="")
    default_country: Mapped[str] = mapped_column(String(120), default="")
    # No default here: the service fills in the deployment's DEFAULT_TIMEZONE when none is chosen.
    default_timezone: Mapped[str] = mapped_column(String(64))
    # Members who can see supporter data (coordinator and up) must sign in with two factors.
    two_factor_required: Mapped[bool] = mapped_column(default=False)
    # Supporters' details are forgotten this many days after each event ends; None: kept until deleted.
    retention_days: Mapped[int | None] = mapped_column(default=90)
    # Where supporters' replies go: the Reply-To of the campaign's mails (the From stays MAIL_SENDER, the
    # address the deployment may send as). None: replies go to the sender.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Campaign {self.slug}>"


class Membership(Model):
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
