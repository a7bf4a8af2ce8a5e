"""Check-in at the door: an append-only log, walk-ins, the crowd counter and attendance figures.

Whether an RSVP is checked in is read from its latest CheckIn entry (highest ``sequence``); nothing
is ever updated or deleted. Each new entry takes the next sequence number and the database's unique
index on (rsvp_id, sequence) lets only one of two simultaneous writers succeed: the loser's
``INSERT ... ON CONFLICT DO NOTHING`` writes nothing, it re-reads the log and finds the work already done. An idempotency key, unique in the
table, makes a retried request (a flaky connection, a double tap) a no-op.

Check-in is per RSVP: guests arrive with the person who RSVPed, so "people" figures add the guests.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from organizer.database import is_sqlite
from organizer.extensions import db
from organizer.models import (
    CheckIn,
    CheckInAction,
    CrowdCountEntry,
    DoorLink,
    Event,
    Rsvp,
    RsvpSource,
    RsvpStatus,
    User,
)
from organizer.services import accounts
from organizer.services.errors import Conflict, ValidationFailed
from organizer.services.text import fold_for_search, without_bidi_controls
from organizer.services.tokens import hash_token, new_token, ticket_token_for
from organizer.timeutil import utcnow

MAX_ATTEMPTS = 5
CROWD_MAX = 1_000_000
NAME_MAX = 120
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


# --- the log ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInResult:
    rsvp: Rsvp
    checked_in: bool  # the state after the call
    changed: bool  # False when it was already in that state or the request was a retry
    at: datetime | None = None  # when the current state began


def clean_idempotency_key(key: str | None) -> str | None:
    """A client-made key (letters, digits, '-' and '_'); anything else is refused, never stored."""
    if key is None or key == "":
        return None
    if not _KEY_PATTERN.match(key):
        raise ValidationFailed(_("That request could not be matched. Reload the page and try again."),
                               field="idempotency_key")
    return key


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
        _count_tap(rsvp, wanted)
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


def current_entries(event_ids):
    """A subquery: the latest log entry of every RSVP of these events that has one.

    ``event_ids`` is a list of ids or a SELECT of them (e.g. a campaign's events)."""
    latest = (
        select(CheckIn.rsvp_id, func.max(CheckIn.sequence).label("sequence"))
        .where(CheckIn.event_id.in_(event_ids))
        .group_by(CheckIn.rsvp_id)
        .subquery()
    )
    return (
        select(CheckIn.rsvp_id, CheckIn.event_id, CheckIn.action, CheckIn.created_at)
        .join(latest, and_(CheckIn.rsvp_id == latest.c.rsvp_id, CheckIn.sequence == latest.c.sequence))
        # Same filter outside: without it PostgreSQL reads every check-in of every event to join.
        .where(CheckIn.event_id.in_(event_ids))
        .subquery("current_check_in")
    )


def checked_in_expression(current):
    """1 when the row of ``current`` (outer-joined) says checked in, else 0."""
    return case((current.c.action == CheckInAction.CHECK_IN, 1), else_=0)


# --- walk-ins -----------------------------------------------------------------------------------


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
        _forget_attendance(event.id)  # one more person going: count again
    result = check_in(rsvp, actor_user=actor_user, door_link=door_link, idempotency_key=key)
    return WalkInResult(rsvp, created, result)


# --- crowd counter ------------------------------------------------------------------------------


def crowd_count(event: Event) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(CrowdCountEntry.delta), 0)).where(CrowdCountEntry.event_id == event.id)
    )
    return int(total or 0)


@dataclass(frozen=True)
class CrowdResult:
    count: int
    changed: bool


def add(event: Event, delta: int, actor_user: User | None = None, door_link: DoorLink | None = None,
        idempotency_key: str | None = None) -> CrowdResult:
    """Add to (or, with a negative delta, take from) the crowd count; it never goes below zero."""
    if not isinstance(delta, int) or abs(delta) > CROWD_MAX:
        raise ValidationFailed(_("Enter a whole number."), field="delta")
    return _change_crowd(event, lambda current: max(current + delta, 0) - current,
                         actor_user, door_link, idempotency_key)


def set_to(event: Event, count: int, actor_user: User | None = None, door_link: DoorLink | None = None,
           idempotency_key: str | None = None) -> CrowdResult:
    """Set the crowd count to a number someone counted; recorded as the difference."""
    if not isinstance(count, int) or count < 0 or count > CROWD_MAX:
        raise ValidationFailed(_("Enter a number from 0 to %(max)s.", max=format_number(CROWD_MAX)), field="count")
    return _change_crowd(event, lambda current: count - current, actor_user, door_link, idempotency_key)


