"""RSVPs: taking, changing, cancelling and deleting them, under the rules of capacity and the waitlist.

Remaining places come from the rows (going RSVPs plus their guests; a new RSVP reads them from the
tally the database keeps of them: capacity.py). Every change that can take or free a place runs with
the event row locked (``lock_event``), so two supporters pressing the button at once are placed one
after the other and the event is never oversold. The lock and the count are in capacity.py, promotion
in waitlist.py, the input rules in validation.py.

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

Addresses that already have an RSVP
-----------------------------------
Typing someone's address into the form must not tell whether they are coming (issue 16). So an RSVP
with an address that already has one is taken exactly like any other: stored as an RSVP of its own,
taking the places a new one would, with the same answer, the same SQL statements and the same work
in the request. Only the email differs, and only its recipient reads it: it says the address already
had an RSVP, which is unchanged and whose link still works, gives the new RSVP's own link (to cancel it
if it wasn't them) and a signed "new link" address for the earlier one (links.new_link_token: pressing
its button issues a new private link, and only then does the old one stop working). Mail from the form
to one address about one event is limited per window (services/mail/limits.py): later RSVPs get the
same answer and send nothing, and at most one email of a window says "you already had an RSVP".

Addresses are matched by ``text.address_key`` (NFKC, lower case), so a fullwidth spelling is the same
address. A promotion never issues a new link: the supporter keeps the one they hold (waitlist.py).

The same form sent twice
------------------------
A form sent again after its answer was lost (same key from static/js/rsvp.js) gets the first answer
and stores nothing: sent_again.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from organizer.extensions import db
from organizer.models import (
    AccessKind,
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
from organizer.services.common.tokens import hash_token, link_hashes, new_token
from organizer.services.mail import limits as mail_limits
from organizer.services.privacy import access_log

# capacity as a module: the concurrency tests replace its lock (and hold read_under_lock) to show the race.
from organizer.services.rsvp import capacity, notify, sent_again
from organizer.services.rsvp.capacity import RsvpSummary, fits, queue_position, relock
from organizer.services.rsvp.opening import ClosedReason, RsvpsClosed, check_open, closed_message, closed_reason
from organizer.services.rsvp.sent_again import RsvpReceipt
from organizer.services.rsvp.validation import clean_answers, clean_email, clean_guests, clean_name, clean_phone
from organizer.services.rsvp.waitlist import promote_locked
from organizer.text import fold_for_search
from organizer.timeutil import utcnow

# The statements an RSVP runs are built once, with bound parameters: SQLAlchemy caches their SQL, but
# building the statement objects themselves cost more CPU per RSVP than running them.
_PUBLIC_EVENT = select(Event).options(joinedload(Event.questions)).where(Event.slug == bindparam("slug"))


def public_event_for_rsvp(slug: str) -> Event | None:
    """The published (or cancelled, or past) event an RSVP is posted to, with the questions its form is
    built from, in one query; None for a draft or no such event. Its campaign is loaded only if the
    form comes back with errors (the event page needs it then)."""
    event = db.session.scalars(_PUBLIC_EVENT, {"slug": slug}).unique().one_or_none()
    if event is None or event.status is EventStatus.DRAFT:
        return None
    return event


def _earlier_rsvp_id(event_id: int, address_key: str) -> int | None:
    """The oldest RSVP of this event with this address that isn't cancelled or declined, if any."""
    return db.session.scalar(_EARLIER_RSVP, {"event_id": event_id, "address_key": address_key})


_EARLIER_RSVP = (
    select(Rsvp.id)
    .where(Rsvp.event_id == bindparam("event_id"), Rsvp.email_normalized == bindparam("address_key"),
           # Two comparisons, not NOT IN: a list is an "expanding" parameter, rewritten at every execution.
           Rsvp.status != RsvpStatus.CANCELLED, Rsvp.status != RsvpStatus.DECLINED)
    .order_by(Rsvp.id)
    .limit(1)
)


@dataclass(frozen=True)
class UnderLock:
    """What a new RSVP is decided on, read once the event lock is held."""

    counts: RsvpSummary  # the places taken (capacity.from_tally)
    sent_before_id: int | None  # the live RSVP this form's key already made (sent_again)
    earlier_id: int | None  # the oldest live RSVP of the event with this address (_EARLIER_RSVP)


# Every other RSVP to the event waits while the lock is held, until the COMMIT: the three reads go in
# one statement (one round trip and one pass through SQLAlchemy instead of three). A statement of its
# own after the lock, so that it sees whatever the lock's last holder committed.
_UNDER_LOCK = select(capacity.TALLY_GOING, capacity.TALLY_WAITING, sent_again.SENT_BEFORE,
                     _EARLIER_RSVP.scalar_subquery().label("earlier_id"))


