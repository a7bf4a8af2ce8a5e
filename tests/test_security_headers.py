"""Every response carries the security headers; a header a view sets itself is kept, not doubled."""

from __future__ import annotations

from flask import make_response

from organizer.extensions import db
from organizer.security import CONTENT_SECURITY_POLICY
from tests.conftest import make_test_app


def test_defaults_are_added_once_and_a_views_own_header_wins(database_url):
    app = make_test_app(database_url, HSTS=True)

    @app.get("/_plain")
    def plain():
        return "plain"

    @app.get("/_cached")
    def cached():
        response = make_response("cached")
        response.headers["Cache-Control"] = "public, max-age=5"
        response.headers["x-frame-options"] = "SAMEORIGIN"
        return response

    client = app.test_client()
    headers = client.get("/_plain").headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["Strict-Transport-Security"].startswith("max-age=")

    own = client.get("/_cached").headers
    assert own.getlist("Cache-Control") == ["public, max-age=5"]
    assert own.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert own["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_no_hsts_unless_configured(database_url):
    app = make_test_app(database_url, HSTS=False)

    @app.get("/_plain")
    def plain():
        return "plain"

    assert "Strict-Transport-Security" not in app.test_client().get("/_plain").headers
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
