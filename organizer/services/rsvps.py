"""RSVPs: capacity, the waitlist and its automatic promotion.

Remaining places are always counted from rows (going RSVPs plus their guests), never kept in a counter.
Every change that can take or free a place runs with the event row locked (``lock_event``), so two
supporters pressing the button at once are placed one after the other and the event is never oversold.

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

import enum
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from organizer.database import is_sqlite
from organizer.extensions import db
from organizer.models import (
    Answer,
    EmailPolicy,
    Event,
    EventStatus,
    QuestionKind,
    Rsvp,
    RsvpSource,
    RsvpStatus,
    User,
)
from organizer.services import permissions, rsvp_mail
from organizer.services.errors import Conflict, DomainError, NotFound, ValidationFailed
from organizer.services.permissions import Action
from organizer.services.text import fold_for_search, without_bidi_controls
from organizer.services.tokens import hash_token, new_token, ticket_token_for
from organizer.services.validation import is_valid_id
from organizer.timeutil import utcnow

NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
ANSWER_MAX = 500
_PHONE_PATTERN = re.compile(r"^\+?[0-9 ().\-/]{4,40}$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
YES_NO_VALUES = ("yes", "no")


@dataclass(frozen=True)
class RsvpSummary:
    going_people: int = 0  # going RSVPs plus their guests
    going_rsvps: int = 0
    guests: int = 0
    waitlisted_people: int = 0
    waitlisted_rsvps: int = 0
    cancelled_rsvps: int = 0
    capacity: int | None = None

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.going_people, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.going_people >= self.capacity


def summaries(events: list[Event]) -> dict[int, RsvpSummary]:
    """Counts for many events in one query (dashboards, listings).

    Grouped by status, so PostgreSQL only counts and adds (half the time of a CASE per row at
    10,000 RSVPs) and reads ix_rsvp_event_status_created alone, which includes ``guests``."""
    if not events:
        return {}
    rows = db.session.execute(
        select(Rsvp.event_id, Rsvp.status, func.count(), func.sum(Rsvp.guests))
        .where(Rsvp.event_id.in_([event.id for event in events]))
        .group_by(Rsvp.event_id, Rsvp.status)
    ).all()
    by_event: dict[int, dict[RsvpStatus, tuple[int, int]]] = {}
    for event_id, status, rsvp_count, guests in rows:
        by_event.setdefault(event_id, {})[status] = (int(rsvp_count), int(guests or 0))
    result = {}
    for event in events:
        found = by_event.get(event.id, {})
        going, going_guests = found.get(RsvpStatus.GOING, (0, 0))
        waitlisted, waitlisted_guests = found.get(RsvpStatus.WAITLISTED, (0, 0))
        result[event.id] = RsvpSummary(
            going_people=going + going_guests,
            going_rsvps=going,
            guests=going_guests,
            waitlisted_people=waitlisted + waitlisted_guests,
            waitlisted_rsvps=waitlisted,
            cancelled_rsvps=found.get(RsvpStatus.CANCELLED, (0, 0))[0],
            capacity=event.capacity,
        )
    return result


def summary(event: Event) -> RsvpSummary:
    return summaries([event])[event.id]


# --- When RSVPs are open -----------------------------------------------------------------------

class ClosedReason(enum.StrEnum):
    DRAFT = "draft"
    CANCELLED = "cancelled"
    ENDED = "ended"
    DEADLINE = "deadline"


class RsvpsClosed(DomainError):
    """RSVPs can't be taken (or changed) for this event; ``reason`` says why."""

    def __init__(self, reason: ClosedReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def closed_reason(event: Event, now: datetime | None = None) -> ClosedReason | None:
    now = now or utcnow()
    if event.status is EventStatus.DRAFT:
        return ClosedReason.DRAFT
    if event.status is EventStatus.CANCELLED:
        return ClosedReason.CANCELLED
    if event.ends_at <= now:
        return ClosedReason.ENDED
    if event.rsvp_deadline is not None and event.rsvp_deadline <= now:
        return ClosedReason.DEADLINE
    return None


def closed_message(event: Event, reason: ClosedReason) -> str:
    if reason is ClosedReason.DRAFT:
        return _("RSVPs aren't open yet: this event is a draft.")
    if reason is ClosedReason.CANCELLED:
        return _("RSVPs are closed: this event was cancelled.")
    if reason is ClosedReason.ENDED:
        return _("RSVPs are closed: this event is over.")
    from organizer.templating import event_datetime

    return _("RSVPs closed on %(when)s.", when=event_datetime(event.rsvp_deadline, event.timezone))


def check_open(event: Event, now: datetime | None = None) -> None:
    reason = closed_reason(event, now)
    if reason is not None:
        raise RsvpsClosed(reason, closed_message(event, reason))


# --- The lock ----------------------------------------------------------------------------------

def lock_event(event_id: int) -> Event:
    """Lock the event row until the transaction ends and return the event, freshly loaded.

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite has no row locks; pysqlite runs SELECTs outside a
    transaction and opens one at the first write, so a no-op UPDATE takes SQLite's single write lock
    first (other writers wait on busy_timeout), and everything counted afterwards is current.
    """
    if is_sqlite(db.session):
        result = db.session.execute(text("UPDATE event SET id = id WHERE id = :id"), {"id": event_id})
        if result.rowcount == 0:
            raise NotFound(_("No such event."))
        event = db.session.get(Event, event_id, populate_existing=True)
    else:
        event = db.session.scalar(
            select(Event)
            .where(Event.id == event_id)
            .with_for_update(of=Event)
            .execution_options(populate_existing=True)
        )
    if event is None:
        raise NotFound(_("No such event."))
    return event


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


# --- Input -------------------------------------------------------------------------------------

def _clean_name(name: str | None) -> str:
    name = without_bidi_controls(_CONTROL_CHARS.sub(" ", name or "")).strip()
    name = re.sub(r"\s+", " ", name)
    if not name:
        raise ValidationFailed(_("Tell us your name — a first name or nickname is fine."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_("Use at most %(n)s characters.", n=NAME_MAX), field="name")
    return name


def _clean_email(event: Event, email: str | None) -> tuple[str | None, str | None]:
    """(email as typed, normalized) following the event's email policy."""
    if event.email_policy is EmailPolicy.NOT_ASKED:
        return None, None  # never held, even if a client sends one
    email = (email or "").strip()
    if not email:
        if event.email_policy is EmailPolicy.REQUIRED:
            raise ValidationFailed(_("Enter your email address."), field="email")
        return None, None
    if len(email) > EMAIL_MAX:
        raise ValidationFailed(_("That email address is too long."), field="email")
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationFailed(
            _("Enter an email address like name@example.org."), field="email"
        ) from None
    return result.normalized, result.normalized.lower()


def _clean_phone(event: Event, phone: str | None) -> str | None:
    if not event.ask_phone:
        return None
    phone = (phone or "").strip()
    if not phone:
        return None
    if len(phone) > PHONE_MAX or not _PHONE_PATTERN.match(phone):
        raise ValidationFailed(
            _("Enter a phone number using digits, spaces and + ( ) - only."), field="phone"
        )
    return phone


def _clean_guests(event: Event, guests) -> int:
    try:
        guests = int(guests or 0)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a number of guests."), field="guests") from None
    if not 0 <= guests <= event.max_guests:
        if event.max_guests == 0:
            message = _("This event doesn't take guests: RSVP for yourself only.")
        else:
            message = _("You can bring from 0 to %(n)s guests.", n=event.max_guests)
        raise ValidationFailed(message, field="guests")
    return guests


def question_field(question_id: int) -> str:
    """The form field (and error key) of a question."""
    return f"q_{question_id}"


def clean_answers(event: Event, answers: dict | None) -> dict[int, str]:
    """Answers checked against the event's questions; unanswered optional questions are left out."""
    answers = dict(answers or {})
    questions = {question.id: question for question in event.questions}
    keys = {}
    for key, value in answers.items():
        try:
            keys[int(key)] = value
        except (TypeError, ValueError):
            raise ValidationFailed(_("That question doesn't belong to this event."), field="answers") from None
    unknown = set(keys) - set(questions)
    if unknown:
        raise ValidationFailed(_("That question doesn't belong to this event."), field="answers")
    cleaned: dict[int, str] = {}
    for question in event.questions:
        raw = keys.get(question.id)
        # A choice must equal one the organizer wrote, so it is matched as sent; typed text is cleaned.
        value = _CONTROL_CHARS.sub(" ", str(raw if raw is not None else "")).strip()
        if question.kind is not QuestionKind.CHOICE:
            value = without_bidi_controls(value).strip()
        field = question_field(question.id)
        if question.kind is QuestionKind.YES_NO:
            value = value.lower()
            if value and value not in YES_NO_VALUES:
                raise ValidationFailed(_("Answer yes or no."), field=field)
        elif question.kind is QuestionKind.CHOICE:
            if value and value not in question.choice_list:
                raise ValidationFailed(_("Choose one of the options."), field=field)
        elif len(value) > ANSWER_MAX:
            raise ValidationFailed(_("Use at most %(n)s characters.", n=ANSWER_MAX), field=field)
        if not value:
            if question.required:
                raise ValidationFailed(_("Please answer this question."), field=field)
            continue
        cleaned[question.id] = value
    return cleaned


# --- Creating ----------------------------------------------------------------------------------

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


def _issue_tokens(rsvp: Rsvp) -> str:
    token = new_token()
    rsvp.manage_token_hash = hash_token(token)
    rsvp.ticket_token_hash = hash_token(ticket_token_for(token))
    return token


def waitlist_position(rsvp: Rsvp) -> int | None:
    """1 for the first in the queue; None unless waitlisted."""
    if rsvp.status is not RsvpStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        select(func.count(Rsvp.id)).where(
            Rsvp.event_id == rsvp.event_id,
            Rsvp.status == RsvpStatus.WAITLISTED,
            (Rsvp.created_at < rsvp.created_at)
            | ((Rsvp.created_at == rsvp.created_at) & (Rsvp.id < rsvp.id)),
        )
    )
    return int(ahead or 0) + 1


def _waitlist_length(event: Event) -> int:
    return int(
        db.session.scalar(
            select(func.count(Rsvp.id)).where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED)
        )
        or 0
    )