def _change_crowd(event: Event, delta_for, actor_user, door_link, idempotency_key) -> CrowdResult:
    key = clean_idempotency_key(idempotency_key)
    from organizer.services.rsvps import lock_event  # the one event lock, shared with RSVPs

    lock_event(event.id)  # serializes crowd changes of this event: read, then write the delta
    if key is not None:
        earlier = db.session.scalar(select(CrowdCountEntry).where(CrowdCountEntry.idempotency_key == key))
        if earlier is not None:
            if earlier.event_id != event.id:
                raise Conflict(_("That request was already used. Reload the page."))
            return CrowdResult(crowd_count(event), changed=False)
    current = crowd_count(event)
    delta = delta_for(current)
    if delta == 0:
        return CrowdResult(current, changed=False)
    _count_crowd(event.id, delta)
    db.session.add(CrowdCountEntry(
        event_id=event.id,
        delta=delta,
        actor_user_id=actor_user.id if actor_user is not None else None,
        door_link_id=door_link.id if door_link is not None else None,
        idempotency_key=key,
    ))
    db.session.flush()
    return CrowdResult(current + delta, changed=True)


# --- figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    """Who came. "Going" and "checked in" count people who RSVPed online; walk-ins are apart."""

    going_rsvps: int = 0
    going_people: int = 0  # going online RSVPs plus their guests
    checked_in_rsvps: int = 0  # of those, checked in now
    checked_in_people: int = 0
    walk_ins: int = 0  # walk-ins checked in (one person each)
    crowd: int = 0  # the crowd counter, kept apart from named check-ins

    @property
    def named_people(self) -> int:
        """Everyone checked in by name: RSVPs with their guests, plus walk-ins."""
        return self.checked_in_people + self.walk_ins

    @property
    def turnout_rate(self) -> float | None:
        """Share of the people who said they were going who were checked in (None if nobody said so)."""
        if self.going_people == 0:
            return None
        return self.checked_in_people / self.going_people


def attendances(events: list[Event]) -> dict[int, Attendance]:
    """Attendance for many events in two queries."""
    if not events:
        return {}
    ids = [event.id for event in events]
    current = current_entries(ids)
    checked = checked_in_expression(current)
    people = 1 + Rsvp.guests
    online = Rsvp.source == RsvpSource.ONLINE
    rows = db.session.execute(
        select(
            Rsvp.event_id,
            func.sum(case((online, 1), else_=0)),
            func.sum(case((online, people), else_=0)),
            func.sum(case((online, checked), else_=0)),
            func.sum(case((online, checked * people), else_=0)),
            func.sum(case((online, 0), else_=checked * people)),
        )
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id.in_(ids), Rsvp.status == RsvpStatus.GOING)
        .group_by(Rsvp.event_id)
    ).all()
    crowds = dict(
        db.session.execute(
            select(CrowdCountEntry.event_id, func.sum(CrowdCountEntry.delta))
            .where(CrowdCountEntry.event_id.in_(ids))
            .group_by(CrowdCountEntry.event_id)
        ).all()
    )
    by_event = {row[0]: [int(value or 0) for value in row[1:]] for row in rows}
    return {
        event_id: Attendance(*by_event.get(event_id, [0] * 5), crowd=int(crowds.get(event_id) or 0))
        for event_id in ids
    }


_recent: dict[int, tuple[float, Attendance]] = {}


def attendance(event: Event, max_age: float = 0) -> Attendance:
    """One event's attendance. With ``max_age`` (seconds), figures this process computed at most that
    long ago are reused: the door list and the answer to every tap show them, and counting 10,000
    RSVPs on each was most of their cost (bench/README.md). This process's own check-ins, undos,
    walk-ins and crowd changes are applied to them as they happen; other processes' show within
    ``max_age``, as do RSVPs taken or cancelled meanwhile."""
    if max_age > 0:
        recent = _recent.get(event.id)
        if recent is not None and recent[0] > time.monotonic():
            return recent[1]
    figures = attendances([event])[event.id]
    if max_age > 0:
        if len(_recent) > 1000:
            _recent.clear()
        _recent[event.id] = (time.monotonic() + max_age, figures)
    return figures


def _forget_attendance(event_id: int) -> None:
    _recent.pop(event_id, None)


def _count_tap(rsvp: Rsvp, checked_in: bool) -> None:
    """Apply this process's own check-in or undo to its recent figures (no recount on every tap)."""
    recent = _recent.get(rsvp.event_id)
    if recent is None:
        return
    if rsvp.status is not RsvpStatus.GOING:  # not counted by attendances() either way
        return
    sign = 1 if checked_in else -1
    people = 1 + (rsvp.guests or 0)
    figures = recent[1]
    if rsvp.source is RsvpSource.WALK_IN:
        figures = replace(figures, walk_ins=figures.walk_ins + sign * people)
    else:
        figures = replace(figures, checked_in_rsvps=figures.checked_in_rsvps + sign,
                          checked_in_people=figures.checked_in_people + sign * people)
    _recent[rsvp.event_id] = (recent[0], figures)


def _count_crowd(event_id: int, delta: int) -> None:
    recent = _recent.get(event_id)
    if recent is not None:
        _recent[event_id] = (recent[0], replace(recent[1], crowd=recent[1].crowd + delta))


# --- the door list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoorRow:
    rsvp_id: int
    name: str
    guests: int
    walk_in: bool
    checked_in: bool
    checked_in_at: datetime | None
    search_key: str


search_key = fold_for_search  # case- and accent-insensitive form of a name, as static/js/door.js folds it


