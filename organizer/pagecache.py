"""Short-lived caching of public pages, per worker process, that never caches anything personal.

A public page (home, campaign, event) is the same for every anonymous visitor but for one thing:
the CSRF token in its forms, which is bound to the visitor's own session. Visitors fall in three kinds:

* **No session yet** (most of the crowd a shared link brings): the page carries no token at all, so
  it is the same bytes for all of them and says so with ``Cache-Control: public, max-age=N`` and an
  ETag; organizer.sharedcache then answers repeats before Flask runs, and any proxy in front may too.
  Readers get no cookie. Someone who starts filling in the RSVP form gets a token from
  ``/csrf-token`` (static/js/rsvp.js); without JavaScript the RSVP view asks them to press again,
  the second page carrying a token (rsvp/views.py).
* **A session holding nothing but a CSRF token**: the page comes from this process's cache with the
  visitor's own token put in place of a placeholder; ``Cache-Control: no-store``.
* **Anyone else** (signed in, remember-me cookie, a flash message waiting, a door link opened):
  a page rendered for them alone, never stored.

Pages are rendered at most once per ``PUBLIC_CACHE_SECONDS`` per process, so counts on them (places
left, people going) are at most that stale. With ``PUBLIC_CACHE_SECONDS = 0`` nothing is stored
and nothing is public, but a visitor without a session still gets a page without a token.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable, Hashable

from flask import Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from organizer.signing import compact_json, django_concat_derived_key, timed_sign
from organizer.templating import select_locale

# What the session of an anonymous visitor may hold for their page to come from the cache. Flask-Login's
# session protection marks any session without a sign-in "_fresh": False on the visitor's next request.
ANONYMOUS_SESSION_KEYS = frozenset({"csrf_token", "_permanent", "_fresh"})
MAX_ENTRIES = 512

# Random per process: no text a user can write ends up equal to it.
_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}-placeholder"


class _Cache:
    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[float, str, bool]] = {}

    def get(self, key: Hashable, now: float) -> tuple[str, bool] | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= now:
            return None
        return entry[1], entry[2]

    def put(self, key: Hashable, html: str, has_token: bool, expires: float) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            now = time.monotonic()
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
        self._entries[key] = (expires, html, has_token)

    def clear(self) -> None:
        self._entries.clear()


_cache = _Cache()


def clear() -> None:
    """Forget every cached page of this process (tests; never needed for correctness)."""
    _cache.clear()


def is_cacheable_visit() -> bool:
    """True for an anonymous visitor with nothing personal in their session."""
    if request.method not in {"GET", "HEAD"}:
        return False
    if not set(session.keys()) <= ANONYMOUS_SESSION_KEYS:
        return False
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return remember_cookie not in request.cookies


def is_shared_visit() -> bool:
    """True for a visitor with no session at all: their page is the same as everyone else's."""
    return not session and is_cacheable_visit()


def cached_page(key: Hashable, render: Callable[[], str]) -> Response:
    """The page ``render()`` makes, from this process's cache when the visit allows it.

    ``render`` must return the page's HTML and may raise (abort(404)...): nothing is cached then.
    ``key`` names the page (e.g. ``("public.event", slug)``); the locale is added to it.
    """
    seconds = current_app.config.get("PUBLIC_CACHE_SECONDS", 0) or 0
    if not is_cacheable_visit():
        return Response(render(), mimetype="text/html")
    shared = is_shared_visit()
    if seconds <= 0:
        html = _render_with_placeholder(render)
        return _page(html, shared, seconds)
    full_key = (key, select_locale())  # what get_locale() would pick, without parsing a Locale (~25 µs)
    now = time.monotonic()
    hit = _cache.get(full_key, now)
    if hit is None:
        html = _render_with_placeholder(render)
        hit = (html, _PLACEHOLDER in html)
        _cache.put(full_key, hit[0], hit[1], now + seconds)
    return _page(hit[0], shared, seconds, has_token=hit[1])


def _page(html: str, shared: bool, seconds: int, has_token: bool = True) -> Response:
    if has_token:
        html = html.replace(_PLACEHOLDER, "" if shared else csrf_token())
    response = Response(html, mimetype="text/html")
    if shared and seconds > 0:
        response.cache_control.public = True
        response.cache_control.max_age = seconds
        response.vary.update(("Cookie", "Accept-Language"))
        response.add_etag()
        response.make_conditional(request)
    return response


_csrf_keys: dict[str | bytes, bytes] = {}


def csrf_token() -> str:
    """The visitor's signed CSRF token: what ``flask_wtf.csrf.generate_csrf`` returns, made the same
    way (raw token in the session, signed one in ``g``) and signed by organizer.signing to the same
    format, so Flask-WTF's own ``validate_csrf`` checks it on POST."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token is not None:
        return token
    if field not in session:
        session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
    raw = session[field]
    if type(raw) is not str:
        return generate_csrf()
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    key = _csrf_keys.get(secret)
    if key is None:
        if len(_csrf_keys) > 8:
            _csrf_keys.clear()
        key = _csrf_keys[secret] = django_concat_derived_key(secret, "wtf-csrf-token")
    token = timed_sign(key, compact_json(raw))
    setattr(g, field, token)
    return token


def _render_with_placeholder(render: Callable[[], str]) -> str:
    """Render with every CSRF token (csrf_token(), form.csrf_token, hidden_tag) as the placeholder.

    Flask-WTF keeps the request's signed token in ``g``; while it holds the placeholder, forms and
    ``csrf_token()`` print it instead of minting a token for this visitor's session.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    missing = object()
    earlier = g.pop(field, missing)
    setattr(g, field, _PLACEHOLDER)
    try:
        html = str(render())
    finally:
        g.pop(field, None)
        if earlier is not missing:
            setattr(g, field, earlier)
    return html