def _fits(party: int, counts: RsvpSummary) -> bool:
    return counts.capacity is None or party <= counts.capacity - counts.going_people


def _rsvp_with_email(event: Event, email_normalized: str | None) -> Rsvp | None:
    if email_normalized is None:
        return None
    return db.session.scalar(
        select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.email_normalized == email_normalized)
    )


def _neutral_duplicate(event: Event, existing: Rsvp, would_be: RsvpStatus) -> RsvpReceipt:
    """The address already has an RSVP: answer exactly as for a new one (the status a new RSVP would
    get), change nothing, and email the owner of the address the way to a new private link."""
    rsvp_mail.link_again(existing, new_link_token(existing))
    db.session.flush()
    position = _waitlist_length(event) + 1 if would_be is RsvpStatus.WAITLISTED else None
    return RsvpReceipt(would_be, position, None, True)


def _lock_for_new_rsvp(event: Event) -> None:
    """``lock_event`` for ``create_rsvp``: the same row lock, but only what can have changed while we
    waited for it (status, end, deadline, capacity) is read back, as plain columns into ``event``.

    The event was loaded moments ago by the request; its questions, email policy and guest limit had
    already checked the input before the lock, as they always did. A full ORM reload with
    ``populate_existing`` cost more CPU than any other statement of an RSVP."""
    columns = (Event.status, Event.ends_at, Event.rsvp_deadline, Event.capacity)
    query = select(*columns).where(Event.id == event.id)
    if is_sqlite(db.session):
        result = db.session.execute(text("UPDATE event SET id = id WHERE id = :id"), {"id": event.id})
        if result.rowcount == 0:
            raise NotFound(_("No such event."))
    else:
        query = query.with_for_update(of=Event)
    row = db.session.execute(query).one_or_none()
    if row is None:
        raise NotFound(_("No such event."))
    for column, value in zip(columns, row, strict=True):
        set_committed_value(event, column.key, value)


