"""Secrets and deployment settings: production refuses weak keys, rotates keys, trusts only its host."""

from __future__ import annotations

import pytest

from organizer import create_app
from organizer.config import DevelopmentConfig, ProductionConfig
from organizer.security import InsecureConfigError
from tests import builders
from tests.security.conftest import OLD_KEY, STRONG_KEY
from tests.security.helpers import is_signed_in


@pytest.mark.parametrize("weak", [
    None, "", "dev-only-secret-key-change-me", "secret", "changeme", "short-key",
    "x" * 64,  # long but no entropy
    "test-secret-key-with-enough-length-1234567890",  # the test suite's key
])
def test_production_refuses_a_missing_default_or_short_secret_key(production_app, weak):
    with pytest.raises(InsecureConfigError, match="SECRET_KEY"):
        production_app(SECRET_KEY=weak)


def test_production_refuses_a_weak_fallback_key(production_app):
    with pytest.raises(InsecureConfigError, match="SECRET_KEY_FALLBACKS"):
        production_app(SECRET_KEY_FALLBACKS=["old"])


def test_production_starts_with_strong_keys(production_app):
    app = production_app(SECRET_KEY_FALLBACKS=[OLD_KEY])
    assert app.config["SECRET_KEY"] == STRONG_KEY


def test_the_shipped_production_config_refuses_the_default_key():
    """Without SECRET_KEY in the environment, ProductionConfig carries the development default."""
    assert ProductionConfig.REQUIRE_STRONG_SECRET_KEY
    with pytest.raises(InsecureConfigError):
        create_app(type("Unset", (ProductionConfig,), {"SECRET_KEY": DevelopmentConfig.SECRET_KEY}))


def test_development_runs_with_the_default_key(database_url, built_apps):
    app = create_app(type("Dev", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    built_apps.append(app)
    assert not app.config["REQUIRE_STRONG_SECRET_KEY"]


def test_production_cookie_and_transport_settings(production_app):
    config = production_app().config
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert config["HSTS"] and config["PREFERRED_URL_SCHEME"] == "https"


def test_trusted_hosts_default_to_the_host_of_base_url():
    assert ProductionConfig.TRUSTED_HOSTS  # never None: Host headers are always checked in production


def test_production_answers_only_its_own_host(production_app):
    client = production_app().test_client()
    assert client.get("/auth/login", base_url="https://organizer.example").status_code == 200
    assert client.get("/auth/login", base_url="https://evil.example").status_code == 400
    assert client.get("/auth/login", headers={"Host": "evil.example"},
                      base_url="https://organizer.example").status_code == 400


def test_production_session_cookie_is_secure_httponly_lax_and_host_only(production_app, database_url):
    builders.make_user("sam@example.org")
    app = production_app(WTF_CSRF_ENABLED=False)
    client = app.test_client()
    response = client.post("/auth/login", base_url="https://organizer.example",
                           data={"email": "sam@example.org", "password": builders.DEFAULT_PASSWORD})
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Expires="):
        assert flag in cookie
    assert "Domain=" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_cookie_signed_with_the_previous_key_still_works(test_app):
    """Rotation: the new key signs, SECRET_KEY_FALLBACKS still verify (Flask 3.1)."""
    user = builders.make_user("sam@example.org")
    old_app = test_app(SECRET_KEY=OLD_KEY)
    old_client = old_app.test_client()
    with old_client.session_transaction() as session:
        session["_user_id"] = user.get_id()
    cookie = old_client.get_cookie("session").value

    rotated = test_app(SECRET_KEY=STRONG_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY]).test_client()
    rotated.set_cookie("session", cookie)
    assert is_signed_in(rotated)

    forgotten = test_app(SECRET_KEY=STRONG_KEY).test_client()
    forgotten.set_cookie("session", cookie)
    assert not is_signed_in(forgotten)


def test_proxy_count_takes_the_client_address_from_the_proxy(test_app):
    from flask import request

    app = test_app(PROXY_COUNT=1)
    seen = []
    app.before_request(lambda: seen.append((request.remote_addr, request.scheme)))
    app.test_client().get("/auth/login", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen[-1] == ("203.0.113.9", "https")

    plain = test_app()
    plain_seen = []
    plain.before_request(lambda: plain_seen.append(request.remote_addr))
    plain.test_client().get("/auth/login", headers={"X-Forwarded-For": "203.0.113.9"},
                            environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert plain_seen[-1] == "10.0.0.1"  # without a proxy, a forged header changes nothing
