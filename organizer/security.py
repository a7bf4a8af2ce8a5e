"""Sessions, headers and request hygiene that apply to every route."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, abort, current_app, render_template, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from organizer.extensions import db, limiter, login_manager
from organizer.models import User
from organizer.text import without_bidi_controls

WEAK_SECRET_KEYS = {
    "", "dev", "secret", "changeme", "change-me", "dev-only-secret-key-change-me",
    "test-secret-key-with-enough-length-1234567890",
}
MIN_SECRET_KEY_LENGTH = 32
# Integer URL segments map to 32-bit primary keys; anything larger can't exist and would overflow
# the database driver (a 500), so it is answered with the same 404 as any other missing row.
MAX_ROUTE_INT = 2**31 - 1

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# The embeddable list (/c/<slug>/embed) alone may be framed, by any site; everything else stays 'none'.
FRAMEABLE_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")


class InsecureConfigError(RuntimeError):
    pass


def check_config(app: Flask) -> None:
    """Refuse to run the production config with a secret anyone could guess or brute-force.

    A weak fallback key is as dangerous as a weak current key (cookies signed with it are accepted),
    so the fallbacks kept for rotation must pass the same test.
    """
    if not app.config.get("REQUIRE_STRONG_SECRET_KEY"):
        return
    keys = [("SECRET_KEY", app.config.get("SECRET_KEY"))]
    keys += [("SECRET_KEY_FALLBACKS", key) for key in app.config.get("SECRET_KEY_FALLBACKS") or []]
    for name, key in keys:
        if _is_weak_secret(key):
            raise InsecureConfigError(
                f"{name} must be a random value of at least {MIN_SECRET_KEY_LENGTH} characters "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )


def _is_weak_secret(key: Any) -> bool:
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    if not isinstance(key, str):
        return True
    key = key.strip()
    return key.lower() in WEAK_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 8


# Endpoints that never touch the session: their responses leave the session cookie alone.
ASSET_ENDPOINTS = frozenset({"static", "previews.favicon"})


class AssetsKeepTheirHandsOffSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a stylesheet, script or icon never re-sends the cookie.

    Sessions are permanent and refreshed on every request (the idle timeout), so by default every asset's
    response carries a Set-Cookie too, with the session as it was when its request left the browser. An asset
    still loading from the previous page then lands after the redirect that put a flash message (or a sign-in)
    in the cookie, and puts the old cookie back: the next page loses its message. Pages still refresh it."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if request.endpoint in ASSET_ENDPOINTS and not session.modified:
            return False
        return super().should_set_cookie(app, session)


def init_app(app: Flask) -> None:
    app.session_interface = AssetsKeepTheirHandsOffSessions()
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        # Behind a reverse proxy, the client address (rate limits) and scheme come from its headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app.config)  # type: ignore[method-assign]
    app.jinja_env.finalize = strip_bidi_controls
    # First of all before_request hooks: the raw body is checked (and cached) before CSRF protection
    # or anything else parses the form, which would keep broken bytes as literal text.
    app.before_request_funcs.setdefault(None, []).insert(0, reject_malformed_input)
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(SecurityError, handle_untrusted_host)


@limiter.request_filter
def _rate_limits_off_for_this_app() -> bool:
    """The limiter object is shared by every app built in one process (tests build several):
    each app's own RATELIMIT_ENABLED decides, not whichever app was built last."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def strip_bidi_controls(value: Any) -> Any:
    """Jinja's finalize: applied to every {{ expression }} in every template (pages and emails)."""
    if isinstance(value, str):
        return without_bidi_controls(value)
    return value


def load_user(user_id: str):
    """Flask-Login's loader: the id carries the session version, so bumping it ends every session."""
    user_part, _sep, version_part = user_id.partition(":")
    if not (user_part.isdigit() and version_part.isdigit()):
        return None
    if int(user_part) > MAX_ROUTE_INT:
        return None
    user = db.session.get(User, int(user_part))
    if user is None or user.session_version != int(version_part):
        return None
    return user


def _has_bad_text(value: str) -> bool:
    # Werkzeug decodes broken UTF-8 to U+FFFD; NUL bytes break PostgreSQL text columns.
    return "\x00" in value or "\ufffd" in value


def _json_has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(item) for item in value)
    return False


def _is_clean_urlencoded(raw: bytes) -> bool:
    """Percent-decoded, the bytes must be UTF-8 without NUL (Werkzeug would keep or replace bad bytes)."""
    decoded = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in decoded:
        return False
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\ufffd" not in text


TOO_LARGE = "organizer.body_too_large"