@lru_cache(maxsize=2)
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


def _position_of_new(event_id: int, rsvp_id: int, created_at: datetime) -> int:
    ahead = db.session.scalar(
        select(func.count(Rsvp.id)).where(
            Rsvp.event_id == event_id,
            Rsvp.status == RsvpStatus.WAITLISTED,
            (Rsvp.created_at < created_at) | ((Rsvp.created_at == created_at) & (Rsvp.id < rsvp_id)),
        )
    )
    return int(ahead or 0) + 1


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
    name = _clean_name(name)
    email, email_normalized = _clean_email(event, email)
    phone = _clean_phone(event, phone)
    guests = _clean_guests(event, guests)
    cleaned_answers = clean_answers(event, answers)

    _lock_for_new_rsvp(event)
    check_open(event, now)  # the organizer may have cancelled while we waited for the lock
    counts = summary(event)
    if counts.waitlisted_rsvps and counts.places_left:
        _promote_locked(event)  # heal the invariant if places were freed without a promotion
        counts = summary(event)

    party = 1 + guests
    status = RsvpStatus.GOING if _fits(party, counts) else RsvpStatus.WAITLISTED
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
            .values(**{key: value for key, value in values.items() if key not in {"event_id", "email_normalized", "source"}})
        )
        db.session.expire(existing)
    if cleaned_answers:
        db.session.execute(insert(Answer.__table__), [{"rsvp_id": rsvp_id, "question_id": question_id, "value": value}
                                            for question_id, value in cleaned_answers.items()])
    position = _position_of_new(event.id, rsvp_id, moment) if status is RsvpStatus.WAITLISTED else None
    if email:
        rsvp_mail.rsvp_received(rsvp_mail.NewRsvp(rsvp_id, event, name, email, guests, status), token, position)
    return RsvpReceipt(status, position, None if email else token, bool(email))