def read_under_lock(event: Event, key_hash: str | None, address_key: str | None) -> UnderLock:
    row = db.session.execute(_UNDER_LOCK, {"event_id": event.id, "key_hash": key_hash,
                                           "address_key": address_key}).one()
    return UnderLock(capacity.from_tally(event, row.going_people, row.waitlisted_rsvps), row.sent_before_id,
                     row.earlier_id)


_INSERT_RSVP = insert(Rsvp.__table__).returning(Rsvp.__table__.c.id)  # on the table: no ORM bulk path per RSVP

def create_rsvp(event: Event, *, name: str, email: str | None = None, phone: str | None = None,
                guests: int = 0, consent: bool = False, answers: dict | None = None,
                now: datetime | None = None, locale: str = "", added_by: User | None = None,
                referral_code_id: int | None = None, submission_key: str | None = None) -> RsvpReceipt:
    """Take an RSVP: going if the party fits in the places left, otherwise at the end of the waitlist.

    Runs under the event lock; the caller commits. The email (confirmation, waitlisted, or "this
    address already had an RSVP") is written to the outbox in the same transaction; the worker renders
    it, and sends nothing when the address's quota for this event was used up (mail/limits.py).

    ``locale`` is the one the supporter is reading the page in (by default the current one): kept
    with the RSVP, every email to them is written in it.

    ``submission_key``, the key the form's script sent, makes the same form sent again get the first
    answer instead of a second RSVP (see "The same form sent twice" above).

    A new RSVP is written with plain INSERTs (the RSVP, its answers, its email), not ORM objects: the
    unit of work's flushes were a fifth of an RSVP's CPU, and nothing here needs the object afterwards.
    """
    opened = _check_open_by_hand if added_by is not None else check_open
    try:
        opened(event, now)
    except RsvpsClosed as closed:
        again = sent_again.answered_before_closing(event, closed, submission_key, name, email, now)
        if again is None:
            raise
        return again
    key = sent_again.clean_key(submission_key)
    name = clean_name(name)
    if added_by is not None and not (email or "").strip():
        email, email_normalized = None, None  # by phone or at the desk: an address only if they gave one
    else:
        email, email_normalized = clean_email(event, email)
    phone = clean_phone(event, phone)
    guests = clean_guests(event, guests)
    cleaned_answers = clean_answers(event, answers) if added_by is None else {}
    # Everything that doesn't depend on the places left is made before the lock: every other RSVP to
    # this event waits while it is held (the token and its two hashes alone were ~0.1 ms).
    locale_code = (locale or str(get_locale() or ""))[:16]
    key_hash = hash_token(key) if key is not None else None
    values = dict(event_id=event.id, name=name, search_name=fold_for_search(name), email=email,
                  email_normalized=email_normalized, phone=phone, guests=guests, consent_contact=bool(consent),
                  source=RsvpSource.ONLINE, locale=locale_code,
                  added_by_id=added_by.id if added_by is not None else None,
                  referral_code_id=referral_code_id, submission_key_hash=key_hash)
    if key is None:
        token = new_token()
        values.update(link_hashes(token))
    party = 1 + guests

    capacity.lock_for_new_rsvp(event)
    found = read_under_lock(event, key_hash, email_normalized)
    if key is not None and found.sent_before_id is not None:
        # Under the lock: a first sending still in flight has committed by now, or never will.
        again = sent_again.answer_again_for(event, found.sent_before_id, key, name, email_normalized, now)
        if again is not None:
            return again
    opened(event, now)  # the organizer may have cancelled while we waited for the lock
    counts = found.counts
    if counts.waitlisted_rsvps and counts.places_left:
        promote_locked(event)  # heal the invariant if places were freed without a promotion
        counts = capacity.places_taken(event)

    moment = utcnow()  # under the lock: arrival order is the waitlist's order
    if event.requires_approval and added_by is None:
        # Asked, not taken: a request waits for an organizer (approval.py) and takes no place until then.
        status = RsvpStatus.PENDING
    else:
        status = RsvpStatus.GOING if fits(party, counts) else RsvpStatus.WAITLISTED
        if event.requires_approval:
            values["approved_at"] = moment  # an organizer adding someone by hand approves them
    values.update(status=status, created_at=moment, status_changed_at=moment)
    if key is not None:
        token = sent_again.token_for(key, moment)
        values.update(link_hashes(token))
    earlier_id, send = found.earlier_id, False
    if email_normalized is not None:
        # Run for every RSVP with an address, known or not, over its quota or not: the same statements.
        send = mail_limits.take(f"event:{event.id}", email_normalized, notice=earlier_id is not None)
    try:
        rsvp_id = db.session.execute(_INSERT_RSVP, values).scalar_one()
    except IntegrityError as error:
        # One key sent to two events at once (each under its own lock): only a forged client does that.
        if key is not None and "submission_key_hash" in str(error.orig):
            raise ValidationFailed(str(sent_again.NOT_MATCHED)) from error
        raise
    if cleaned_answers:
        db.session.execute(insert(Answer.__table__), [{"rsvp_id": rsvp_id, "question_id": question_id, "value": value}
                                            for question_id, value in cleaned_answers.items()])
    position = queue_position(event.id, rsvp_id, moment) if status is RsvpStatus.WAITLISTED else None
    if email:
        notify.rsvp_received(notify.NewRsvp(rsvp_id, event, name, email, guests, status, locale_code),
                             token, position, earlier_id=earlier_id, send=send)
    return RsvpReceipt(status, position, None if email else token, bool(email))


