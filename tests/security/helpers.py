"""Small helpers for the security tests: CSRF tokens and form keys from rendered forms, signed-in clients."""

from __future__ import annotations

import re

_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def csrf_secret_of(token: str) -> str:
    """The part of a signed CSRF token that names the session's secret. The rest is a timestamp
    and its signature, so two tokens for one session differ when a second passes between them."""
    return token.split(".", 1)[0]


def tampered(signed: str) -> str:
    """``signed`` with one character of its signature changed, well before the last one. The last
    character's low bits are padding, so changing only the end can leave the signature the same."""
    at = len(signed) - 10
    return signed[:at] + ("A" if signed[at] != "A" else "B") + signed[at + 1:]


_SUBMISSION_KEY = re.compile(r'name="submission_key" type="hidden" value="([^"]*)"')


def submission_key_from(html: str) -> str:
    """The RSVP form's key as the page carries it ("" in the page everyone gets)."""
    match = _SUBMISSION_KEY.search(html)
    assert match, "no submission_key field in the page"
    return match.group(1)


def csrf(client, path: str = "/auth/login") -> str:
    """The token a browser would send from the form on ``path``. A public page served to a visitor
    without a session has an empty token field, which rsvp.js fills in from /csrf-token."""
    html = client.get(path).get_data(as_text=True)
    if 'name="csrf_token" type="hidden" value=""' in html:
        return client.get("/csrf-token").get_json()["csrf_token"]
    return csrf_from(html)


def sign_in(client, email: str, password: str, next_url: str | None = None):
    token = csrf(client)
    url = "/auth/login" + (f"?next={next_url}" if next_url is not None else "")
    return client.post(url, data={"csrf_token": token, "email": email, "password": password})


def is_signed_in(client) -> bool:
    """The account page answers 200 only to a signed-in session (anonymous gets a redirect)."""
    return client.get("/auth/password").status_code == 200
