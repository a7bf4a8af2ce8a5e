"""itsdangerous' timed signatures, made in a few lines for the two values every first visit to a
public page needs: the session cookie and the CSRF token.

The output is byte for byte what ``URLSafeTimedSerializer.dumps`` makes (without its optional
zlib step, which the loader accepts either way: a payload is only inflated when it starts with a
dot), so Flask and Flask-WTF read and check these values with their own code, unchanged. Going
through itsdangerous' layers cost ~100 µs of a ~280 µs cached page (bench/README.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from itsdangerous.timed import TimestampSigner

_CLOCK = object()  # get_timestamp reads no state of its signer


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def hmac_derived_key(secret_key: str | bytes, salt: str | bytes) -> bytes:
    """itsdangerous' ``key_derivation="hmac"`` (Flask's session cookie)."""
    mac = hmac.new(_bytes(secret_key), digestmod=hashlib.sha1)
    mac.update(_bytes(salt))
    return mac.digest()


def django_concat_derived_key(secret_key: str | bytes, salt: str | bytes) -> bytes:
    """itsdangerous' default ``key_derivation="django-concat"`` (Flask-WTF's CSRF token)."""
    return hashlib.sha1(_bytes(salt) + b"signer" + _bytes(secret_key)).digest()


def timed_sign(derived_key: bytes, payload_json: str, now: float | None = None) -> str:
    """``payload.timestamp.signature``, as itsdangerous' URL-safe timed serializer writes it."""
    # The clock itsdangerous reads (and that tests move forward), looked up at each call.
    stamp = int(TimestampSigner.get_timestamp(_CLOCK) if now is None else now)
    value = _b64(payload_json.encode("utf-8")) + b"." + _b64(stamp.to_bytes(8, "big").lstrip(b"\x00"))
    signature = hmac.new(derived_key, value, hashlib.sha1).digest()
    return (value + b"." + _b64(signature)).decode("ascii")


def compact_json(value, *, sort_keys: bool = False, ensure_ascii: bool = False) -> str:
    """itsdangerous' compact JSON (``ensure_ascii=False``); Flask's session provider sorts keys and
    escapes non-ASCII (``sort_keys=True, ensure_ascii=True``)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii, sort_keys=sort_keys)


_PLAIN = (str, int, float, bool, type(None))


def is_plain_session(data: dict) -> bool:
    """A session that Flask's tagged JSON would write as plain JSON: string keys that are not
    tags, and values that need no tag (no tuples, bytes, dates, Markup, nested containers)."""
    return all(
        type(key) is str and not key.startswith(" ") and type(value) in _PLAIN
        for key, value in data.items()
    )