def add_by_hand(actor: User, event: Event, *, name: str, email: str | None = None, phone: str | None = None,
                guests: int = 0, now: datetime | None = None, submission_key: str | None = None) -> RsvpReceipt:
    """An organizer adds someone who RSVPed another way (by phone, at the desk). The same rule as an
    RSVP from the public page, in the same transaction shape and under the same event lock: going if
    the party fits in the places left, otherwise the end of the waitlist. After the RSVP deadline too
    (the organizer decides), but not to a draft, a cancelled or an ended event. An email address is
    optional whatever the event asks; given, it gets the confirmation and private link as usual.

    The same form sent again (``submission_key``) gets its first answer, as on the public page, and
    that before the address check, which would find the RSVP the form made the first time."""
    permissions.require(actor, event.campaign, Action.MANAGE_RSVPS)
    _check_open_by_hand(event, now)
    key = sent_again.clean_key(submission_key)
    name = clean_name(name)
    normalized = clean_email(event, email)[1] if (email or "").strip() else None
    if key is not None:
        again = sent_again.answer_again(event, key, name, normalized, now)
        if again is not None:
            return again
    if normalized is not None:
        # Organizers see the list anyway: say so, where the public form must not.
        earlier_id = _earlier_rsvp_id(event.id, normalized)
        existing = db.session.get(Rsvp, earlier_id) if earlier_id is not None else None
        if existing is not None and key is not None and existing.submission_key_hash == hash_token(key):
            # The first sending committed since the look-up above.
            again = sent_again.answer_again(event, key, name, normalized, now)
            if again is not None:
                return again
        if existing is not None:
            raise ValidationFailed(_("%(name)s already has an RSVP with this address: find them in the list.",
                                     name=existing.name), field="email")
    return create_rsvp(event, name=name, email=email, phone=phone, guests=guests, consent=False, now=now,
                       added_by=actor, submission_key=key)


def _check_open_by_hand(event: Event, now: datetime | None = None) -> None:
    reason = closed_reason(event, now)
    if reason is not None and reason is not ClosedReason.DEADLINE:
        raise RsvpsClosed(reason, closed_message(event, reason))


def answers_by_question(rsvp: Rsvp) -> dict[int, str]:
    return {answer.question_id: answer.value for answer in rsvp.answers}


def can_change(rsvp: Rsvp, now: datetime | None = None) -> bool:
    """Whether its supporter may still change guests and answers (what ``update_rsvp`` allows)."""
    return (rsvp.status not in (RsvpStatus.CANCELLED, RsvpStatus.DECLINED)
            and closed_reason(rsvp.event, now) is None)


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
    if rsvp.status is RsvpStatus.DECLINED:
        raise Conflict(_("This RSVP can't be changed any more."))
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
    rsvp.submission_key_hash = None  # the same form may now RSVP again
    db.session.flush()
    promote_locked(event)
    return rsvp


def delete_rsvp(rsvp: Rsvp) -> None:
    """Erase the RSVP and its answers entirely (the supporter's right to be forgotten)."""
    event, rsvp = relock(rsvp)
    db.session.delete(rsvp)
    db.session.flush()
    promote_locked(event)


def delete_own_rsvp(rsvp: Rsvp) -> None:
    """The supporter deletes their own RSVP from their private link. The access log says that one
    was deleted, at which event, and nothing about who."""
    event = rsvp.event
    delete_rsvp(rsvp)
    access_log.record_access(event.campaign_id, AccessKind.SUPPORTER_DELETED, event=event)


def rsvp_of_event(event: Event, rsvp_id: int) -> Rsvp:
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.event_id != event.id:
        raise NotFound(_("No such RSVP."))
    return rsvp


def remove_rsvp(actor: User, rsvp: Rsvp) -> None:
    """An organizer removes an RSVP (spam, a duplicate under another name...): the row is deleted."""
    permissions.require(actor, rsvp.event.campaign, Action.MANAGE_RSVPS)
    delete_rsvp(rsvp)
