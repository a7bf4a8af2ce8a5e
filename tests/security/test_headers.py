"""Security headers on every response, HSTS in production, and no caching of personal pages."""

from __future__ import annotations

import pytest

from organizer.security import CONTENT_SECURITY_POLICY
from tests import builders

PAGES = ["/auth/login", "/auth/signup", "/auth/reset", "/auth/check-email", "/no-such-page", "/auth/reset/bad-token"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain http in development and tests


def test_the_policy_allows_only_our_own_origin_and_no_inline_script():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "*" not in CONTENT_SECURITY_POLICY


def test_error_responses_carry_the_headers_too(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/auth/logout")  # no CSRF token: 400
    assert response.status_code == 400
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"


def test_production_sends_hsts(production_app):
    client = production_app().test_client()
    response = client.get("/auth/login", base_url="https://organizer.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_pages_for_signed_in_people_are_never_stored(client, login):
    login(builders.make_user())
    for path in ["/auth/password", "/manage/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
