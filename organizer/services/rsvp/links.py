"""Private links: the manage token (stored hashed) and the ticket derived from it, and the signed
"get a new link" address emailed to the owner of an address that RSVP'd again."""

from __future__ import annotations

import base64
import hmac

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from organizer.extensions import db
from organizer.models import (
    Rsvp,
)
from organizer.services.common.tokens import hash_token, link_hashes, new_token
from organizer.services.common.validation import is_valid_id


def issue_tokens(rsvp: Rsvp) -> str:
    token = new_token()
    hashes = link_hashes(token)
    rsvp.manage_token_hash, rsvp.ticket_token_hash = hashes["manage_token_hash"], hashes["ticket_token_hash"]
    return token


_SUBMISSION_SALT = b"rsvp-submission-link:"


def _secret_keys() -> list[bytes]:
    """SECRET_KEY, then the fallbacks still accepted after it was rotated."""
    config = current_app.config
    keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or [])]
    return [key.encode() if isinstance(key, str) else key for key in keys]


def _keyed_token(secret: bytes, submission: str) -> str:
    digest = hmac.digest(secret, _SUBMISSION_SALT + submission.encode(), "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_for_submission(submission: str) -> str:
    """The private link's token for an RSVP taken from one sending of a form (its key and moment): a
    keyed hash of it, so the same form sent again can be given the link the lost first answer carried
    (an RSVP without an email sees its link only there). Only the browser that made the key holds it;
    the database keeps a hash of the key and of this token, from which neither can be worked back."""
    return _keyed_token(_secret_keys()[0], submission)


def stored_token_for_submission(submission: str, manage_token_hash: str) -> str | None:
    """The token ``token_for_submission`` gave this RSVP, also under a SECRET_KEY rotated since; None
    when its link is another (a new one was issued)."""
    for secret in _secret_keys():
        token = _keyed_token(secret, submission)
        if hmac.compare_digest(hash_token(token), manage_token_hash):
            return token
    return None


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
    token = issue_tokens(rsvp)
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