class ChunkedBodyLimit:
    """Holds a body sent with ``Transfer-Encoding: chunked`` to ``MAX_CONTENT_LENGTH`` before the app
    reads any of it.

    Werkzeug enforces the limit against the Content-Length header, which a chunked body doesn't have:
    it read such a body up to the limit and dropped the rest without a word, so a 20 MB urlencoded
    RSVP was cut and stored. Here at most limit + 1 bytes are read: a body that fits is handed on
    with its length (as if it had been sent with one), a longer one is marked and its request gets
    413 in ``reject_malformed_input``, the first thing Flask runs, so no form is ever parsed from it.
    The rest of an oversized body is never read; the server closes the connection after answering.
    """

    def __init__(self, wsgi_app, config) -> None:
        self.wsgi_app = wsgi_app
        self.config = config  # read per request: tests change MAX_CONTENT_LENGTH on a running app

    def __call__(self, environ, start_response):
        limit = self.config.get("MAX_CONTENT_LENGTH")
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if limit is not None and chunked and not environ.get("CONTENT_LENGTH"):
            body = _read_at_most(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
                environ[TOO_LARGE] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input_terminated"] = False  # the length above is now the whole truth
        return self.wsgi_app(environ, start_response)


def _read_at_most(stream, size: int) -> bytes:
    parts, left = [], size
    while left > 0:
        part = stream.read(min(left, 64 * 1024))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def reject_malformed_input() -> None:
    """NUL bytes, broken UTF-8 and impossible ids are never legitimate: 400 (or 404) before any view runs."""
    if request.environ.get(TOO_LARGE):
        abort(413)
    raw_path = request.environ.get("PATH_INFO", "")
    try:
        path = raw_path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        abort(400)
    if _has_bad_text(path):
        abort(400)
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and _has_bad_text(value):
            abort(400)
        if isinstance(value, int) and not 0 <= value <= MAX_ROUTE_INT:
            abort(404)
    if not _is_clean_urlencoded(request.query_string):
        abort(400)
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        if request.mimetype == "application/x-www-form-urlencoded":
            if "form" not in request.__dict__ and not _is_clean_urlencoded(request.get_data(cache=True)):
                abort(400)
            for key, values in request.form.lists():
                if _has_bad_text(key) or any(_has_bad_text(value) for value in values):
                    abort(400)
        elif request.mimetype == "multipart/form-data":
            for key, values in request.form.lists():
                if _has_bad_text(key) or any(_has_bad_text(value) for value in values):
                    abort(400)
            for storage in request.files.values():
                if _has_bad_text(storage.filename or ""):
                    abort(400)
        elif request.is_json:
            raw = request.get_data(cache=True)
            try:
                payload = json.loads(raw.decode("utf-8")) if raw else None
            except (UnicodeDecodeError, ValueError):
                abort(400)
            if _json_has_nul(payload):
                abort(400)


def handle_csrf_error(error: CSRFError):
    """A missing or stale CSRF token: say what to do instead of a bare 'bad request'."""
    message = _("This form was open too long or your session ended. Go back, reload the page and try again.")
    return render_template("errors/error.html", code=400, title=_("Please try again"), message=message), 400


DEFAULT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    # Personal data must never sit in a shared or browser cache; public pages opt in to caching.
    ("Cache-Control", "no-store"),
)
# The door list's scanner needs the camera, which DEFAULT_HEADERS turn off everywhere else.
DOOR_PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), interest-cohort=()"
HSTS_HEADER = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def allow_framing(response: Response) -> Response:
    """Let any site show this response in a frame: only for a page that holds nothing private, has no
    form and runs no script (the embeddable list). X-Frame-Options has no value that allows every
    site, so it is left out; browsers that know CSP follow frame-ancestors."""
    response.headers["Content-Security-Policy"] = FRAMEABLE_CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = ""  # set, so the defaults leave it out; removed after them
    return response


def handle_untrusted_host(error: SecurityError):
    """A Host outside TRUSTED_HOSTS: no URL can be built for it, so answer in plain text."""
    return Response("Bad request: unknown host.\n", status=400, mimetype="text/plain")


def set_security_headers(response: Response) -> Response:
    """Add each default header the view did not set itself.

    One pass over the headers already there: werkzeug's ``Headers.setdefault`` scans the list and
    raises internally for every missing key, which cost ~50 µs per response (bench/README.md).
    """
    headers = response.headers
    present = {key.lower() for key, _ in headers.items()}
    defaults = DEFAULT_HEADERS + ((HSTS_HEADER,) if current_app.config.get("HSTS") else ())
    for key, value in defaults:
        if key.lower() not in present:
            headers.add(key, value)
    if headers.get("X-Frame-Options") == "":  # allow_framing
        del headers["X-Frame-Options"]
    return response
