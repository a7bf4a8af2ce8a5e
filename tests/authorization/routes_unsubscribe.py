"""Unsubscribe links (issue 10.7): the signed token in the path is the whole authority, for everyone alike.

The one-click POST needs no session and no CSRF token (RFC 8058), so every persona gets the same answer;
a forged or garbled token is a 404. (The matrix runs without CSRF; tests/views/test_unsubscribe.py
posts without a session and with CSRF on.)
"""

from __future__ import annotations

from organizer.services.mail import unsubscribe
from tests.authorization.rules import Rule
from tests.security.helpers import tampered


def _link(w) -> str:
    return f"/unsubscribe/{unsubscribe.unsubscribe_token(w.campaign.id, w.rsvp.email)}"


def _forged(w) -> str:
    token = unsubscribe.unsubscribe_token(w.campaign.id, w.rsvp.email)
    return f"/unsubscribe/{tampered(token)}"


ROUTES: list[Rule] = [
    Rule("unsubscribe.page", "GET", _link, {}, default=200),
    Rule("unsubscribe.page", "GET", _forged, {}, id_suffix=" forged"),
    Rule("unsubscribe.one_click", "POST", _link, {}, default=200,
         data=lambda w: {"List-Unsubscribe": "One-Click"}),
    Rule("unsubscribe.one_click", "POST", _forged, {}, data=lambda w: {"List-Unsubscribe": "One-Click"},
         id_suffix=" forged"),
    Rule("unsubscribe.undo", "POST", lambda w: f"{_link(w)}/undo", {}, default=303),
    Rule("unsubscribe.undo", "POST", lambda w: f"{_forged(w)}/undo", {}, id_suffix=" forged"),
]
