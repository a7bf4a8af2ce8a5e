"""Where the page caches keep what they render: in Redis when one is configured, else in this process.

With Redis (``CACHE_REDIS_URL``, by default the Redis of ``RATELIMIT_STORAGE_URI``) every worker and
every node reads the same entry, so a public page is rendered once per ``PUBLIC_CACHE_SECONDS`` for
the whole deployment and two nodes never show different counts. Without it (one process in
development, tests) entries stay in the process. Either way an entry is only ever a rendering of
committed data (public pages are read by GET requests that write nothing) and expires on its own.

A Redis that does not answer is a cache miss, logged, never an error page.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis

log = logging.getLogger(__name__)
LOCAL_MAX_ENTRIES = 512


class Store(Protocol):
    serializes: bool  # True: keys are strings and values bytes; False: any hashable key, any value

    def get(self, key: Any) -> Any: ...
    def set(self, key: Any, value: Any, seconds: float) -> None: ...
    def clear(self) -> None: ...


class LocalStore:
    """A dict with expiry times, bounded: when full, expired entries go, then the older half.
    Keeps keys and values as they are (no hashing or encoding on the fast path of a cache hit)."""

    serializes = False

    def __init__(self, max_entries: int = LOCAL_MAX_ENTRIES, clock: Callable[[], float] | None = None) -> None:
        self.max_entries = max_entries
        self.clock = clock or (lambda: time.monotonic())  # looked up per call: tests move the clock
        self._entries: dict[Any, tuple[float, Any]] = {}

    def get(self, key: Any) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def set(self, key: Any, value: Any, seconds: float) -> None:
        now = self.clock()
        if len(self._entries) >= self.max_entries:
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            if len(self._entries) >= self.max_entries:
                self._entries = dict(list(self._entries.items())[self.max_entries // 2:])
        self._entries.pop(key, None)  # re-inserted: the newest
        self._entries[key] = (now + seconds, value)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class RedisStore:
    """Entries as Redis strings with a TTL, under one prefix (``clear`` removes only those)."""

    serializes = True

    def __init__(self, url: str, prefix: str = "organizer:cache:") -> None:
        # Short timeouts: a slow Redis must cost a page render, not hang the request.
        self._redis = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.prefix = prefix

    def get(self, key: str) -> bytes | None:
        try:
            return self._redis.get(self.prefix + key)  # type: ignore[return-value]
        except redis.RedisError as error:
            log.warning("page cache: Redis unavailable (%s); rendering instead", type(error).__name__)
            return None

    def set(self, key: str, value: bytes, seconds: float) -> None:
        try:
            self._redis.set(self.prefix + key, value, px=max(1, int(seconds * 1000)))
        except redis.RedisError as error:
            log.warning("page cache: Redis unavailable (%s); not stored", type(error).__name__)

    def clear(self) -> None:
        for key in self._redis.scan_iter(match=self.prefix + "*", count=500):
            self._redis.delete(key)


def hashed_key(*parts: object) -> str:
    """A short, fixed-length key for any tuple of parts (paths and headers can be long)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def make_store(redis_url: str | None, prefix: str) -> Store:
    return RedisStore(redis_url, prefix) if redis_url else LocalStore()
