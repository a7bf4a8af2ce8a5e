"""Two phones at once, on PostgreSQL: the same RSVP checked in from two connections gives one check-in."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import CheckIn, CrowdCountEntry, Rsvp
from organizer.services.door import checkins, crowd
from tests import builders

pytestmark = pytest.mark.postgres_only


def _run_together(app, work, count=2):
    """Run ``work(index)`` in ``count`` threads, each with its own app context, session and connection."""
    errors: list[BaseException] = []
    results: list[object] = [None] * count

    def runner(index):
        try:
            with app.app_context():
                try:
                    results[index] = work(index)
                finally:
                    db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


@pytest.mark.parametrize("round_", range(20))
def test_same_rsvp_from_two_connections_gives_one_check_in(app, monkeypatch, round_):
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()))
    rsvp, _, _ = builders.make_rsvp(event)
    rsvp_id = rsvp.id
    db.session.remove()

    # Both phones read "not checked in" before either writes: the worst interleaving, every time.
    barrier = threading.Barrier(2, timeout=10)
    real_latest = checkins.latest_entry
    first_read = threading.local()

    def latest_then_wait(r):
        entry = real_latest(r)
        if not getattr(first_read, "done", False):
            first_read.done = True
            barrier.wait()
        return entry

    monkeypatch.setattr(checkins, "latest_entry", latest_then_wait)

    def tap(index):
        phone_rsvp = db.session.get(Rsvp, rsvp_id)
        result = checkins.check_in(phone_rsvp, idempotency_key=f"phone-{index}-round-{round_}")
        db.session.commit()
        return result.changed

    changed = _run_together(app, tap)
    assert sorted(changed) == [False, True]  # one phone wrote, the other found it done
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.rsvp_id == rsvp_id)) == 1


def test_same_key_from_two_connections_counts_once(app):
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()))
    rsvp, _, _ = builders.make_rsvp(event)
    rsvp_id = rsvp.id
    db.session.remove()
    barrier = threading.Barrier(2, timeout=10)

    def retry(index):
        barrier.wait()
        result = checkins.check_in(db.session.get(Rsvp, rsvp_id), idempotency_key="the-same-tap-key")
        db.session.commit()
        return result.checked_in

    assert _run_together(app, retry) == [True, True]
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_crowd_taps_from_many_phones_all_count(app):
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()))
    event_id = event.id
    db.session.remove()
    barrier = threading.Barrier(6, timeout=10)

    def tap(index):
        from organizer.models import Event

        barrier.wait()
        crowd.add(db.session.get(Event, event_id), 10 if index % 2 else 1)
        db.session.commit()

    _run_together(app, tap, count=6)
    total = db.session.scalar(select(func.sum(CrowdCountEntry.delta)).where(CrowdCountEntry.event_id == event_id))
    assert total == 33


def test_crowd_minus_from_many_phones_never_below_zero(app):
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()))
    crowd.add(event, 2)
    db.session.commit()
    event_id = event.id
    db.session.remove()
    barrier = threading.Barrier(5, timeout=10)

    def tap(index):
        from organizer.models import Event

        barrier.wait()
        crowd.add(db.session.get(Event, event_id), -1)
        db.session.commit()

    _run_together(app, tap, count=5)
    total = db.session.scalar(select(func.sum(CrowdCountEntry.delta)).where(CrowdCountEntry.event_id == event_id))
    assert total == 0
