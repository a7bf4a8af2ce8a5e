"""The reminder's one-click links ("Yes, I'm coming", "I can't make it", the ticket): a signed value naming
the RSVP, made by the worker when it renders the reminder, so nothing secret is stored for it.

Like a private link it is a capability: whoever holds the mail can answer for the supporter (the access log
redacts it: organizer/accesslog.py). It is bound to the RSVP's current private link, so issuing a new link
(which a supporter does when a link leaked) also ends the reminder's links.
"""

from __future__ import annotations

import hmac

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from organizer.extensions import db
from organizer.models import Rsvp
from organizer.services.common.tokens import hash_token
from organizer.services.common.validation import is_valid_id

MAX_AGE = 30 * 24 * 3600  # a reminder goes out at most a week before; its links outlive the meeting a little
_SALT = "rsvp-reminder"


def _serializer() -> URLSafeTimedSerializer:
    keys = [*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=_SALT)


def _fingerprint(rsvp: Rsvp) -> str:
    return hash_token("reminder:" + rsvp.manage_token_hash)[:16]


def reminder_token(rsvp: Rsvp) -> str:
    return _serializer().dumps([rsvp.id, _fingerprint(rsvp)])


def find_by_reminder_token(signed: str | None, max_age: int = MAX_AGE) -> Rsvp | None:
    """The RSVP a reminder link was made for, while it is unexpired and its private link unchanged; else None."""
    if not signed or len(signed) > 300:
        return None
    try:
        rsvp_id, fingerprint = _serializer().loads(signed, max_age=max_age)
    except (BadData, TypeError, ValueError):
        return None
    if not is_valid_id(rsvp_id) or not isinstance(fingerprint, str):
        return None
    rsvp = db.session.get(Rsvp, rsvp_id)
    if rsvp is None or not hmac.compare_digest(_fingerprint(rsvp), fingerprint):
        return None
    return rsvp