# --- Finding by link ---------------------------------------------------------------------------

NEW_LINK_MAX_AGE = 30 * 24 * 3600  # seconds a "get a new link" address from an email stays valid
_NEW_LINK_SALT = "rsvp-new-link"


def _new_link_serializer() -> URLSafeTimedSerializer:
    keys = [*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=_NEW_LINK_SALT)


def _link_fingerprint(rsvp: Rsvp) -> str:
    """Changes whenever a new private link is issued, so a "new link" address works once."""
    return hash_token(rsvp.manage_token_hash)[:16]


def new_link_token(rsvp: Rsvp) -> str:
    """A signed value for the "get a new private link" address emailed to the owner of the RSVP's address."""
    return _new_link_serializer().dumps([rsvp.id, _link_fingerprint(rsvp)])


def find_by_new_link_token(signed: str | None, max_age: int = NEW_LINK_MAX_AGE) -> Rsvp | None:
    """The RSVP a "new link" address was made for, while it is unexpired and unused; otherwise None."""
    if not signed or len(signed) > 300:
        return None
    try:
        rsvp_id, fingerprint = _new_link_serializer().loads(signed, max_age=max_age)
    except (BadData, TypeError, ValueError):
        return None
    if not is_valid_id(rsvp_id) or not isinstance(fingerprint, str):
        return None
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or not hmac.compare_digest(_link_fingerprint(rsvp), fingerprint):
        return None
    return rsvp


def issue_new_link(rsvp: Rsvp) -> str:
    """Give the RSVP a new private link (and ticket); the previous ones stop working. Returns the token."""
    token = _issue_tokens(rsvp)
    db.session.flush()
    return token


def find_by_token(token: str | None) -> Rsvp | None:
    """The RSVP whose private manage link carries ``token``, or None."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(
        select(Rsvp)
        .options(selectinload(Rsvp.answers))
        .where(Rsvp.manage_token_hash == hash_token(token))
    )


def answers_by_question(rsvp: Rsvp) -> dict[int, str]:
    return {answer.question_id: answer.value for answer in rsvp.answers}


def can_change(rsvp: Rsvp, now: datetime | None = None) -> bool:
    """Whether its supporter may still change guests and answers (what ``update_rsvp`` allows)."""
    return rsvp.status is not RsvpStatus.CANCELLED and closed_reason(rsvp.event, now) is None


def has_ticket(rsvp: Rsvp) -> bool:
    """A ticket (the QR code the door scans) exists only for someone going to an event that is on."""
    return rsvp.status is RsvpStatus.GOING and not rsvp.event.is_cancelled


# --- Changing, cancelling, deleting ------------------------------------------------------------

def _relock(rsvp: Rsvp) -> tuple[Event, Rsvp]:
    event = lock_event(rsvp.event_id)
    db.session.refresh(rsvp)
    return event, rsvp


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
    new_guests = _clean_guests(event, rsvp.guests if guests is None else guests)
    cleaned_answers = clean_answers(event, answers) if answers is not None else None

    event, rsvp = _relock(rsvp)
    if rsvp.status is RsvpStatus.CANCELLED:
        raise Conflict(_("This RSVP is cancelled. RSVP again from the event page."))
    growth = new_guests - rsvp.guests
    if rsvp.status is RsvpStatus.GOING and growth > 0:
        counts = summary(event)
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
        _promote_locked(event)
    db.session.refresh(rsvp)
    return rsvp


def cancel_rsvp(rsvp: Rsvp, now: datetime | None = None) -> Rsvp:
    """The supporter can't come: their places go to the waitlist in the same transaction."""
    event = rsvp.event
    if event.ends_at <= (now or utcnow()):
        raise RsvpsClosed(ClosedReason.ENDED, closed_message(event, ClosedReason.ENDED))
    event, rsvp = _relock(rsvp)
    if rsvp.status is RsvpStatus.CANCELLED:
        return rsvp
    rsvp.status = RsvpStatus.CANCELLED
    rsvp.status_changed_at = utcnow()
    db.session.flush()
    _promote_locked(event)
    return rsvp


