"""Short-lived caching of public pages, shared through Redis when configured (organizer.cachestore),
that never caches anything personal.

A public page (home, campaign, event) is the same for every anonymous visitor but for its forms' CSRF
token, which is bound to the visitor's own session, and the RSVP form's key (below). Visitors fall in three
kinds:

* **No session yet** (most of the crowd a shared link brings): the page carries no token at all, so
  it is the same bytes for all of them and says so with ``Cache-Control: public, max-age=N`` and an
  ETag; organizer.sharedcache then answers repeats before Flask runs, and any proxy in front may too.
  Readers get no cookie. Someone who starts filling in the RSVP form gets a token from
  ``/csrf-token`` (static/js/rsvp.js); without JavaScript the RSVP view asks them to press again,
  the second page carrying a token (rsvp/views.py).
* **A session holding nothing but a CSRF token**: the page comes from the cache with the
  visitor's own token put in place of a placeholder; ``Cache-Control: no-store``.
* **Anyone else** (signed in, remember-me cookie, a flash message waiting, a door link opened):
  a page rendered for them alone, never stored.

The RSVP form's ``submission_key`` follows the token: nothing in the page everyone gets (static/js/rsvp.js
makes one), and in a visitor's own page a fresh key, put in like the token (``page_submission_key()``). A browser
without JavaScript that sends the same page again, because the answer to the first sending was lost, then
sends the same key and gets the first answer instead of a second RSVP.

Pages are rendered at most once per ``PUBLIC_CACHE_SECONDS`` (per deployment with Redis, per process
without), so counts on them (places left, people going) are at most that stale. A page is rendered by a
GET that writes nothing, so what is stored is always committed data. With ``PUBLIC_CACHE_SECONDS = 0`` nothing is stored
and nothing is public, but a visitor without a session still gets a page without a token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Hashable

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from organizer import cachestore
from organizer.templating import select_locale

# What the session of an anonymous visitor may hold for their page to come from the cache. Flask-Login's
# session protection marks any session without a sign-in "_fresh": False on the visitor's next request.
ANONYMOUS_SESSION_KEYS = frozenset({"csrf_token", "_permanent", "_fresh"})



def _make_placeholder(secret_key: str | bytes, what: str = "csrf", separator: str = "-") -> str:
    """Where the visitor's token (or form key) goes in a stored page: the same in every worker and node that
    shares the store (derived from SECRET_KEY), and no text a user can write ends up equal to it."""
    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    message = b"organizer page cache placeholder" + (b"" if what == "csrf" else f" for the {what}".encode())
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
    return separator.join((what, digest, "placeholder"))


def _placeholder() -> str:
    return current_app.extensions["page_cache_placeholder"]


def _key_placeholder() -> str:
    return current_app.extensions["page_cache_key_placeholder"]


def page_submission_key(kept: str | None = None) -> str:
    """What a form's ``submission_key`` field holds in the page (the template global of that name):
    ``kept``, the key a refused sending came with, for the page to send again (rsvp/views.py says when); else a
    fresh key. In a page rendered to be stored, always a placeholder, which each response replaces with a fresh
    key, or with nothing in the page everyone gets."""
    if g.get("_page_cache_rendering"):
        return _key_placeholder()
    return kept or secrets.token_urlsafe(16)  # 128 random bits, like the script's (sent_again.KEY_MIN_LENGTH)


def init_app(app: Flask) -> None:
    """Each app gets its store: Redis when configured (shared by every worker and node), else local."""
    # The prefix changes when what a stored page holds does (v2: the form key's placeholder), so that during a
    # rolling deploy no node serves a page stored by a node that fills it in differently.
    app.extensions["page_cache"] = cachestore.make_store(app.config.get("CACHE_REDIS_URL"), "organizer:page:v2:")
    secret = app.secret_key or secrets.token_hex(16)
    app.extensions["page_cache_placeholder"] = _make_placeholder(secret)
    # With a "." no key can have: were it ever sent, the RSVP would be refused as malformed, never matched.
    app.extensions["page_cache_key_placeholder"] = _make_placeholder(secret, "key", separator=".")
    app.add_template_global(page_submission_key)


def clear() -> None:
    """Forget every cached page of the current app (tests; never needed for correctness)."""
    current_app.extensions["page_cache"].clear()


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
    """The page ``render()`` makes, from the cache when the visit allows it.

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
    store = current_app.extensions["page_cache"]
    # The locale is what get_locale() would pick, without parsing a Locale (~25 µs).
    locale = select_locale()
    full_key: Hashable = cachestore.hashed_key(key, locale) if store.serializes else (key, locale)
    stored = store.get(full_key)
    if stored is None:
        html = _render_with_placeholder(render)
        has_placeholders = _placeholder() in html or _key_placeholder() in html
        store.set(full_key, ((b"1" if has_placeholders else b"0") + html.encode("utf-8")) if store.serializes
                  else (has_placeholders, html), seconds)
        return _page(html, shared, seconds, has_placeholders=has_placeholders)
    if store.serializes:
        return _page(stored[1:].decode("utf-8"), shared, seconds, has_placeholders=stored[:1] == b"1")
    return _page(stored[1], shared, seconds, has_placeholders=stored[0])


def _page(html: str, shared: bool, seconds: int, has_placeholders: bool = True) -> Response:
    if has_placeholders:
        html = html.replace(_placeholder(), "" if shared else generate_csrf())
        html = html.replace(_key_placeholder(), "" if shared else page_submission_key())
    response = Response(html, mimetype="text/html")
    if shared and seconds > 0:
        response.cache_control.public = True
        response.cache_control.max_age = seconds
        response.vary.update(("Cookie", "Accept-Language"))
        response.add_etag()
        response.make_conditional(request)
    return response


def _render_with_placeholder(render: Callable[[], str]) -> str:
    """Render with every CSRF token (csrf_token(), form.csrf_token, hidden_tag) and every form key
    (``page_submission_key()``) as their placeholders.

    Flask-WTF keeps the request's signed token in ``g``; while it holds the placeholder, forms and
    ``csrf_token()`` print it instead of minting a token for this visitor's session. The flag in ``g`` does the
    same for the form key.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    missing = object()
    earlier = g.pop(field, missing)
    setattr(g, field, _placeholder())
    g._page_cache_rendering = True
    try:
        html = str(render())
    finally:
        g.pop(field, None)
        g.pop("_page_cache_rendering", None)
        if earlier is not missing:
            setattr(g, field, earlier)
    return html
