"""Flask's signed-cookie sessions, with the signing serializer made once per set of keys.

Flask builds a new ``URLSafeTimedSerializer`` on every request, twice (open and save), and its
constructor serializes a probe value to learn the payload type: about 20 µs each time, on every
page. The serializer holds no per-request state, so one per (key, fallbacks) is reused; changing
SECRET_KEY or SECRET_KEY_FALLBACKS at run time still takes effect at once (a new cache key).

A session of plain values (a first visitor's CSRF token, a signed-in user's id) is signed by
organizer.signing in a few lines, to the very format itsdangerous writes; anything else (flash
messages are tuples) goes through Flask's tagged JSON as before. Reading is Flask's own code.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from organizer.signing import compact_json, hmac_derived_key, is_plain_session, timed_sign


class _SessionSerializer(URLSafeTimedSerializer):
    def __init__(self, *args: Any, derived_key: bytes | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived_key = derived_key

    def dumps(self, obj: Any, salt: str | bytes | None = None) -> str:
        if self._derived_key is not None and salt is None and isinstance(obj, dict) and is_plain_session(obj):
            return timed_sign(self._derived_key, compact_json(obj, sort_keys=True, ensure_ascii=True))
        return super().dumps(obj, salt)


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        fallbacks = app.config.get("SECRET_KEY_FALLBACKS") or ()
        key = (app.secret_key, tuple(fallbacks))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = self._make_serializer(app)
            if len(self._serializers) > 8:  # keys rotate rarely; never grow without bound
                self._serializers.clear()
            self._serializers[key] = serializer
        return serializer


    def _make_serializer(self, app: Flask) -> URLSafeTimedSerializer:
        """What Flask's get_signing_serializer builds, able to sign plain sessions itself."""
        keys: list[str | bytes] = [*(app.config.get("SECRET_KEY_FALLBACKS") or []), app.secret_key]
        # Flask's defaults (and the provider's sorted, ASCII-only JSON) are what the fast path writes.
        fast = (
            self.key_derivation == "hmac"
            and self.digest_method(b"").name == "sha1"  # Flask wraps hashlib.sha1 in a function
            and getattr(app.json, "sort_keys", False)
            and getattr(app.json, "ensure_ascii", False)
        )
        return _SessionSerializer(
            keys,  # the current key last: itsdangerous signs with it
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
            derived_key=hmac_derived_key(app.secret_key, self.salt) if fast else None,
        )


def init_app(app: Flask) -> None:
    app.session_interface = CachedSerializerSessionInterface()
