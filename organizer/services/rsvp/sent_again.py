"""The same RSVP form sent twice: answered as the first time, never stored twice.

A node can die after an RSVP is committed and before its answer leaves; the supporter presses again
and reaches another node. The form's script sends a key with each filled-in form (static/js/rsvp.js:
the same key for the same form within 15 minutes), kept hashed with the RSVP while it is live. The same
key again gets the first answer (its status now, its place in the queue, for an RSVP without an email
its private link) and nothing is stored or emailed. Without the script, a page made for one person
carries a key of its own (organizer/pagecache.py), which the browser sends again with that page.
rsvps.create_rsvp looks the key up under the event lock, after a first sending still in flight has
committed or not at all; a unique index holds if anything else goes wrong (one key sent to two events
at once). The organizers' "add an RSVP by hand" form carries a key too: rsvps.add_by_hand looks it up
first, before its "already on the list" check.

A key is only ever its browser's own, so the answer tells nobody anything they didn't send; it is
answered only with the name and address it came with, and for ``REPEAT_WINDOW`` after its RSVP was
taken. Cancelling, declining or forgetting the RSVP clears its key, so the same form may RSVP again.

The private link of an RSVP sent with a key is a keyed hash of the key and the moment the RSVP was
taken (links.token_for_submission): the same link can be given again, and a key used again after its
RSVP was cancelled gets a link of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Executable, bindparam, select

from organizer.extensions import db
from organizer.models import Event, Rsvp, RsvpStatus
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.tokens import hash_token
from organizer.services.common.validation import clean_client_key
from organizer.services.rsvp import links
from organizer.services.rsvp.capacity import queue_position
from organizer.services.rsvp.opening import ClosedReason, RsvpsClosed
from organizer.services.rsvp.validation import clean_email, clean_name
from organizer.timeutil import utcnow

# 128 random bits in base64url: the key stands for the RSVP's private link when its answer is lost.
KEY_MIN_LENGTH = 22
# How long a form may be sent again and get its first answer. The page's script makes a new key after
# 15 minutes; a key older than this is not one it would send.
REPEAT_WINDOW = timedelta(minutes=30)
NOT_MATCHED = _l("That request could not be matched. Reload the page and try again.")

_FIRST_ANSWER = select(
    Rsvp.id, Rsvp.event_id, Rsvp.name, Rsvp.email, Rsvp.email_normalized, Rsvp.status, Rsvp.created_at,
    Rsvp.manage_token_hash,
)
_BY_KEY = _FIRST_ANSWER.where(Rsvp.submission_key_hash == bindparam("key_hash"))
_BY_ID = _FIRST_ANSWER.where(Rsvp.id == bindparam("rsvp_id"))
# The live RSVP a key made, if any: for a caller that reads it with more under the event lock
# (rsvps.read_under_lock) and then calls ``answer_again_for``.
SENT_BEFORE = (select(Rsvp.id).where(Rsvp.submission_key_hash == bindparam("key_hash"))
               .scalar_subquery().label("sent_before_id"))


@dataclass(frozen=True)
class RsvpReceipt:
    """What the person who submitted may be told.

    When an email address was given, ``manage_token`` is None whether or not the address already had
    an RSVP: the link goes to that inbox only, so the response can't reveal who is registered. It is
    None without an email only for a form sent again whose link can't be made again (``emailed`` False).
    """

    status: RsvpStatus
    waitlist_position: int | None = None
    manage_token: str | None = None
    emailed: bool = False


def clean_key(submission_key: str | None) -> str | None:
    return clean_client_key(submission_key, min_length=KEY_MIN_LENGTH, field=None)


def _sending(submission_key: str, moment: datetime) -> str:
    """One sending of a form: its key and the moment its RSVP was taken."""
    return f"{submission_key}@{moment.strftime('%Y%m%d%H%M%S%f')}"


def token_for(submission_key: str, moment: datetime) -> str:
    """The private link's token of the RSVP taken at ``moment`` from the form with this key."""
    return links.token_for_submission(_sending(submission_key, moment))


def answer_again(event: Event, submission_key: str, name: str, email_normalized: str | None,
                 now: datetime | None) -> RsvpReceipt | None:
    """The first answer to a form sent again (same key), or None when this key has no live RSVP."""
    return _first_answer(event, _BY_KEY, {"key_hash": hash_token(submission_key)}, submission_key, name,
                         email_normalized, now)


def answer_again_for(event: Event, rsvp_id: int, submission_key: str, name: str, email_normalized: str | None,
                     now: datetime | None) -> RsvpReceipt | None:
    """``answer_again`` for the RSVP ``SENT_BEFORE`` found with this key."""
    return _first_answer(event, _BY_ID, {"rsvp_id": rsvp_id}, submission_key, name, email_normalized, now)


def _first_answer(event: Event, lookup: Executable, params: dict[str, Any], submission_key: str, name: str,
                  email_normalized: str | None, now: datetime | None) -> RsvpReceipt | None:
    earlier = db.session.execute(lookup, params).one_or_none()
    if earlier is None:
        return None
    if (earlier.event_id != event.id or earlier.name != name or earlier.email_normalized != email_normalized
            or earlier.created_at < (now or utcnow()) - REPEAT_WINDOW):
        # The script makes a new key whenever the form says something else, and after 15 minutes. Only a
        # forged or broken client gets here, or a browser without it sending a page it kept from history
        # with other words or after the window; the form comes back with a fresh key.
        raise ValidationFailed(str(NOT_MATCHED))
    position = (queue_position(event.id, earlier.id, earlier.created_at)
                if earlier.status is RsvpStatus.WAITLISTED else None)
    token = None
    if earlier.email is None:
        token = links.stored_token_for_submission(_sending(submission_key, earlier.created_at),
                                                  earlier.manage_token_hash)
    return RsvpReceipt(earlier.status, position, token, earlier.email is not None)


def answered_before_closing(event: Event, closed: RsvpsClosed, submission_key: str | None, name: str,
                            email: str | None, now: datetime | None) -> RsvpReceipt | None:
    """A form sent again after RSVPs closed at their deadline still gets its first answer (it was lost,
    not late). Anything else sent to a closed event hears that it is closed, whatever else is wrong."""
    if closed.reason is not ClosedReason.DEADLINE or not submission_key:
        return None
    try:
        key = clean_key(submission_key)
        if key is None:
            return None
        return answer_again(event, key, clean_name(name), clean_email(event, email)[1], now)
    except ValidationFailed:
        return None
