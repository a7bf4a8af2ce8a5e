"""RSVPs: taking, changing, cancelling and deleting them, under the rules of capacity and the waitlist.

Remaining places are always counted from rows (going RSVPs plus their guests), never kept in a counter.
Every change that can take or free a place runs with the event row locked (``lock_event``), so two
supporters pressing the button at once are placed one after the other and the event is never oversold.
The lock and the count are in capacity.py, promotion in waitlist.py, the input rules in validation.py.

The waitlist rule ("first fit in arrival order")
-------------------------------------------------
Waitlisted RSVPs are looked at oldest first (``created_at``, then ``id``). Each party that fits in the
places left is promoted and its places are taken; a party too big for what is left keeps its place at
the head of the queue and *waits*, while a smaller party behind it that does fit is promoted. So a
place is never left empty while someone who fits is waiting, and the order among the parties that fit
is always their arrival order. The price: a big party can be overtaken by smaller ones for as long as
places free up one at a time; organizers see that in their RSVP list and can promote it by hand
(which may take the event over capacity: it is their explicit decision).

The invariant after every change made here: no waitlisted party fits in the places left. That is why
a new RSVP that fits goes straight in even when the waitlist is not empty — everyone waiting is bigger
than what is left.

Duplicates
----------
One RSVP per normalized email per event (unique index). A second RSVP with an address that already
has one gets exactly the response a first one would get (``RsvpReceipt`` never carries the link when
an email was given), and that address is emailed instead: no "already registered" oracle.

Manage tokens are only stored hashed, so the link can't be sent again as it was. The email says the
earlier link still works and carries a signed "new link" address (``new_link_token``): opening it and
pressing the button issues a new private link, and only then does the old one stop working. So
whoever types someone else's address into the form changes nothing for them: their saved link and
their ticket keep working. (A promotion, in contrast, issues the new link itself, so the promotion
email holds a working one.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from organizer.database import is_sqlite
from organizer.extensions import db
from organizer.models import (
    Answer,
    Event,
    EventStatus,
    Rsvp,
    RsvpSource,
    RsvpStatus,
    User,
)
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict, NotFound, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.common.tokens import hash_token, new_token, ticket_token_for

# capacity as a module: the concurrency tests replace its lock and count to show the race without them.
from organizer.services.rsvp import capacity, notify
from organizer.services.rsvp.capacity import fits, queue_position, relock, waitlist_length
from organizer.services.rsvp.links import new_link_token
from organizer.services.rsvp.opening import ClosedReason, RsvpsClosed, check_open, closed_message, closed_reason
from organizer.services.rsvp.validation import clean_answers, clean_email, clean_guests, clean_name, clean_phone
from organizer.services.rsvp.waitlist import promote_locked
from organizer.text import fold_for_search
from organizer.timeutil import utcnow


def public_event_for_rsvp(slug: str) -> Event | None:
    """The published (or cancelled, or past) event an RSVP is posted to, with the questions its form is
    built from, in one query; None for a draft or no such event. Its campaign is loaded only if the
    form comes back with errors (the event page needs it then)."""
    event = db.session.scalars(
        select(Event).options(joinedload(Event.questions)).where(Event.slug == slug)
    ).unique().one_or_none()
    if event is None or event.status is EventStatus.DRAFT:
        return None
    return event


@dataclass(frozen=True)
class RsvpReceipt:
    """What the person who submitted may be told.

    When an email address was given, ``manage_token`` is None whether or not the address already had
    an RSVP: the link goes to that inbox only, so the response can't reveal who is registered.
    """

    status: RsvpStatus
    waitlist_position: int | None = None
    manage_token: str | None = None
    emailed: bool = False


def _rsvp_with_email(event: Event, email_normalized: str | None) -> Rsvp | None:
    if email_normalized is None:
        return None
    return db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.email_normalized == email_normalized)
    )


def _neutral_duplicate(event: Event, existing: Rsvp, would_be: RsvpStatus) -> RsvpReceipt:
    """The address already has an RSVP: answer exactly as for a new one (the status a new RSVP would
    get), change nothing, and email the owner of the address the way to a new private link."""
    notify.link_again(existing, new_link_token(existing))
    db.session.flush()
    position = waitlist_length(event) + 1 if would_be is RsvpStatus.WAITLISTED else None
    return RsvpReceipt(would_be, position, None, True)


@lru_cache(maxsize=2)  # exact: a statement built from the schema, no data in it
def _insert_unless_address_taken(dialect_name: str):
    """INSERT ... ON CONFLICT (event, address) DO NOTHING RETURNING id, built once per dialect: on the
    table, not the mapped class, so neither the ORM's bulk-insert path nor a new cache key runs per RSVP."""
    dialect_insert = sqlite_insert if dialect_name == "sqlite" else postgresql_insert
    table = Rsvp.__table__
    return (dialect_insert(table)
            .on_conflict_do_nothing(index_elements=[table.c.event_id, table.c.email_normalized])
            .returning(table.c.id))


