"""Who may use the door of an event, decided in one place for the door list, every tap and the QR ticket page.

A signed-in member with the door role or above in the event's campaign (``Action.USE_DOOR``), or someone
holding a door link of that very event. The web layer keeps which door link a browser opened (in its
session) and asks again on every request, so revoking a link works at once; door pages show names only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select

from organizer.extensions import db
from organizer.models import DoorLink, Event, Rsvp, User
from organizer.services.common import permissions
from organizer.services.common.permissions import Action
from organizer.services.common.tokens import hash_token


@dataclass(frozen=True)
class DoorAccess:
    event: Event
    user: User | None  # a signed-in member with the door role or above
    link: DoorLink | None  # or the door link this browser opened

    @property
    def is_member(self) -> bool:
        return self.user is not None


def decide(event: Event, user: User | None, link: DoorLink | None) -> DoorAccess | None:
    """The door policy: the member first (their own name goes into the log), else a link of this
    event (the caller passes only a link that still works). None: not at this door."""
    if user is not None and permissions.can(user, event.campaign, Action.USE_DOOR):
        return DoorAccess(event, user, None)
    if link is not None and link.event_id == event.id:
        return DoorAccess(event, None, link)
    return None


# Built once, with bound parameters (a NULL link_id matches no link): the event and the session's
# door link in one query, where two primary-key lookups were a third of a door search's time.
_EVENT_AND_LINK = (
    select(Event, DoorLink)
    .outerjoin(DoorLink, DoorLink.id == bindparam("link_id"))
    .where(Event.id == bindparam("event_id"))
)


def event_and_link(event_id: int, link_id: int | None) -> tuple[Event, DoorLink | None] | None:
    """The event and the door link with ``link_id`` (active or not), or None when there is no such event."""
    row = db.session.execute(_EVENT_AND_LINK, {"event_id": event_id, "link_id": link_id}).first()
    return None if row is None else (row[0], row[1])


# Built once, with bound parameters: building it per tap cost more CPU than running it.
_EVENT_RSVP_AND_LINK = (
    select(Event, Rsvp, DoorLink)
    .outerjoin(Rsvp, and_(Rsvp.id == bindparam("rsvp_id"), Rsvp.event_id == Event.id))
    .outerjoin(DoorLink, DoorLink.id == bindparam("link_id"))
    .where(Event.id == bindparam("event_id"))
)


def event_rsvp_and_link(event_id: int, rsvp_id: int,
                        link_id: int | None) -> tuple[Event, Rsvp | None, DoorLink | None] | None:
    """What a tap needs in one query (it took three primary-key lookups): the event, the RSVP if it
    belongs to that event, and the door link with ``link_id``; None when there is no such event."""
    row = db.session.execute(_EVENT_RSVP_AND_LINK,
                             {"event_id": event_id, "rsvp_id": rsvp_id, "link_id": link_id}).first()
    return None if row is None else (row[0], row[1], row[2])


def rsvp_by_ticket(token: str) -> Rsvp | None:
    """The RSVP whose QR ticket carries ``token``, or None."""
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(Rsvp).where(Rsvp.ticket_token_hash == hash_token(token)))
