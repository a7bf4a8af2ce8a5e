"""The session interface reuses its signing serializer, and key changes still take effect at once."""

from __future__ import annotations

from flask import session

from organizer.extensions import db
from organizer.sessions import CachedSerializerSessionInterface
from tests.conftest import make_test_app

KEY_A = "first-secret-key-for-session-tests-0123456789"
KEY_B = "second-secret-key-for-session-tests-9876543210"


def _app(database_url, **overrides):
    app = make_test_app(database_url, **overrides)

    @app.get("/_set/<value>")
    def set_value(value):
        session["value"] = value
        return "set"

    @app.get("/_get")
    def get_value():
        return session.get("value", "nothing")

    return app


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_app_uses_it_and_sessions_round_trip(database_url):
    app = _app(database_url, SECRET_KEY=KEY_A)
    assert isinstance(app.session_interface, CachedSerializerSessionInterface)
    client = app.test_client()
    client.get("/_set/kept")
    assert client.get("/_get").get_data(as_text=True) == "kept"
    assert app.session_interface.get_signing_serializer(app) is app.session_interface.get_signing_serializer(app)
    _dispose(app)


def test_a_new_key_rejects_old_cookies_unless_listed_as_fallback(database_url):
    app = _app(database_url, SECRET_KEY=KEY_A)
    client = app.test_client()
    client.get("/_set/kept")
    app.secret_key = KEY_B
    assert client.get("/_get").get_data(as_text=True) == "nothing"

    app.secret_key = KEY_A
    client.get("/_set/again")
    app.secret_key = KEY_B
    app.config["SECRET_KEY_FALLBACKS"] = [KEY_A]
    assert client.get("/_get").get_data(as_text=True) == "again"
    _dispose(app)
