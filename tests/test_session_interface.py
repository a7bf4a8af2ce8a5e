"""Sessions are Flask's own signed cookies and CSRF tokens Flask-WTF's own: what they must keep doing."""

from __future__ import annotations

from flask import flash, get_flashed_messages, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf

from organizer import pagecache
from organizer.extensions import db
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

    @app.get("/_flash")
    def add_flash():
        flash("Saved for you.", "success")  # a tuple in the session: Flask's tagged JSON
        return "ok"

    @app.get("/_flashes")
    def read_flashes():
        return " | ".join(message for _category, message in get_flashed_messages(with_categories=True))

    return app


def _dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_app_uses_flasks_session_interface_and_sessions_round_trip(database_url):
    app = _app(database_url, SECRET_KEY=KEY_A)
    # Flask's own, with one hook overridden (assets leave the cookie alone, the test below).
    assert type(app.session_interface).__mro__[1] is SecureCookieSessionInterface
    client = app.test_client()
    client.get("/_set/kept")
    assert client.get("/_get").get_data(as_text=True) == "kept"
    client.get("/_flash")
    assert client.get("/_flashes").get_data(as_text=True) == "Saved for you."
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


def test_the_token_a_cached_page_carries_passes_flask_wtfs_check(database_url):
    app = _app(database_url, SECRET_KEY=KEY_A)
    with app.test_request_context("/"):
        html = pagecache._page(f"<input value='{pagecache._placeholder()}'>", shared=False, seconds=5).get_data(as_text=True)
        token = html.split("value='", 1)[1].split("'", 1)[0]
        assert token and pagecache._placeholder() not in html
        validate_csrf(token)  # raises if Flask-WTF disagrees
        assert session["csrf_token"]
    _dispose(app)


def test_an_asset_leaves_the_session_cookie_alone_while_pages_refresh_it(database_url):
    """A stylesheet still loading from the previous page must not put back the cookie it left with (it
    would drop a flash message or a sign-in made in between): assets send no Set-Cookie at all."""
    app = _app(database_url)
    client = app.test_client()
    client.get("/_set/kept")
    with client.session_transaction() as sess:
        sess.permanent = True  # as after signing in: refreshed on every request
    assert "Set-Cookie" in client.get("/_get").headers
    for asset in ("/static/css/app.css", "/favicon.ico"):
        response = client.get(asset)
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        response.close()
    assert client.get("/_get").get_data(as_text=True) == "kept"
    _dispose(app)
