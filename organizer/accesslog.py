"""Access-log lines that keep no credential: capability paths redacted, query strings dropped.

A private RSVP link (/r/<token>), a reminder's links (/reminder/<signed>), a QR ticket (/t/<token>), a
door link (/door/<token>), a password reset or sign-up confirmation link, a team invitation
(/invite/<token>) is the credential itself: whoever reads it in a log can use it.
Query strings carry searches, which can hold supporters' names and emails. So the path is written with
the secret segment replaced by ``[redacted]`` and the query is never written at all. Referer and
Location headers carry the same URLs and get the same treatment; cookies and authorization never
appear. ``tests/deploy/test_accesslog.py`` walks the app's URL map and fails when a route with a
secret in its path is not covered here.

The shipped nginx site (deploy/nginx/organizer.conf) repeats these patterns in its ``map``.
"""

from __future__ import annotations

import logging
import posixpath
import re
from typing import Any
from urllib.parse import urlsplit

from gunicorn.glogging import Logger

REDACTED = "[redacted]"

# One pattern per route whose path holds a secret; group 1 is the secret segment. The static words
# that share a prefix with a secret (/r/new-link/…, /door/e/…) are excluded so that the routes
# beside them stay readable — a real token is never one of those words.
SECRET_PATH_PATTERNS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^/r/new-link/([^/]+)",               # rsvp.new_link: a signed "send me a new link" request
        r"^/r/(?!new-link(?:/|$))([^/]+)",     # rsvp.manage, rsvp.cancel, rsvp.delete: the private link
        r"^/t/([^/]+)",                        # door.ticket: the QR ticket
        r"^/door/(?!e(?:/|$)|sw\.js$)([^/]+)",  # door.open_link: a door link (not the door service worker)
        r"^/auth/reset/([^/]+)",               # auth.reset_password
        r"^/auth/signup/confirm/([^/]+)",      # auth.confirm_signup
        r"^/reminder/([^/]+)",                 # reminders.answer, .coming, .cant_make_it: the reminder's links
        r"^/invite/([^/]+)",                   # invitations.accept: a team invitation
        r"^/unsubscribe/([^/]+)",              # unsubscribe.page, .one_click, .undo: a campaign mail's unsubscribe link
    )
)


def normalize_path(path: str) -> str:
    """The path as the router would see it: repeated slashes merged, dot segments resolved.

    Werkzeug redirects ``//r/x`` to ``/r/x``, so the un-normalized spelling reaches the log too.
    """
    if not path:
        return "/"
    merged = re.sub(r"/{2,}", "/", path if path.startswith("/") else "/" + path)
    normalized = posixpath.normpath(merged)
    if merged.endswith("/") and normalized != "/":
        normalized += "/"
    return normalized


def redact_path(path: str) -> str:
    """``path`` (without query) with every secret segment replaced by ``[redacted]``."""
    path = normalize_path(path)
    for pattern in SECRET_PATH_PATTERNS:
        match = pattern.match(path)
        if match:
            path = path[: match.start(1)] + REDACTED + path[match.end(1) :]
    return path


def redact_url(url: str) -> str:
    """A full or relative URL (Referer, Location) reduced to scheme, host and redacted path."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    prefix = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return prefix + redact_path(parts.path)


# Request/response header and environ atoms a log format may name. Anything else named with
# %({name}i)s, %({name}o)s or %({name}e)s is written as "-": cookies, authorization and raw URIs
# must not reach a log through a format string an operator edits.
ALLOWED_HEADER_ATOMS = {"{x-request-id}i", "{x-request-id}o", "{user-agent}i", "{host}i", "{content-length}i",
                        "{content-type}o", "{content-length}o", "{x-forwarded-proto}i"}
URL_HEADER_ATOMS = {"{referer}i", "{location}o"}

# The shipped format: no client address (behind nginx it is the proxy's; the app keys rate limits on
# the forwarded one and does not need it written down), no query string, no referer.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}i)s'


class RedactingLogger(Logger):
    """gunicorn's logger with credential-free access lines and error messages."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or "/")
        safe = {key: value for key, value in atoms.items() if not key.startswith("{")}
        safe.update(
            r=f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}",
            U=path,
            q="",
            f=redact_url(environ.get("HTTP_REFERER", "-")),
            u="-",
        )
        for key, value in atoms.items():
            if key in ALLOWED_HEADER_ATOMS:
                safe[key] = value
            elif key in URL_HEADER_ATOMS:
                safe[key] = redact_url(value)
        return safe

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # Workers log "Error handling request <uri>" with the raw URI when an app crashes mid-request.
        self.error_log.addFilter(_redact_uris_in_record)


def _redact_uris_in_record(record: logging.LogRecord) -> bool:
    if isinstance(record.args, tuple) and record.args:
        record.args = tuple(
            redact_url(arg) if isinstance(arg, str) and (arg.startswith("/") or "://" in arg) else arg
            for arg in record.args
        )
    return True
