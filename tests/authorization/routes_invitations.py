"""The invitation link: open to whoever holds it (the token is the credential), like a reset link.

Signed-in personas are not the invited address, so joining sends them back with a message (303);
anyone else creates the invited account and joins (303). A broken token is a 404 for everyone."""

from __future__ import annotations

from tests.authorization.rules import Rule

BAD_TOKEN = "x" * 43
NEW_PASSWORD = "a-long-new-password"


def _new_account(w):
    return {"new-name": "Invitee", "new-password": NEW_PASSWORD, "new-confirm": NEW_PASSWORD}


ROUTES: list[Rule] = [
    Rule("invitations.accept", "GET", lambda w: f"/invite/{w.invite_token}", {}, default=200),
    Rule("invitations.accept", "POST", lambda w: f"/invite/{w.invite_token}", {}, default=303, data=_new_account),
    Rule("invitations.accept", "GET", lambda w: f"/invite/{BAD_TOKEN}", {}, id_suffix=" bad token"),
    Rule("invitations.accept", "POST", lambda w: f"/invite/{BAD_TOKEN}", {}, data=_new_account,
         id_suffix=" bad token"),
]