@dataclass(frozen=True)
class DoorPage:
    """The first ``len(rows)`` rows of the door list (or of a search), and how many there are in all."""
    rows: list[DoorRow]
    total: int

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


def _door_statement(event: Event, query: str):
    current = current_entries([event.id])
    stmt = (
        select(Rsvp.id, Rsvp.name, Rsvp.guests, Rsvp.source, current.c.action, current.c.created_at,
               Rsvp.search_name)
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.GOING)
    )
    needle = search_key(query or "")
    if needle:
        # Filtered in SQL on the stored folded name: a search in 10,000 RSVPs reads only the matches.
        stmt = stmt.where(Rsvp.search_name.contains(needle, autoescape=True))
    return stmt


def _door_row(rsvp_id, name, guests, source, action, at, stored_key) -> DoorRow:
    key = stored_key or search_key(name)
    checked = action is CheckInAction.CHECK_IN or action == CheckInAction.CHECK_IN.value
    return DoorRow(rsvp_id, name, guests, source is RsvpSource.WALK_IN, checked,
                   at if checked else None, key)


def door_rows(event: Event, query: str = "") -> list[DoorRow]:
    """Going RSVPs (walk-ins included) sorted by name, with their check-in state; names only."""
    result = [_door_row(*row) for row in db.session.execute(_door_statement(event, query))]
    result.sort(key=lambda row: (row.search_key, row.rsvp_id))
    return result


def door_page(event: Event, query: str = "", limit: int = 100) -> DoorPage:
    """The first ``limit`` rows of ``door_rows(event, query)`` and how many there are, in one query.

    A phone at the door of a 10,000-person event gets a page of names, not 15 MB of HTML: the
    sorting and counting happen in the database, and only the rows shown have their latest log
    entry looked up. Names sort by code point, as ``door_rows`` does (PostgreSQL is told to use the
    "C" collation; SQLite's default BINARY already does).
    """
    needle = search_key(query or "")
    parameters = {"event_id": event.id, "limit": limit}
    if needle:
        parameters["pattern"] = "%" + re.sub(r"([/%_])", r"/\1", needle) + "%"
    stmt = _door_page_statement(bool(needle), db.session.get_bind().dialect.name == "postgresql")
    rows, total = [], 0
    for *values, total in db.session.execute(stmt, parameters):
        rows.append(_door_row(*values))
    return DoorPage(rows, total)


@lru_cache(maxsize=4)
def _door_page_statement(searching: bool, postgresql: bool):
    """Built once per shape (a statement costs more to build than PostgreSQL takes to run it).

    The latest entry of each row shown is found through the (rsvp_id, sequence) index: reading the
    latest entry of every check-in of the event, as door_rows does, was most of a search's time."""
    conditions = [Rsvp.event_id == bindparam("event_id"), Rsvp.status == RsvpStatus.GOING]
    if searching:
        # Filtered in SQL on the stored folded name: a search in 10,000 RSVPs reads only the matches.
        conditions.append(Rsvp.search_name.like(bindparam("pattern"), escape="/"))
    shown = (
        select(Rsvp.id, Rsvp.name, Rsvp.guests, Rsvp.source, Rsvp.search_name,
               func.count().over().label("total"))
        .where(*conditions)
        .order_by(_by_code_point(Rsvp.search_name, postgresql), Rsvp.id)
        .limit(bindparam("limit"))
        .subquery("shown")
    )

    return (
        select(shown.c.id, shown.c.name, shown.c.guests, shown.c.source, _latest_entry(CheckIn.action, shown.c.id),
               _latest_entry(CheckIn.created_at, shown.c.id), shown.c.search_name, shown.c.total)
        .order_by(_by_code_point(shown.c.search_name, postgresql), shown.c.id)
    )


def current_states(event: Event, rsvp_ids: list[int]) -> dict[int, datetime | None]:
    """For each of these going RSVPs of the event: when they were checked in, or None if they are
    not (now). What a door phone asks about the names on its screen, to show other phones' taps;
    ids of other events, or of people no longer going, are left out."""
    if not rsvp_ids:
        return {}
    states: dict[int, datetime | None] = {}
    for rsvp_id, action, at in db.session.execute(_STATES, {"event_id": event.id, "ids": list(rsvp_ids)}):
        checked = action is CheckInAction.CHECK_IN or action == CheckInAction.CHECK_IN.value
        states[rsvp_id] = at if checked else None
    return states


def _latest_entry(column, rsvp_id):
    return (select(column).where(CheckIn.rsvp_id == rsvp_id)
            .order_by(CheckIn.sequence.desc()).limit(1).scalar_subquery())


_STATES = (
    select(Rsvp.id, _latest_entry(CheckIn.action, Rsvp.id), _latest_entry(CheckIn.created_at, Rsvp.id))
    .where(Rsvp.event_id == bindparam("event_id"), Rsvp.id.in_(bindparam("ids", expanding=True)),
           Rsvp.status == RsvpStatus.GOING)
)


def _by_code_point(column, postgresql: bool):
    return column.collate("C") if postgresql else column
