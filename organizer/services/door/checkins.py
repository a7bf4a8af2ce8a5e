"""Check-in at the door: an append-only log, and walk-ins (the crowd counter: crowd.py; figures: counts.py).

Whether an RSVP is checked in is read from its latest CheckIn entry (highest ``sequence``); nothing
is ever updated or deleted. Each new entry takes the next sequence number and the database's unique
index on (rsvp_id, sequence) lets only one of two simultaneous writers succeed: the loser's
``INSERT ... ON CONFLICT DO NOTHING`` writes nothing, it re-reads the log and finds the work already done.
An idempotency key, unique in the table, makes a retried request (a flaky connection, a double tap) a no-op.

Check-in is per RSVP: guests arrive with the person who RSVPed, so "people" figures add the guests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from organizer.database import is_sqlite
from organizer.extensions import db
from organizer.models import (
    CheckIn,
    CheckInAction,
    DoorLink,
    Event,
    Rsvp,
    RsvpSource,
    RsvpStatus,
    User,
)
from organizer.services.accounts import accounts
from organizer.services.common.errors import Conflict, ValidationFailed
from organizer.services.common.tokens import hash_token, new_token, ticket_token_for
from organizer.services.door.counts import count_tap, forget_attendance
from organizer.services.door.log import clean_idempotency_key
from organizer.text import without_bidi_controls
from organizer.timeutil import utcnow

MAX_ATTEMPTS = 5
NAME_MAX = 120


@dataclass(frozen=True)
class CheckInResult:
    rsvp: Rsvp
    checked_in: bool  # the state after the call
    changed: bool  # False when it was already in that state or the request was a retry
    at: datetime | None = None  # when the current state began


def latest_entry(rsvp: Rsvp) -> CheckIn | None:
    return db.session.scalar(
        select(CheckIn).where(CheckIn.rsvp_id == rsvp.id).order_by(CheckIn.sequence.desc()).limit(1)
    )


def is_checked_in(rsvp: Rsvp) -> bool:
    entry = latest_entry(rsvp)
    return entry is not None and entry.action is CheckInAction.CHECK_IN


def check_in(rsvp: Rsvp, actor_user: User | None = None, door_link: DoorLink | None = None,
             idempotency_key: str | None = None) -> CheckInResult:
    """Check a going RSVP in. Checking in someone already in, or retrying a key, changes nothing."""
    if rsvp.status is not RsvpStatus.GOING:
        raise Conflict(_("%(name)s is not on the list of people going.", name=rsvp.name))
    return _record(rsvp, CheckInAction.CHECK_IN, actor_user, door_link, idempotency_key)


def undo(rsvp: Rsvp, actor_user: User | None = None, door_link: DoorLink | None = None,
         idempotency_key: str | None = None) -> CheckInResult:
    """Take back a check-in (a wrong tap). Undoing someone not checked in changes nothing."""
    return _record(rsvp, CheckInAction.UNDO, actor_user, door_link, idempotency_key)


def _record(rsvp: Rsvp, action: CheckInAction, actor_user: User | None, door_link: DoorLink | None,
            idempotency_key: str | None) -> CheckInResult:
    key = clean_idempotency_key(idempotency_key)
    wanted = action is CheckInAction.CHECK_IN
    for _attempt in range(MAX_ATTEMPTS):
        earlier, latest = _entry_with_key_and_latest(rsvp.id, key)
        if earlier is not None:
            if earlier.rsvp_id != rsvp.id:
                raise Conflict(_("That request was already used for someone else. Reload the page."))
            return CheckInResult(rsvp, _is_in(latest), changed=False, at=_at(latest))
        if _is_in(latest) == wanted:
            return CheckInResult(rsvp, wanted, changed=False, at=_at(latest))
        # One statement: if another phone wrote this sequence number (or this key) first, the
        # unique index makes it insert nothing (no savepoint to roll back) and we read again.
        created_at = db.session.execute(_append_entry(), {
            "event_id": rsvp.event_id,
            "rsvp_id": rsvp.id,
            "sequence": (latest.sequence if latest is not None else 0) + 1,
            "action": action,
            "actor_user_id": actor_user.id if actor_user is not None else None,
            "door_link_id": door_link.id if door_link is not None else None,
            "idempotency_key": key,
            "created_at": utcnow(),
        }).scalar()
        if created_at is None:
            continue
        count_tap(rsvp, wanted)
        return CheckInResult(rsvp, wanted, changed=True, at=created_at)
    raise Conflict(_("Too many people are changing this entry at once. Try again."))


_ENTRY_COLUMNS = (CheckIn.rsvp_id, CheckIn.sequence, CheckIn.action, CheckIn.created_at)


# Built once, with bound parameters: building this union per tap cost more CPU than running it.
_LATEST_ENTRY = (select(*_ENTRY_COLUMNS, literal(False).label("by_key"))
                 .where(CheckIn.rsvp_id == bindparam("rsvp_id"))
                 .order_by(CheckIn.sequence.desc()).limit(1))


_ENTRY_WITH_KEY_AND_LATEST = union_all(
    select(*_ENTRY_COLUMNS, literal(True).label("by_key")).where(CheckIn.idempotency_key == bindparam("key")),
    select(_LATEST_ENTRY.subquery()),
)


def _entry_with_key_and_latest(rsvp_id: int, key: str | None):
    """(the entry already written with this idempotency key, the RSVP's latest entry), each a row
    with rsvp_id, sequence, action and created_at, or None: one query where a tap made two."""
    if key is None:
        return None, db.session.execute(_LATEST_ENTRY, {"rsvp_id": rsvp_id}).first()
    earlier = newest = None
    for row in db.session.execute(_ENTRY_WITH_KEY_AND_LATEST, {"rsvp_id": rsvp_id, "key": key}):
        if row.by_key:
            earlier = row
        else:
            newest = row
    return earlier, newest


def _append_entry():
    """INSERT ... ON CONFLICT DO NOTHING RETURNING created_at into the log, built once per dialect
    (on the table: the ORM's bulk-insert path and a statement built per tap cost more than the insert)."""
    return _APPEND_ENTRY["sqlite" if is_sqlite(db.session) else "postgresql"]


_APPEND_ENTRY = {
    name: dialect_insert(CheckIn.__table__).on_conflict_do_nothing().returning(CheckIn.__table__.c.created_at)
    for name, dialect_insert in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))
}


