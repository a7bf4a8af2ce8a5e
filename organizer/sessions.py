"""Flask's signed-cookie sessions, with the signing serializer made once per set of keys.

Flask builds a new ``URLSafeTimedSerializer`` on every request, twice (open and save), and its
constructor serializes a probe value to learn the payload type: about 20 µs each time, on every
page. The serializer holds no per-request state, so one per (key, fallbacks) is reused; changing
SECRET_KEY or SECRET_KEY_FALLBACKS at run time still takes effect at once (a new cache key).
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


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
            serializer = super().get_signing_serializer(app)
            if len(self._serializers) > 8:  # keys rotate rarely; never grow without bound
                self._serializers.clear()
            self._serializers[key] = serializer
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = CachedSerializerSessionInterface()
