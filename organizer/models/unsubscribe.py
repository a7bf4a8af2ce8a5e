from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from organizer.extensions import Model
from organizer.timeutil import utcnow


class MailUnsubscribe(Model):
    """One address said "no more campaign mail" to one campaign (services/mail/unsubscribe.py).

    ``address_hash`` is an HMAC (SECRET_KEY) of the campaign and the normalized address, never the
    address: a leaked table says how many people unsubscribed, not who, and the same person's rows in
    two campaigns don't match. The unique constraint makes a second click (or a mail client's
    one-click POST and a human's click) a no-op rather than a second row."""

    __table_args__ = (UniqueConstraint("campaign_id", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    address_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
