"""Sessions, headers and request hygiene that apply to every route."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request

from organizer.extensions import db, login_manager

WEAK_SECRET_KEYS = {"", "dev", "secret", "changeme", "dev-only-secret-key-change-me"}
MIN_SECRET_KEY_LENGTH = 32

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


class InsecureConfigError(RuntimeError):
    pass


def check_config(app: Flask) -> None:
    """Refuse to run in production with a secret anyone could guess."""
    if app.debug or app.testing or not app.config.get("SESSION_COOKIE_SECURE"):
        return
    key = app.config.get("SECRET_KEY") or ""
    if key in WEAK_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise InsecureConfigError(
            f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_KEY_LENGTH} characters "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    app.before_request(reject_malformed_input)
    app.after_request(set_security_headers)


def load_user(user_id: str):
    from organizer.models import User

    user_part, _, version_part = user_id.partition(":")
    if not (user_part.isdigit() and version_part.isdigit()):
        return None
    user = db.session.get(User, int(user_part))
    if user is None or user.session_version != int(version_part):
        return None
    return user


def reject_malformed_input() -> None:
    """NUL bytes and broken UTF-8 are never legitimate here; refuse them before any view runs."""
    raw_query = request.query_string
    if b"\x00" in raw_query or b"%00" in raw_query.lower():
        abort(400)
    try:
        raw_query.decode("utf-8")
    except UnicodeDecodeError:
        abort(400)
    if request.method in {"POST", "PUT", "PATCH"} and request.mimetype in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        for values in request.form.listvalues():
            for value in values:
                if "\x00" in value or "\ufffd" in value:
                    abort(400)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    # Personal data must never sit in a shared or browser cache; public pages opt in to caching.
    headers.setdefault("Cache-Control", "no-store")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response