def _insert_new_rsvp(values: dict) -> int | None:
    """The new RSVP's id, or None when the address already has an RSVP for this event. One statement
    where a duplicate check, a savepoint, the insert and its release were four; the conflict also
    covers a row written without the event lock (a walk-in added at the door with the same address at
    this very moment)."""
    statement = _insert_unless_address_taken("sqlite" if is_sqlite(db.session) else "postgresql")
    return db.session.execute(statement, values).scalar()


def create_rsvp(event: Event, *, name: str, email: str | None = None, phone: str | None = None,
                guests: int = 0, consent: bool = False, answers: dict | None = None,
                now: datetime | None = None) -> RsvpReceipt:
    """Take an RSVP: going if the party fits in the places left, otherwise at the end of the waitlist.

    Runs under the event lock; the caller commits. Emails (confirmation, waitlisted, or the link again
    for an address that already has an RSVP) are written to the outbox in the same transaction.

    A new RSVP is written with plain INSERTs (the RSVP, its answers, its email), not ORM objects: the
    unit of work's flushes were a fifth of an RSVP's CPU, and nothing here needs the object afterwards.
    """
    check_open(event, now)
    name = clean_name(name)
    email, email_normalized = clean_email(event, email)
    phone = clean_phone(event, phone)
    guests = clean_guests(event, guests)
    cleaned_answers = clean_answers(event, answers)

    capacity.lock_for_new_rsvp(event)
    check_open(event, now)  # the organizer may have cancelled while we waited for the lock
    counts = capacity.summary(event)
    if counts.waitlisted_rsvps and counts.places_left:
        promote_locked(event)  # heal the invariant if places were freed without a promotion
        counts = capacity.summary(event)

    party = 1 + guests
    status = RsvpStatus.GOING if fits(party, counts) else RsvpStatus.WAITLISTED
    moment = utcnow()
    token = new_token()
    values = dict(event_id=event.id, name=name, search_name=fold_for_search(name), email=email,
                  email_normalized=email_normalized, phone=phone, guests=guests, consent_contact=bool(consent),
                  status=status, source=RsvpSource.ONLINE, manage_token_hash=hash_token(token),
                  ticket_token_hash=hash_token(ticket_token_for(token)), created_at=moment,
                  status_changed_at=moment)
    rsvp_id = _insert_new_rsvp(values)
    if rsvp_id is None:
        existing = _rsvp_with_email(event, email_normalized)
        if existing is None:
            raise Conflict(_("Something changed while we saved your RSVP. Try again."))
        if existing.status is not RsvpStatus.CANCELLED:
            return _neutral_duplicate(event, existing, status)
        # They cancelled earlier and are coming back: the old row becomes a new arrival.
        rsvp_id = existing.id
        db.session.execute(delete(Answer).where(Answer.rsvp_id == rsvp_id))
        db.session.execute(
            update(Rsvp).where(Rsvp.id == rsvp_id)
            .values(**{key: value for key, value in values.items()
                       if key not in {"event_id", "email_normalized", "source"}})
        )
        db.session.expire(existing)
    if cleaned_answers:
        db.session.execute(insert(Answer.__table__), [{"rsvp_id": rsvp_id, "question_id": question_id, "value": value}
                                            for question_id, value in cleaned_answers.items()])
    position = queue_position(event.id, rsvp_id, moment) if status is RsvpStatus.WAITLISTED else None
    if email:
        notify.rsvp_received(notify.NewRsvp(rsvp_id, event, name, email, guests, status), token, position)
    return RsvpReceipt(status, position, None if email else token, bool(email))


