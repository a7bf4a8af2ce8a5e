"""Door counts agree on every phone (issue 14.2): exact from the database, or shared in Redis
(CACHE_REDIS_URL) and dropped after every commit that changes them; never adjusted by hand, never
negative. Tests with Redis use database 8 of the local Redis and skip without one."""

from __future__ import annotations

import pytest
import redis

from organizer.extensions import db
from organizer.services.door import checkins, crowd
from organizer.services.door import counts as door_counts
from organizer.services.rsvp import rsvps
from tests import builders

REDIS_URL = "redis://127.0.0.1:6379/8"


@pytest.fixture
def event():
    return builders.make_event(builders.make_campaign(owner=builders.make_user()))


@pytest.fixture
def shared(app, monkeypatch):
    """The app counting through Redis, as every node of a deployment with CACHE_REDIS_URL does."""
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    client.flushdb()
    monkeypatch.setitem(app.config, "CACHE_REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "DOOR_COUNTS_SECONDS", 60)
    yield client
    client.flushdb()


def test_without_a_shared_cache_every_count_is_exact(event):
    first, _m, _t = builders.make_rsvp(event, name="First", email=None)
    assert door_counts.attendance(event).going_rsvps == 1
    builders.make_rsvp(event, name="Written elsewhere", email=None)
    assert door_counts.attendance(event).going_rsvps == 2
    checkins.check_in(first)
    db.session.commit()
    assert door_counts.attendance(event).checked_in_rsvps == 1


def test_shared_figures_are_reused_and_dropped_after_each_commit_that_changes_them(event, shared, monkeypatch):
    alone, _m, _t = builders.make_rsvp(event, name="Alone", email=None)
    party, _m, _t = builders.make_rsvp(event, name="With Guests", email=None, guests=2)
    assert door_counts.attendance(event).going_rsvps == 2

    counted = []
    real = door_counts.attendances
    monkeypatch.setattr(door_counts, "attendances", lambda events: counted.append(1) or real(events))
    assert door_counts.attendance(event).going_rsvps == 2 and counted == []  # reused from Redis

    checkins.check_in(alone)
    assert door_counts.attendance(event).checked_in_rsvps == 0  # not committed: the shared entry stands
    db.session.commit()
    assert door_counts.attendance(event).checked_in_rsvps == 1 and counted == [1]
    for change in (lambda: checkins.check_in(party), lambda: checkins.undo(alone),
                   lambda: checkins.walk_in(event, "Walked In"), lambda: crowd.add(event, 7)):
        change()
        db.session.commit()
    figures = door_counts.attendance(event)
    assert figures == real([event])[event.id]
    assert (figures.checked_in_rsvps, figures.checked_in_people, figures.walk_ins, figures.crowd) == (1, 3, 1, 7)

    # An RSVP taken or cancelled through the RSVP service changes "going" too.
    rsvps.cancel_rsvp(party)
    db.session.commit()
    assert door_counts.attendance(event).going_rsvps == 1


def test_a_rollback_leaves_the_shared_figures(event, shared, monkeypatch):
    alone, _m, _t = builders.make_rsvp(event, name="Alone", email=None)
    door_counts.attendance(event)
    before = shared.get(f"organizer:door:generation:{event.id}")
    checkins.check_in(alone)
    db.session.rollback()
    assert shared.get(f"organizer:door:generation:{event.id}") == before  # not bumped: nothing changed
    db.session.commit()  # a later commit of nothing does not drop it either
    assert shared.get(f"organizer:door:generation:{event.id}") == before


def test_a_count_begun_before_a_commit_and_stored_after_it_is_never_read(event, shared):
    alone, _m, _t = builders.make_rsvp(event, name="Alone", email=None)
    store = door_counts._store()  # noqa: SLF001
    generation = store.generation(event.id)
    stale = door_counts.attendances([event])[event.id]  # another worker counts...
    checkins.check_in(alone)  # ...while this one checks someone in and commits
    db.session.commit()
    store.put(event.id, generation, stale, 60)  # ...and then the first stores what it counted
    assert door_counts.attendance(event).checked_in_rsvps == 1


def test_figures_are_never_negative(event, shared):
    shared.set(f"organizer:door:figures:{event.id}", b"0 1,1,-1,-1,0,-3")  # however they got there
    figures = door_counts.attendance(event)
    assert min(figures.checked_in_rsvps, figures.checked_in_people, figures.crowd) >= 0
