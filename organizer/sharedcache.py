"""A small HTTP shared cache in front of the app: what nginx's "microcaching" does, for deployments
that have no such proxy (and for the bench, which serves gunicorn alone). Entries live in Redis when
one is configured, shared by every worker and node, else in each process (organizer.cachestore).

A call to action shared on social media sends thousands of phones to one event page within minutes.
Visitors who have no session are shown exactly the same page (organizer.pagecache: no CSRF token in
it; rsvp.js fetches one when someone starts filling in the form), and that page says so with
``Cache-Control: public, max-age=N``. This middleware keeps such responses for their max-age and
answers the next identical requests before Flask runs at all: about a tenth of the cost of the
request pipeline (host check, input checks, session, sign-in, headers).

It stores a response only when every one of these holds, so that nothing personal is ever stored:

* the request is a GET without our session or remember-me cookie and without an Authorization header
  (other cookies may come along: the language cookie is part of the key, any other is ignored by the app);
* the response is a 200 with ``Cache-Control: public`` and a positive ``max-age``, sets no cookie,
  varies on nothing but ``Cookie`` and ``Accept-Language``, and is small.

Requests that carry our cookies never read from it. Entries are keyed by host, scheme, path, query
string (without the click ids that social networks and newsletters add to shared links),
``Accept-Language`` and the language cookie (the visitor's choice on the switcher), so nobody is ever
served a page in the language someone else chose; a request Flask refused (an untrusted host, malformed input) got no
public 200, so it never made an entry that a later request could hit (click ids aside: no page
reads them). Conditional requests
(``If-None-Match``) get a 304 from the stored ``ETag``. Clients' own ``Cache-Control: no-cache`` is
ignored, as nginx does: otherwise anyone could switch the cache off.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from werkzeug.http import parse_cookie

from organizer.cachestore import LocalStore, Store, hashed_key

MAX_ENTRIES = 256
MAX_BODY_BYTES = 512 * 1024
CACHEABLE_VARY = frozenset({"cookie", "accept-language"})
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age=(\d+)")
_NOT_FOR_304 = frozenset({"content-length", "content-type"})


class _Entry(NamedTuple):
    stored_at: float
    expires: float
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None
    route: str | None  # for organizer.logs' request line (Flask, which knows it, does not run on a hit)

    def dump(self) -> bytes:
        meta = [self.stored_at, self.expires, self.status, self.headers, self.etag, self.route]
        return json.dumps(meta, separators=(",", ":")).encode("utf-8") + b"\n" + self.body

    @classmethod
    def load(cls, data: bytes) -> _Entry | None:
        meta, _newline, body = data.partition(b"\n")  # JSON escapes newlines: the first one ends it
        try:
            stored_at, expires, status, headers, etag, route = json.loads(meta)
        except ValueError:
            return None
        return cls(stored_at, expires, status, [tuple(header) for header in headers], body, etag, route)


def freshness_seconds(cache_control: str) -> int:
    """How long a shared cache may keep a response with this Cache-Control (0: not at all)."""
    directives = cache_control.lower()
    if "public" not in directives or "no-store" in directives or "private" in directives \
            or "no-cache" in directives:
        return 0
    match = _MAX_AGE.search(directives)
    return int(match.group(1)) if match else 0


class SharedCache:
    def __init__(self, app: Callable, private_cookies: Iterable[str], key_cookies: Iterable[str] = (),
                 clock: Callable[[], float] = time.time, store: Store | None = None) -> None:
        self.app = app
        self.private_cookies = tuple(f"{name}=" for name in private_cookies)
        # Cookies that choose between versions of one public page (the language): part of the key.
        self.key_cookies = tuple(key_cookies)
        # Wall-clock time, not monotonic: entries in Redis are read by other processes and nodes.
        self.clock = clock
        self.store: Store = store if store is not None else LocalStore(MAX_ENTRIES, clock=lambda: self.clock())

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD") or self._is_personal(environ):
            return self.app(environ, start_response)
        key: Any = (environ.get("HTTP_HOST"), environ.get("wsgi.url_scheme"), environ.get("SCRIPT_NAME"),
                    environ.get("PATH_INFO"), _without_click_ids(environ.get("QUERY_STRING") or ""),
                    environ.get("HTTP_ACCEPT_LANGUAGE"), self._key_cookie_values(environ.get("HTTP_COOKIE")))
        if self.store.serializes:
            key = hashed_key(*key)
        now = self.clock()
        stored = self.store.get(key)
        entry = _Entry.load(stored) if stored is not None and self.store.serializes else stored
        if entry is not None and entry.expires > now:
            return self._serve(entry, environ, start_response, now)
        if method == "HEAD":
            return self.app(environ, start_response)
        return self._fetch_and_store(key, environ, start_response, now)

    def clear(self) -> None:
        self.store.clear()

    def _key_cookie_values(self, cookies: str | None) -> tuple[str | None, ...] | None:
        if not cookies or not self.key_cookies:
            return None
        parsed = parse_cookie(cookies)
        return tuple(parsed.get(name) for name in self.key_cookies)

    def _is_personal(self, environ: dict[str, Any]) -> bool:
        if "HTTP_AUTHORIZATION" in environ:
            return True
        cookies = environ.get("HTTP_COOKIE") or ""
        # A false positive (another cookie whose name ends like ours) only means a miss.
        return bool(cookies) and any(name in cookies for name in self.private_cookies)

    def _serve(self, entry: _Entry, environ: dict[str, Any], start_response: Callable,
               now: float) -> Iterable[bytes]:
        environ["organizer.route"], environ["organizer.cache"] = entry.route, "hit"
        age = ("Age", str(max(0, int(now - entry.stored_at))))  # nodes' clocks may differ a little
        if entry.etag is not None and _etag_matches(environ.get("HTTP_IF_NONE_MATCH"), entry.etag):
            headers = [(k, v) for k, v in entry.headers if k.lower() not in _NOT_FOR_304]
            start_response("304 Not Modified", headers + [age])
            return []
        start_response(entry.status, entry.headers + [age])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]

    def _fetch_and_store(self, key: Any, environ: dict[str, Any], start_response: Callable,
                         now: float) -> Iterable[bytes]:
        sent: dict[str, Any] = {}

        def remember_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            sent["status"], sent["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body_iter = self.app(environ, remember_start)
        seconds = _storable_for(sent.get("status", ""), sent.get("headers", []))
        if not seconds:
            return body_iter
        try:
            body = b"".join(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
        if len(body) <= MAX_BODY_BYTES:
            entry = _Entry(now, now + seconds, sent["status"], list(sent["headers"]), body,
                           _header(sent["headers"], "etag"), environ.get("organizer.route"))
            self.store.set(key, entry.dump() if self.store.serializes else entry, seconds)
        return [body]


# Added to shared links by social networks, newsletters and ad platforms, one value per click: they
# never change a page, and keyed on them a link shared on Facebook would never hit the cache.
CLICK_ID_PARAMETERS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "twclid", "yclid", "igshid", "mc_cid",
                                 "mc_eid", "_ga"})


# Read only by the POST of the RSVP form (the referral code, ?r=paper-sale): every GET shows the same page
# whatever the code, so one entry serves every code's link.
SHARE_PARAMETERS = frozenset({"r"})


def _without_click_ids(query: str) -> str:
    if not query:
        return query
    kept = [part for part in query.split("&")
            if part and not (name := part.split("=", 1)[0]).startswith("utm_") and name not in CLICK_ID_PARAMETERS
            and name not in SHARE_PARAMETERS]
    return "&".join(kept)


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _storable_for(status: str, headers: list[tuple[str, str]]) -> int:
    """Seconds this response may be kept for every visitor without cookies; 0 if it must not be."""
    if not status.startswith("200 "):
        return 0
    cache_control = ""
    for key, value in headers:
        lowered = key.lower()
        if lowered == "set-cookie":
            return 0
        if lowered == "cache-control":
            cache_control += "," + value
        elif lowered == "vary":
            varies = {part.strip().lower() for part in value.split(",") if part.strip()}
            if not varies <= CACHEABLE_VARY:
                return 0
    return freshness_seconds(cache_control)


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in if_none_match.split(","))