def answers_by_question(rsvp: Rsvp) -> dict[int, str]:
    return {answer.question_id: answer.value for answer in rsvp.answers}


def can_change(rsvp: Rsvp, now: datetime | None = None) -> bool:
    """Whether its supporter may still change guests and answers (what ``update_rsvp`` allows)."""
    return rsvp.status is not RsvpStatus.CANCELLED and closed_reason(rsvp.event, now) is None


def has_ticket(rsvp: Rsvp) -> bool:
    """A ticket (the QR code the door scans) exists only for someone going to an event that is on."""
    return rsvp.status is RsvpStatus.GOING and not rsvp.event.is_cancelled


def update_rsvp(rsvp: Rsvp, *, guests: int | None = None, answers: dict | None = None,
                now: datetime | None = None) -> Rsvp:
    """Change the number of guests and the answers.

    A going party may grow only into free places (otherwise the change is refused and nothing is
    saved); a party that shrinks frees places, which are offered to the waitlist at once.
    """
    event = rsvp.event
    if rsvp.status is RsvpStatus.CANCELLED:
        raise Conflict(_("This RSVP is cancelled. RSVP again from the event page."))
    check_open(event, now)
    new_guests = clean_guests(event, rsvp.guests if guests is None else guests)
    cleaned_answers = clean_answers(event, answers) if answers is not None else None

    event, rsvp = relock(rsvp)
    if rsvp.status is RsvpStatus.CANCELLED:
        raise Conflict(_("This RSVP is cancelled. RSVP again from the event page."))
    growth = new_guests - rsvp.guests
    if rsvp.status is RsvpStatus.GOING and growth > 0:
        counts = capacity.summary(event)
        if counts.capacity is not None and growth > counts.capacity - counts.going_people:
            left = max(counts.capacity - counts.going_people, 0)
            most = rsvp.guests + left
            if left == 0:
                first = _("No more places are left.")
            else:
                first = ngettext("Only %(num)s more place is left.", "Only %(num)s more places are left.", left)
            if most == 0:
                second = _("You can't bring guests now.")
            else:
                second = ngettext("You can bring at most %(num)s guest now.",
                                  "You can bring at most %(num)s guests now.", most)
            raise ValidationFailed(" ".join((first, second)), field="guests")
    rsvp.guests = new_guests
    if cleaned_answers is not None:
        db.session.execute(delete(Answer).where(Answer.rsvp_id == rsvp.id))
        db.session.expire(rsvp, ["answers"])
        for question_id, value in cleaned_answers.items():
            db.session.add(Answer(rsvp_id=rsvp.id, question_id=question_id, value=value))
    db.session.flush()
    if growth < 0 or rsvp.status is RsvpStatus.WAITLISTED:
        promote_locked(event)
    db.session.refresh(rsvp)
    return rsvp


def cancel_rsvp(rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """The supporter can't come: their places go to the waitlist in the same transaction."""
    event = rsvp.event
    if event.ends_at <= (now or utcnow()):
        raise RsvpsClosed(ClosedReason.ENDED, closed_message(event, ClosedReason.ENDED))
    event, rsvp = relock(rsvp)
    if rsvp.status is RsvpStatus.CANCELLED:
        return rsvp
    rsvp.status = RsvpStatus.CANCELLED
    rsvp.status_changed_at = utcnow()
    db.session.flush()
    promote_locked(event)
    return rsvp


def delete_rsvp(rsvp: Rsvp) -> None:
    """Erase the RSVP and its answers entirely (the supporter's right to be forgotten)."""
    event, rsvp = relock(rsvp)
    db.session.delete(rsvp)
    db.session.flush()
    promote_locked(event)


def rsvp_of_event(event: Event, rsvp_id: int) -> Rsvp:
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id:
        raise NotFound(_("No such RSVP."))
    return rsvp


def remove_rsvp(actor: User, rsvp: Rsvp) -> None:
    """An organizer removes an RSVP (spam, a duplicate under another name...): the row is deleted."""
    permissions.require(actor, rsvp.event.campaign, Action.MANAGE_RSVPS)
    delete_rsvp(rsvp)
