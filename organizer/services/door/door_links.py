"""Door links: a revocable link that opens one event's door list for a volunteer without an account.

Only the SHA-256 of the token is stored, so the link can be shown once, when it is made. A link
stops working when it is revoked or DOOR_LINK_GRACE_HOURS after the event ends.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import AccessKind, DoorLink, Event, User
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.tokens import hash_token, new_token
from organizer.services.privacy import access_log
from organizer.timeutil import utcnow

LABEL_MAX = 120


def expiry_for(event: Event):
    return event.ends_at + timedelta(hours=current_app.config["DOOR_LINK_GRACE_HOURS"])


def create(event: Event, label: str, actor_user: User | None) -> tuple[DoorLink, str]:
    """A new link for ``event``; returns (link, token). The token is never stored."""
    label = " ".join((label or "").split())
    if len(label) > LABEL_MAX:
        raise ValidationFailed(_("Use at most %(n)s characters.", n=LABEL_MAX), field="label")
    if event.is_cancelled:
        raise ValidationFailed(_("This event is cancelled: there is no door to keep."), field="label")
    expires_at = expiry_for(event)
    if expires_at <= utcnow():
        raise ValidationFailed(_("This event is over: a door link would already have expired."), field="label")
    token = new_token()
    link = DoorLink(
        event_id=event.id,
        label=label,
        token_hash=hash_token(token),
        created_by_id=actor_user.id if actor_user is not None else None,
        expires_at=expires_at,
    )
    db.session.add(link)
    db.session.flush()
    access_log.record_access(event.campaign_id, AccessKind.DOOR_LINK_MADE, actor=actor_user, event=event,
                             subject=label)
    return link, token


def revoke(link: DoorLink, actor_user: User | None = None) -> bool:
    """Stop the link working at once; returns False if it was already revoked."""
    if link.revoked_at is not None:
        return False
    link.revoked_at = utcnow()
    db.session.flush()
    event = db.session.get(Event, link.event_id)
    if event is not None:
        access_log.record_access(event.campaign_id, AccessKind.DOOR_LINK_REVOKED, actor=actor_user, event=event,
                                 subject=link.label)
    return True


def for_event(event: Event) -> list[DoorLink]:
    return list(
        db.session.scalars(
            select(DoorLink).where(DoorLink.event_id == event.id)
            .order_by(DoorLink.created_at.desc(), DoorLink.id.desc())
        )
    )


def find_active(token: str) -> DoorLink | None:
    """The link for this token if it still works; None for unknown, revoked or expired tokens."""
    if not token or len(token) > 128:
        return None
    link = db.session.scalar(select(DoorLink).where(DoorLink.token_hash == hash_token(token)))
    if link is None or not link.is_active():
        return None
    return link


def find_ended(token: str) -> DoorLink | None:
    """The link for this token if it was revoked or has expired (its holder is told so, not 404)."""
    if not token or len(token) > 128:
        return None
    link = db.session.scalar(select(DoorLink).where(DoorLink.token_hash == hash_token(token)))
    if link is None or link.is_active():
        return None
    return link


def is_link_id(link_id: object) -> bool:
    """Whether a value from a session can be a link's id at all (what a session holds is only ever read)."""
    return isinstance(link_id, int) and not isinstance(link_id, bool)


def active_by_id(link_id: object) -> DoorLink | None:
    """The link a session points at, if it still works (revocation takes effect on the next request)."""
    if not is_link_id(link_id):
        return None
    link = db.session.get(DoorLink, link_id)
    if link is None or not link.is_active():
        return None
    return link


def link_of_event(event: Event, link_id: int) -> DoorLink | None:
    """One of the event's door links, or None (no such link, or another event's)."""
    link = db.session.get(DoorLink, link_id)
    if link is None or link.event_id != event.id:
        return None
    return link
