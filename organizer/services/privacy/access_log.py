"""The access log: who saw, moved or deleted supporters' data, and who changed who can.

Every action that shows or moves personal data writes one entry here in the same transaction as the
action itself, so a rolled-back export or a failed invitation leaves no line and a done one always
does. Entries carry labels copied in at the time (the member's email, the event's title), so they
outlive the account, the event and the supporters' data: retention never touches this table. No
supporter's name or address is ever written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from organizer.database import DIALECTS, dialect_name, insert_for
from organizer.extensions import db
from organizer.models import AccessEntry, AccessKind, Campaign, Event, ExportRecord, Message, User
from organizer.timeutil import utcnow

PAGE_SIZE = 50
LABEL_MAX = 254


def _actor_fields(actor: User | None) -> dict:
    if actor is None:
        return {"actor_id": None, "actor_label": ""}
    return {"actor_id": actor.id, "actor_label": (actor.email or "")[:LABEL_MAX]}


def _event_fields(event: Event | None) -> dict:
    if event is None:
        return {"event_id": None, "event_label": ""}
    return {"event_id": event.id, "event_label": (event.title or "")[:200]}


def record_access(campaign: Campaign | int, kind: AccessKind, *, actor: User | None = None,
                  event: Event | None = None, subject: str = "", detail: str = "", count: int | None = None,
                  export: ExportRecord | None = None, message: Message | None = None) -> AccessEntry:
    """Write one entry; the caller's transaction commits it with the action.

    ``subject`` names a team member, an invited address or a door link's label — never a supporter.
    For a message sent to supporters: ``kind=AccessKind.MESSAGE``, ``subject`` its segments (values),
    ``detail`` its subject line, ``count`` the number of recipients, ``message`` the message."""
    entry = AccessEntry(
        campaign_id=campaign if isinstance(campaign, int) else campaign.id,
        kind=AccessKind(kind).value,
        subject=(subject or "")[:LABEL_MAX],
        detail=(detail or "")[:300],
        count=count,
        export_id=export.id if export is not None else None,
        message_id=message.id if message is not None else None,
        created_at=utcnow(),
        **_actor_fields(actor),
        **_event_fields(event),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


_INSERT_ONCE = {
    name: insert_for(name)(AccessEntry.__table__).on_conflict_do_nothing(index_elements=["once_key"])
    .returning(AccessEntry.__table__.c.id)
    for name in DIALECTS
}


def record_list_view(event: Event, actor: User, now: datetime | None = None) -> bool:
    """A look at the event's RSVP list: one entry per person, event and (UTC) day.

    The unique ``once_key`` makes the database keep one row when two tabs load the list at once;
    returns whether this call wrote it."""
    now = now or utcnow()
    values = {
        "campaign_id": event.campaign_id, "kind": AccessKind.LIST_VIEW.value, "subject": "", "detail": "",
        "count": None, "export_id": None, "message_id": None, "created_at": now,
        "once_key": f"list:{event.id}:{actor.id}:{now.date().isoformat()}",
        **_actor_fields(actor), **_event_fields(event),
    }
    # RETURNING, not rowcount: the driver's rowcount for a skipped INSERT … ON CONFLICT varies.
    return db.session.execute(_INSERT_ONCE[dialect_name(db.session)], values).scalar() is not None


@dataclass(frozen=True)
class Person:
    key: str  # the email kept in the entries: still there after the account is deleted
    name: str


@dataclass(frozen=True)
class LogPage:
    entries: list[AccessEntry]
    page: int
    has_older: bool


def kinds() -> list[AccessKind]:
    return list(AccessKind)


def entries(campaign: Campaign, *, kind: str | None = None, person: str | None = None, page: int = 1,
            per_page: int | None = None) -> LogPage:
    """One page of the campaign's log, newest first, filtered by kind and by the member who acted."""
    page = min(max(page, 1), 100_000)
    per_page = per_page or PAGE_SIZE
    query = (
        select(AccessEntry)
        .options(selectinload(AccessEntry.actor), selectinload(AccessEntry.event),
                 selectinload(AccessEntry.export), selectinload(AccessEntry.message))
        .where(AccessEntry.campaign_id == campaign.id)
    )
    if kind:
        query = query.where(AccessEntry.kind == kind)
    if person:
        query = query.where(AccessEntry.actor_label == person)
    rows = list(db.session.scalars(
        query.order_by(AccessEntry.created_at.desc(), AccessEntry.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)
    ))
    return LogPage(entries=rows[:per_page], page=page, has_older=len(rows) > per_page)


def people(campaign: Campaign) -> list[Person]:
    """Every member who appears in the log, for the filter: by their current name while the account
    exists, else by the email kept in the entries."""
    rows = db.session.execute(
        select(AccessEntry.actor_label, func.max(User.name))
        .outerjoin(User, User.id == AccessEntry.actor_id)
        .where(AccessEntry.campaign_id == campaign.id, AccessEntry.actor_label != "")
        .group_by(AccessEntry.actor_label)
    ).all()
    found = [Person(key=label, name=name or label) for label, name in rows]
    return sorted(found, key=lambda person: (person.name.lower(), person.key))
