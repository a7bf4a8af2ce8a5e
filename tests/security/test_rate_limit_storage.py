"""Rate limits held in Redis (RATELIMIT_STORAGE_URI), so they hold across gunicorn workers."""

from __future__ import annotations

import os
import socket

import pytest
import redis

from organizer.extensions import db, limiter
from tests import builders
from tests.conftest import make_test_app

REDIS_URI = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up() and not os.environ.get("CI"),
                    reason="Redis is not running on 127.0.0.1:6379 (.ci/run starts it)")
def test_rsvp_limit_is_counted_in_redis_and_shared_by_two_app_instances(database_url):
    was_enabled = limiter.enabled  # one limiter object is shared by every app in this process
    settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URI, RSVP_RATE_LIMIT="2 per minute",
                    WTF_CSRF_ENABLED=False)
    first_worker = make_test_app(database_url, **settings)
    try:
        with first_worker.app_context():
            limiter.reset()
            builders.make_event(builders.make_campaign(), slug="redis-limited")
            codes = [first_worker.test_client().post("/e/redis-limited/rsvp", data={"name": f"P{i}"}).status_code
                     for i in range(2)]
            assert codes == [303, 303]
            assert "Redis" in type(limiter.storage).__name__
            stored = redis.Redis.from_url(REDIS_URI)
            assert stored.keys("LIMITS:LIMITER/*/rsvp.submit/*"), "the counts live in Redis, not in this process"
            stored.close()
            db.session.remove()
            db.engine.dispose()

        # A second app, as a second gunicorn worker would, finds the count already there.
        second_worker = make_test_app(database_url, **settings)
        with second_worker.app_context():
            response = second_worker.test_client().post("/e/redis-limited/rsvp", data={"name": "P3"})
            assert response.status_code == 429
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.reset()
        limiter.enabled = was_enabled
