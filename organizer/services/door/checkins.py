"""Check-in at the door: an append-only log, and walk-ins (the crowd counter: crowd.py; figures: counts.py).

Whether an RSVP is checked in is read from its latest CheckIn entry (highest ``sequence``); nothing
is ever updated or deleted. Each new entry takes the next sequence number and the database's unique
index on (rsvp_id, sequence) lets only one of two simultaneous writers succeed: the loser's
``INSERT ... ON CONFLICT DO NOTHING`` writes nothing, it re-reads the log and finds the work already done.
An idempotency key, unique in the table, makes a retried request (a flaky connection, a double tap) a no-op.

Check-in is per RSVP: guests arrive with the person who RSVPed, so "people" figures add the guests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import bindparam, literal, select, union_all

from organizer.database import DIALECTS, dialect_name, insert_for
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
from organizer.services.common.tokens import link_hashes, new_token
from organizer.services.door.counts import changed as figures_changed
from organizer.services.door.log import clean_idempotency_key
from organizer.text import without_bidi_controls
from organizer.timeutil import utcnow

MAX_ATTEMPTS = 5
# How old a tap a phone kept while offline may say it is. An older claim (or a negative one, or
# garbage) is not believed: the tap counts as made when it arrived.
MAX_TAP_AGE = timedelta(hours=12)
NAME_MAX = 120


@dataclass(frozen=True)
class CheckInResult:
    rsvp: Rsvp
    checked_in: bool  # the state after the call
    changed: bool  # False when it was already in that state or the request was a retry
    at: datetime | None = None  # when the current state began
    # True when another phone changed this person after this tap was made (a tap kept offline and
    # sent late): the later change stands and this tap changes nothing (README, "The door without signal").
    overtaken: bool = False
    persons_in: int = 0  # how many of the party are in now
    party: int = 1  # the party's size: 1 + guests
    last_step: int = 0  # how many the next undo would take back
    persons_changed: int = 0  # how many persons this request brought in (negative: took back)
    # A retry of a tap already written (same idempotency key): whether the phone counted the first
    # delivery can't be known (its answer lost, or the page reloaded with figures that hold it).
    retried: bool = False

    def counts_change(self) -> dict[str, int]:
        """What this tap changed in the door's figures (counts.Attendance, by persons): a phone adds
        it to the figures it holds instead of the whole event being recounted after every tap."""
        if not self.persons_changed or self.rsvp.status is not RsvpStatus.GOING:
            return {}
        return {"checked_in" if self.rsvp.source is RsvpSource.ONLINE else "walk_ins": self.persons_changed}


def tap_time(age_ms: object, now: datetime | None = None) -> datetime | None:
    """When a tap was made, from how many milliseconds ago the phone says it was (measured on the
    phone's own clock, so a phone whose clock is wrong still says it right). None when the claim is
    not a whole number from 0 to MAX_TAP_AGE: such a tap counts as made when it arrives."""
    if isinstance(age_ms, str):
        age_ms = age_ms.strip()
        if not (age_ms.isascii() and age_ms.isdigit() and len(age_ms) <= 12):
            return None
        age_ms = int(age_ms)
    if not isinstance(age_ms, int) or isinstance(age_ms, bool) or age_ms < 0:
        return None
    age = timedelta(milliseconds=age_ms)
    if age > MAX_TAP_AGE:
        return None
    return (now or utcnow()) - age


def latest_entry(rsvp: Rsvp) -> CheckIn | None:
    return db.session.scalar(
        select(CheckIn).where(CheckIn.rsvp_id == rsvp.id).order_by(CheckIn.sequence.desc()).limit(1)
    )


def is_checked_in(rsvp: Rsvp) -> bool:
    entry = latest_entry(rsvp)
    return entry is not None and entry.action is CheckInAction.CHECK_IN


def check_in(rsvp: Rsvp, actor_user: User | None = None, door_link: DoorLink | None = None,
             idempotency_key: str | None = None, tapped_at: datetime | None = None,
             persons: int | None = None) -> CheckInResult:
    """Check a going RSVP in: ``persons`` of its party (1 + guests) who arrived now, by default all
    who are not in yet. Checking in a party already all in, or retrying a key, changes nothing.

    ``tapped_at`` (from ``tap_time``) is when the volunteer tapped, for a tap a phone kept offline."""
    if rsvp.status is not RsvpStatus.GOING:
        raise Conflict(_("%(name)s is not on the list of people going.", name=rsvp.name))
    return _record(rsvp, CheckInAction.CHECK_IN, actor_user, door_link, idempotency_key, tapped_at, persons)


def undo(rsvp: Rsvp, actor_user: User | None = None, door_link: DoorLink | None = None,
         idempotency_key: str | None = None, tapped_at: datetime | None = None) -> CheckInResult:
    """Take back the last check-in step (a wrong tap): a party checked in as 2 and 2 is undone 2 at a
    time. Undoing someone not checked in changes nothing."""
    return _record(rsvp, CheckInAction.UNDO, actor_user, door_link, idempotency_key, tapped_at)


def _persons_in(entry, party: int) -> int:
    """How many of the party are in after ``entry`` (entries written before parties could arrive
    apart: all of it, or nobody)."""
    if entry is None:
        return 0
    if entry.persons_in is not None:
        return min(entry.persons_in, party)
    return party if entry.action is CheckInAction.CHECK_IN else 0


def _steps(rsvp_id: int, party: int) -> list[int]:
    """The check-in steps not taken back yet, oldest first (each undo takes back the newest)."""
    steps: list[int] = []
    before = 0
    for entry in db.session.execute(_ALL_ENTRIES, {"rsvp_id": rsvp_id}):
        after = _persons_in(entry, party)
        if after > before:
            steps.append(after - before)
        elif after < before:
            taken = before - after
            while taken > 0 and steps:
                taken -= steps.pop()
        before = after
    return steps


def _last_step(rsvp_id: int, party: int, persons_in: int) -> int:
    """How many the next undo takes back, for a party with ``persons_in`` in now."""
    if not persons_in:
        return 0
    if party == 1:  # one person is in by one step: no need to read the log
        return 1
    steps = _steps(rsvp_id, party)
    return steps[-1] if steps else 0


def _result(rsvp: Rsvp, entry, party: int, changed: bool, overtaken: bool = False, at=None,
            persons_changed: int = 0) -> CheckInResult:
    persons_in = _persons_in(entry, party)
    return CheckInResult(rsvp, persons_in > 0, changed=changed, at=at or _at(entry), overtaken=overtaken,
                         persons_in=persons_in, party=party, last_step=_last_step(rsvp.id, party, persons_in),
                         persons_changed=persons_changed)


def _record(rsvp: Rsvp, action: CheckInAction, actor_user: User | None, door_link: DoorLink | None,
            idempotency_key: str | None, tapped_at: datetime | None = None,
            persons: int | None = None) -> CheckInResult:
    key = clean_idempotency_key(idempotency_key)
    wanted = action is CheckInAction.CHECK_IN
    party = 1 + (rsvp.guests or 0)
    for _attempt in range(MAX_ATTEMPTS):
        earlier, latest = _entry_with_key_and_latest(rsvp.id, key)
        if earlier is not None:
            if earlier.rsvp_id != rsvp.id:
                raise Conflict(_("That request was already used for someone else. Reload the page."))
            return replace(_result(rsvp, latest, party, changed=False), retried=True)
        current = _persons_in(latest, party)
        if (wanted and current >= party) or (not wanted and current == 0):
            return _result(rsvp, latest, party, changed=False)
        if tapped_at is not None and latest is not None and (latest.tapped_at or latest.created_at) > tapped_at \
                and _direction(latest) != (1 if wanted else -1):
            # The conflict rule: the last tap wins. Another phone changed this person the other way
            # after this tap was made (it was kept offline), so that change stands.
            return _result(rsvp, latest, party, changed=False, overtaken=True)
        if wanted:
            step = party - current if persons is None else persons
            if not 1 <= step <= party - current:
                raise ValidationFailed(ngettext("Check in 1 person.", "Check in from 1 to %(num)s people.",
                                                party - current), field="persons")
        else:
            step = -min(_last_step(rsvp.id, party, current) or current, current)
        persons_in = current + step
        now = utcnow()
        # One statement: if another phone wrote this sequence number (or this key) first, the
        # unique index makes it insert nothing (no savepoint to roll back) and we read again.
        created_at = db.session.execute(_append_entry(), {
            "event_id": rsvp.event_id,
            "rsvp_id": rsvp.id,
            "sequence": (latest.sequence if latest is not None else 0) + 1,
            "action": CheckInAction.CHECK_IN if persons_in > 0 else CheckInAction.UNDO,
            "persons": step,
            "persons_in": persons_in,
            "actor_user_id": actor_user.id if actor_user is not None else None,
            "door_link_id": door_link.id if door_link is not None else None,
            "idempotency_key": key,
            "created_at": now,
            "tapped_at": min(tapped_at, now) if tapped_at is not None else now,
        }).scalar()
        if created_at is None:
            continue
        figures_changed(rsvp.event_id)
        return CheckInResult(rsvp, persons_in > 0, changed=True, at=created_at, persons_in=persons_in, party=party,
                             last_step=_last_step(rsvp.id, party, persons_in), persons_changed=step)
    raise Conflict(_("Too many people are changing this entry at once. Try again."))


_ENTRY_COLUMNS = (CheckIn.rsvp_id, CheckIn.sequence, CheckIn.action, CheckIn.created_at, CheckIn.tapped_at,
                  CheckIn.persons, CheckIn.persons_in)
_ALL_ENTRIES = (select(CheckIn.action, CheckIn.persons, CheckIn.persons_in)
                .where(CheckIn.rsvp_id == bindparam("rsvp_id")).order_by(CheckIn.sequence))


def _direction(entry) -> int:
    """+1 when ``entry`` checked persons in, -1 when it took them back."""
    if entry.persons is not None:
        return 1 if entry.persons > 0 else -1
    return 1 if entry.action is CheckInAction.CHECK_IN else -1


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
    with rsvp_id, sequence, action, created_at, tapped_at, persons and persons_in, or None: one query where a
    tap made two."""
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
    return _APPEND_ENTRY[dialect_name(db.session)]


_APPEND_ENTRY = {
    name: insert_for(name)(CheckIn.__table__).on_conflict_do_nothing().returning(CheckIn.__table__.c.created_at)
    for name in DIALECTS
}


def _is_in(entry: CheckIn | None) -> bool:
    return entry is not None and entry.action is CheckInAction.CHECK_IN


def _at(entry: CheckIn | None) -> datetime | None:
    return entry.created_at if entry is not None else None


@dataclass(frozen=True)
class WalkInResult:
    rsvp: Rsvp
    created: bool  # False on a retried request (the same idempotency key)
    check_in: CheckInResult


def walk_in(event: Event, name: str, email: str | None = None, actor_user: User | None = None,
            door_link: DoorLink | None = None, idempotency_key: str | None = None,
            tapped_at: datetime | None = None) -> WalkInResult:
    """Someone without an RSVP arrives: add them as going (source walk-in) and check them in.

    Capacity does not apply: they are already in the room. A walk-in is always a record of its own:
    the door never looks an email up, so typing one tells nothing about who has RSVP'd and changes no
    one's RSVP (a waitlisted or cancelled supporter stays so; organizers see both rows). A door link
    shows names only and takes no email at all; a signed-in member may note one on the new record.
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
    email = None if door_link is not None else (email or "").strip() or None
    normalized = accounts.normalize_email(email) if email else None

    manage_token = new_token()
    rsvp = Rsvp(
        event_id=event.id,
        name=name,
        email=email,
        email_normalized=normalized,
        guests=0,
        consent_contact=False,
        status=RsvpStatus.GOING,
        source=RsvpSource.WALK_IN,
        **link_hashes(manage_token),
    )
    db.session.add(rsvp)
    db.session.flush()
    result = check_in(rsvp, actor_user=actor_user, door_link=door_link, idempotency_key=key, tapped_at=tapped_at)
    return WalkInResult(rsvp, True, result)