def _is_in(entry: CheckIn | None) -> bool:
    return entry is not None and entry.action is CheckInAction.CHECK_IN


def _at(entry: CheckIn | None) -> datetime | None:
    return entry.created_at if entry is not None else None


@dataclass(frozen=True)
class WalkInResult:
    rsvp: Rsvp
    created: bool  # False when the email was already on the list, or on a retried request
    check_in: CheckInResult


def walk_in(event: Event, name: str, email: str | None = None, actor_user: User | None = None,
            door_link: DoorLink | None = None, idempotency_key: str | None = None) -> WalkInResult:
    """Someone without an RSVP arrives: add them as going (source walk-in) and check them in.

    Capacity does not apply: they are already in the room. If the email already has an RSVP for
    this event, that RSVP is marked going and checked in instead of writing a second one.
    """
    key = clean_idempotency_key(idempotency_key)
    if key is not None:
        earlier = db.session.scalar(select(CheckIn).where(CheckIn.idempotency_key == key))
        if earlier is not None:
            rsvp = db.session.get(Rsvp, earlier.rsvp_id)
            if rsvp is None or rsvp.event_id != event.id:
                raise Conflict(_("That request was already used. Reload the page."))
            latest = latest_entry(rsvp)
            return WalkInResult(rsvp, False, CheckInResult(rsvp, _is_in(latest), False, _at(latest)))

    name = " ".join(without_bidi_controls(name or "").split())
    if not name:
        raise ValidationFailed(_("Enter the person's name."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_("Use at most %(n)s characters.", n=NAME_MAX), field="name")
    email = (email or "").strip()
    normalized = accounts.normalize_email(email) if email else None

    rsvp = None
    if normalized is not None:
        rsvp = db.session.scalar(
            select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.email_normalized == normalized)
        )
    created = rsvp is None
    if rsvp is None:
        manage_token = new_token()
        rsvp = Rsvp(
            event_id=event.id,
            name=name,
            email=email or None,
            email_normalized=normalized,
            guests=0,
            consent_contact=False,
            status=RsvpStatus.GOING,
            source=RsvpSource.WALK_IN,
            manage_token_hash=hash_token(manage_token),
            ticket_token_hash=hash_token(ticket_token_for(manage_token)),
        )
        try:
            with db.session.begin_nested():
                db.session.add(rsvp)
        except IntegrityError:
            # The same email was added at this moment from another phone.
            rsvp = db.session.scalar(
                select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.email_normalized == normalized)
            )
            if rsvp is None:
                raise
            created = False
    if rsvp.status is not RsvpStatus.GOING:
        rsvp.status = RsvpStatus.GOING
        rsvp.status_changed_at = utcnow()
        db.session.flush()
        forget_attendance(event.id)  # one more person going: count again
    result = check_in(rsvp, actor_user=actor_user, door_link=door_link, idempotency_key=key)
    return WalkInResult(rsvp, created, result)