def delete_rsvp(rsvp: Rsvp) -> None:
    """Erase the RSVP and its answers entirely (the supporter's right to be forgotten)."""
    event, rsvp = _relock(rsvp)
    db.session.delete(rsvp)
    db.session.flush()
    _promote_locked(event)


# --- Organizers --------------------------------------------------------------------------------

def rsvp_of_event(event: Event, rsvp_id: int) -> Rsvp:
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id:
        raise NotFound(_("No such RSVP."))
    return rsvp


def remove_rsvp(actor: User, rsvp: Rsvp) -> None:
    """An organizer removes an RSVP (spam, a duplicate under another name...): the row is deleted."""
    permissions.require(actor, rsvp.event.campaign, Action.MANAGE_RSVPS)
    delete_rsvp(rsvp)


def can_promote_by_hand(rsvp: Rsvp) -> bool:
    """Whether an organizer may let this RSVP in from the waitlist (not into a cancelled or finished event)."""
    event = rsvp.event
    return rsvp.status is RsvpStatus.WAITLISTED and not event.is_cancelled and not event.has_ended


def promote_by_hand(actor: User, rsvp: Rsvp) -> int:
    """An organizer lets a waitlisted party in, even beyond capacity. Returns places over capacity (0 if none)."""
    permissions.require(actor, rsvp.event.campaign, Action.MANAGE_RSVPS)
    event, rsvp = _relock(rsvp)
    if event.is_cancelled or event.has_ended:
        raise Conflict(_("This event is cancelled or over: nobody can be promoted any more."))
    if rsvp.status is not RsvpStatus.WAITLISTED:
        raise Conflict(_("Only someone on the waitlist can be promoted."))
    rsvp.status = RsvpStatus.GOING
    rsvp.status_changed_at = utcnow()
    token = _issue_tokens(rsvp)
    db.session.flush()
    if rsvp.email:
        rsvp_mail.promoted(rsvp, token)
    counts = summary(event)
    if counts.capacity is None:
        return 0
    return max(counts.going_people - counts.capacity, 0)


ORGANIZER_PAGE_SIZE = 100


@dataclass
class RsvpListing:
    rsvps: list[Rsvp]
    counts: RsvpSummary
    positions: dict[int, int]  # waitlisted RSVP id -> place in the queue (1 is next)
    answers: dict[int, dict[int, str]] = field(default_factory=dict)  # RSVP id -> question id -> answer
    total: int = 0  # RSVPs matching the filter and search, on every page
    page: int = 1
    per_page: int = ORGANIZER_PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rsvps else 0

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.rsvps) - 1 if self.rsvps else 0

    def over_capacity_if_promoted(self, rsvp: Rsvp) -> int:
        """How many places over capacity promoting ``rsvp`` by hand would take the event (0 if it fits)."""
        if self.counts.capacity is None:
            return 0
        return max(rsvp.party_size - (self.counts.places_left or 0), 0)


