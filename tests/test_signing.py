"""organizer.signing writes exactly what itsdangerous writes, so Flask and Flask-WTF read it unchanged."""

from __future__ import annotations

from unittest import mock

import pytest
from flask import flash, get_flashed_messages, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf
from itsdangerous import URLSafeTimedSerializer

from organizer import pagecache
from organizer.extensions import db
from organizer.signing import (
    compact_json,
    django_concat_derived_key,
    hmac_derived_key,
    is_plain_session,
    timed_sign,
)
from tests.conftest import make_test_app

SECRET = "signing-test-secret-key-0123456789-abcdefghij"


@pytest.fixture(scope="module")
def signing_app(database_url):
    app = make_test_app(database_url, SECRET_KEY=SECRET)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("payload", ["a" * 40, "", "naïve ünïcode", "x" * 300])
def test_csrf_signature_is_byte_for_byte_flask_wtfs(payload):
    reference = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token")
    with mock.patch("time.time", return_value=1_800_000_000.5):
        expected = reference.dumps(payload)
        mine = timed_sign(django_concat_derived_key(SECRET, "wtf-csrf-token"), compact_json(payload), now=1_800_000_000.5)
    if not expected.startswith("."):  # itsdangerous compresses long repetitive payloads; then only loading must agree
        assert mine == expected
    assert reference.loads(mine) == payload


def test_session_cookie_reads_with_flasks_own_serializer(signing_app):
    flask_serializer = SecureCookieSessionInterface().get_signing_serializer(signing_app)
    ours = signing_app.session_interface.get_signing_serializer(signing_app)
    data = {"csrf_token": "f" * 40, "_user_id": "12:3", "_fresh": True, "door_link_id": 7, "name": "Zoë"}
    assert is_plain_session(data)
    cookie = ours.dumps(data)
    assert flask_serializer.loads(cookie) == data
    with mock.patch("time.time", return_value=1_800_000_000):
        assert ours.dumps(data) == flask_serializer.dumps(data) or flask_serializer.dumps(data).startswith(".")


def test_sessions_with_tagged_values_take_flasks_path(signing_app):
    assert not is_plain_session({"_flashes": [("success", "Saved.")]})
    assert not is_plain_session({"when": b"bytes"})

    @signing_app.get("/_signing/flash")
    def add_flash():
        flash("Saved for you.", "success")
        session["csrf_token"] = "a" * 40
        return "ok"

    @signing_app.get("/_signing/read")
    def read():
        return " | ".join(message for _category, message in get_flashed_messages(with_categories=True))

    client = signing_app.test_client()
    client.get("/_signing/flash")
    assert client.get("/_signing/read").get_data(as_text=True) == "Saved for you."


def test_the_page_cache_token_passes_flask_wtfs_check(signing_app):
    with signing_app.test_request_context("/"):
        token = pagecache.csrf_token()
        assert pagecache.csrf_token() == token  # one per request, like generate_csrf
        validate_csrf(token)  # raises if Flask-WTF disagrees
        assert session["csrf_token"]


def test_the_hmac_key_derivation_matches(signing_app):
    reference = URLSafeTimedSerializer(
        SECRET, salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": SecureCookieSessionInterface.digest_method},
    )
    signer = reference.make_signer()
    assert signer.derive_key() == hmac_derived_key(SECRET, "cookie-session")
