"""Public pages cached in Redis are shared by every worker and node; a Redis that fails costs a render."""

from __future__ import annotations

import os

import pytest

from organizer.cachestore import LocalStore, RedisStore
from organizer.extensions import db
from organizer.models import Event
from tests import builders
from tests.conftest import make_test_app
from tests.security.helpers import csrf_from, csrf_secret_of
from tests.security.test_rate_limit_storage import redis_is_up
from tests.test_pagecache import dispose

REDIS_URI = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
needs_redis = pytest.mark.skipif(not redis_is_up() and not os.environ.get("CI"),
                                 reason="Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")


@pytest.fixture
def two_workers(database_url):
    """Two app instances, as two gunicorn workers (or two nodes) sharing one Redis."""
    apps = [make_test_app(database_url, PUBLIC_CACHE_SECONDS=30, CACHE_REDIS_URL=REDIS_URI) for _ in range(2)]
    for app in apps:
        reached = app.reached_flask = []
        app.before_request(lambda reached=reached: reached.append(1))
    apps[0].extensions["page_cache"].clear()
    apps[0].extensions["shared_cache"].clear()
    yield apps
    apps[0].extensions["page_cache"].clear()
    apps[0].extensions["shared_cache"].clear()
    for app in apps:
        dispose(app)


@needs_redis
def test_a_page_one_worker_rendered_is_what_the_other_serves(two_workers):
    first, second = two_workers
    assert isinstance(first.extensions["page_cache"], RedisStore)
    event = builders.make_event(builders.make_campaign(), slug="shared", title="Before the change")
    event_id = event.id

    # A visitor without a session: the whole response is shared, answered before Flask.
    assert "Before the change" in first.test_client().get("/e/shared").get_data(as_text=True)
    db.session.get(Event, event_id).title = "After the change"
    db.session.commit()
    again = second.test_client().get("/e/shared")
    assert "Before the change" in again.get_data(as_text=True) and "Age" in again.headers
    assert second.reached_flask == []

    # A visitor with a session: the page from Redis, with their own token put in.
    visitor = second.test_client()
    token = visitor.get("/csrf-token").get_json()["csrf_token"]
    page = visitor.get("/e/shared").get_data(as_text=True)
    assert "Before the change" in page and "placeholder" not in page
    assert csrf_secret_of(csrf_from(page)) == csrf_secret_of(token)


def test_a_redis_that_does_not_answer_is_a_miss_not_an_error(database_url, caplog):
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=30, CACHE_REDIS_URL="redis://127.0.0.1:9/0")
    builders.make_event(builders.make_campaign(), slug="no-redis", title="Still here")
    for _ in range(2):
        response = app.test_client().get("/e/no-redis")
        assert response.status_code == 200 and "Still here" in response.get_data(as_text=True)
    assert "Redis unavailable" in caplog.text
    dispose(app)


def test_without_redis_each_app_keeps_its_own(database_url):
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=30)
    assert isinstance(app.extensions["page_cache"], LocalStore)
    assert isinstance(app.extensions["shared_cache"].store, LocalStore)
    dispose(app)
