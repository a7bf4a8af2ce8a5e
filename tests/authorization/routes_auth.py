"""Account routes: sign-up (confirmed by email), sign-in, sign-out, password change and reset.

These pages are for everyone; what matters is that a signed-in person can't be pushed around
(sign-in page redirects them), that the password page needs a session, and that bad links are 404.
"""

from __future__ import annotations

from tests.authorization.rules import SIGNED_IN, Rule, only
from tests.builders import DEFAULT_PASSWORD

NEW_PASSWORD = "a brand new passphrase"


def _signup(w):
    return {"name": "Newcomer", "email": "newcomer@example.org", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def _login(w):
    return {"email": "owner@example.org", "password": DEFAULT_PASSWORD}


def _bad_login(w):
    return {"email": "owner@example.org", "password": "not the password"}


def _change(w):
    return {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def _reset(w):
    return {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


BAD_TOKEN = "not-a-real-token-0123456789abcdefghijklmnopq"

ROUTES: list[Rule] = [
    Rule("auth.signup", "GET", lambda w: "/auth/signup", {}, default=200),
    Rule("auth.signup", "POST", lambda w: "/auth/signup", {}, default=303, data=_signup),
    Rule("auth.check_email", "GET", lambda w: "/auth/check-email", {}, default=200),
    Rule("auth.confirm_signup", "GET", lambda w: f"/auth/signup/confirm/{w.signup_token}", {}, default=200),
    Rule("auth.confirm_signup", "POST", lambda w: f"/auth/signup/confirm/{w.signup_token}", {}, default=303),
    Rule("auth.confirm_signup", "GET", lambda w: f"/auth/signup/confirm/{BAD_TOKEN}", {}, id_suffix=" bad token"),
    Rule("auth.confirm_signup", "POST", lambda w: f"/auth/signup/confirm/{BAD_TOKEN}", {}, id_suffix=" bad token"),
    # Signed-in people are sent on to their dashboard; everyone else sees the form.
    Rule("auth.login", "GET", lambda w: "/auth/login", only(SIGNED_IN, 302), default=200),
    Rule("auth.login", "POST", lambda w: "/auth/login", {}, default=303, data=_login),
    Rule("auth.login", "POST", lambda w: "/auth/login", {}, default=401, data=_bad_login, id_suffix=" wrong password"),
    Rule("auth.logout", "POST", lambda w: "/auth/logout", {}, default=303),
    Rule("auth.change_password", "GET", lambda w: "/auth/password", only(SIGNED_IN, 200), default=302),
    Rule("auth.change_password", "POST", lambda w: "/auth/password", only(SIGNED_IN, 303), default=302, data=_change),
    Rule("auth.account_language", "POST", lambda w: "/auth/language", only(SIGNED_IN, 303), default=302,
         data=lambda w: {"locale": "ar"}),
    # Two-factor: the code step answers only a half-signed-in session (nobody here has one: back to
    # sign-in); the account's two-factor pages need a full session.
    Rule("auth.two_factor_login", "GET", lambda w: "/auth/two-factor", {}, default=303),
    Rule("auth.two_factor_login", "POST", lambda w: "/auth/two-factor", {}, default=303,
         data=lambda w: {"code": "123456"}),
    Rule("auth.two_factor_setup", "GET", lambda w: "/auth/two-factor/setup", only(SIGNED_IN, 200), default=302),
    Rule("auth.two_factor_setup", "POST", lambda w: "/auth/two-factor/setup", only(SIGNED_IN, 400), default=302,
         data=lambda w: {"code": "not a code"}),
    Rule("auth.two_factor_new_codes", "POST", lambda w: "/auth/two-factor/recovery-codes", only(SIGNED_IN, 303),
         default=302, data=lambda w: {"code": "123456"}),
    Rule("auth.two_factor_disable", "POST", lambda w: "/auth/two-factor/disable", only(SIGNED_IN, 400),
         default=302, data=lambda w: {"password_or_code": DEFAULT_PASSWORD}),
    Rule("auth.reset_request", "GET", lambda w: "/auth/reset", {}, default=200),
    Rule("auth.reset_request", "POST", lambda w: "/auth/reset", {}, default=303,
         data=lambda w: {"email": "owner@example.org"}),
    Rule("auth.reset_password", "GET", lambda w: f"/auth/reset/{w.reset_token}", {}, default=200),
    Rule("auth.reset_password", "POST", lambda w: f"/auth/reset/{w.reset_token}", {}, default=303, data=_reset),
    Rule("auth.reset_password", "GET", lambda w: f"/auth/reset/{BAD_TOKEN}", {}, id_suffix=" bad token"),
    Rule("auth.reset_password", "POST", lambda w: f"/auth/reset/{BAD_TOKEN}", {}, data=_reset, id_suffix=" bad token"),
]
