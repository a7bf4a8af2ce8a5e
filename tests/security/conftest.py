"""Apps with production settings, or with the rate limiter on, built on the test database.

Each app gets its own engine; it is disposed after the test (PostgreSQL connections must not be
left for the garbage collector, which warns about them).
"""

from __future__ import annotations

import pytest

from organizer import create_app
from organizer.config import ProductionConfig
from organizer.extensions import db
from tests.conftest import make_test_app

STRONG_KEY = "k3y-0f-4t-l3ast-32-rand0m-charact3rs-XYZ"
OLD_KEY = "an-older-key-still-random-enough-0123456789"


@pytest.fixture
def built_apps():
    apps = []
    yield apps
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def test_app(database_url, built_apps):
    """make_test_app with overrides, disposed after the test."""

    def build(**overrides):
        app = make_test_app(database_url, **overrides)
        built_apps.append(app)
        return app

    return build


@pytest.fixture
def production_app(database_url, built_apps):
    """ProductionConfig as deployed, with only the secret, database and site address filled in."""

    def build(**overrides):
        attributes = {"SECRET_KEY": STRONG_KEY, "SQLALCHEMY_DATABASE_URI": database_url,
                      "BASE_URL": "https://organizer.example", "TRUSTED_HOSTS": ["organizer.example"],
                      "RATELIMIT_ENABLED": False}
        attributes.update(overrides)
        app = create_app(type("DeployedConfig", (ProductionConfig,), attributes))
        built_apps.append(app)
        return app

    return build


@pytest.fixture
def limited_app(test_app):
    """The test config with the rate limiter on and small limits (the session app has it off)."""

    def build(**overrides):
        settings = dict(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False,
                        LOGIN_RATE_LIMIT="5 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute",
                        SIGNUP_RATE_LIMIT="4 per minute", RESET_RATE_LIMIT="4 per minute",
                        EMAIL_RATE_LIMIT="2 per minute")
        settings.update(overrides)
        return test_app(**settings)

    return build