def list_for_organizers(event: Event, status: RsvpStatus | None = None, query: str = "", page: int = 1,
                        per_page: int = ORGANIZER_PAGE_SIZE) -> RsvpListing:
    """One page of the people who answered, oldest first (the waitlist in queue order), with their
    answers and each waitlisted person's place in the queue: three queries whatever the event's size.

    ``query`` finds people by name (accents and case don't matter) or email. A page past the last
    one shows the last one."""
    conditions = [Rsvp.event_id == event.id]
    if status is not None:
        conditions.append(Rsvp.status == status)
    needle = fold_for_search(query or "")
    if needle:
        conditions.append(Rsvp.search_name.contains(needle, autoescape=True)
                          | Rsvp.email_normalized.contains(needle, autoescape=True))
    total = int(db.session.scalar(select(func.count(Rsvp.id)).where(*conditions)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    # The queue place is counted over the whole waitlist, whatever the page, filter or search.
    queue = (
        select(Rsvp.id, func.row_number().over(order_by=(Rsvp.created_at, Rsvp.id)).label("place"))
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED)
        .subquery()
    )
    rows = db.session.execute(
        select(Rsvp, queue.c.place)
        .outerjoin(queue, queue.c.id == Rsvp.id)
        .where(*conditions)
        .order_by(Rsvp.created_at, Rsvp.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    listed = [rsvp for rsvp, _place in rows]
    positions = {rsvp.id: place for rsvp, place in rows if place is not None}
    answers: dict[int, dict[int, str]] = {rsvp.id: {} for rsvp in listed}
    if listed:
        for rsvp_id, question_id, value in db.session.execute(
                select(Answer.rsvp_id, Answer.question_id, Answer.value).where(Answer.rsvp_id.in_(list(answers)))):
            answers[rsvp_id][question_id] = value
    return RsvpListing(listed, summary(event), positions, answers, total=total, page=page, per_page=per_page)


# --- Promotion ---------------------------------------------------------------------------------

def promote_waitlisted(event: Event) -> list[Rsvp]:
    """Fill free places from the waitlist (first fit in arrival order, see the module docstring).

    Locks the event itself; call it in the transaction that freed the places (the caller commits).
    Each promoted person with an email gets a new private link in their promotion email.
    """
    locked = lock_event(event.id)
    return _promote_locked(locked)


def _promote_locked(event: Event) -> list[Rsvp]:
    if event.status is not EventStatus.PUBLISHED or event.ends_at <= utcnow():
        return []  # nobody is let into a cancelled, unpublished or finished event
    counts = summary(event)
    if not counts.waitlisted_rsvps:
        return []
    free = None if counts.capacity is None else counts.capacity - counts.going_people
    if free is not None and free <= 0:
        return []
    waiting = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED)
        .order_by(Rsvp.created_at, Rsvp.id)
    ).all()
    promoted: list[Rsvp] = []
    moment = utcnow()
    for rsvp in waiting:
        if free is not None:
            if free <= 0:
                break
            if rsvp.party_size > free:
                continue  # too big for what is left: keeps its place, a smaller later party may fit
            free -= rsvp.party_size
        rsvp.status = RsvpStatus.GOING
        rsvp.status_changed_at = moment
        token = _issue_tokens(rsvp)
        promoted.append(rsvp)
        if rsvp.email:
            rsvp_mail.promoted(rsvp, token)
    db.session.flush()
    return promoted


# --- Telling people about changes --------------------------------------------------------------

def _to_notify(event: Event):
    """Who hears about a change or a cancellation: going or waiting, with an email address."""
    return (
        Rsvp.event_id == event.id,
        Rsvp.status.in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED]),
        Rsvp.email.is_not(None),
        Rsvp.email != "",
    )


def count_to_notify(event: Event) -> int:
    return int(db.session.scalar(select(func.count(Rsvp.id)).where(*_to_notify(event))) or 0)


def notify_event_changed(event: Event, change: str) -> int:
    """Email everyone going or waiting (with an address) that the event was cancelled (``change ==
    "cancelled"``) or moved: ``"time"``, ``"place"`` or ``"time_and_place"``. Returns how many emails were queued."""
    rsvps = db.session.scalars(select(Rsvp).where(*_to_notify(event)).order_by(Rsvp.id)).all()
    for rsvp in rsvps:
        rsvp_mail.event_changed(rsvp, change)
    return len(rsvps)


__all__ = [
    "ClosedReason",
    "RsvpListing",
    "RsvpReceipt",
    "RsvpSummary",
    "RsvpsClosed",
    "answers_by_question",
    "can_change",
    "can_promote_by_hand",
    "cancel_rsvp",
    "check_open",
    "clean_answers",
    "count_to_notify",
    "closed_message",
    "closed_reason",
    "create_rsvp",
    "delete_rsvp",
    "find_by_new_link_token",
    "find_by_token",
    "has_ticket",
    "issue_new_link",
    "list_for_organizers",
    "lock_event",
    "new_link_token",
    "notify_event_changed",
    "promote_by_hand",
    "promote_waitlisted",
    "question_field",
    "remove_rsvp",
    "rsvp_of_event",
    "summaries",
    "summary",
    "update_rsvp",
    "waitlist_position",
]
