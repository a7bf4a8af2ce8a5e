"""Two phones at once, on PostgreSQL: the same RSVP checked in from two connections gives one check-in."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

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


ROUNDS = 20


def _both_read_before_either_writes(monkeypatch):
    """Make every tap read the log, then wait until the other phone has read it too, before it
    writes: the worst interleaving, forced on every round. The seam is the read ``check_in`` runs
    today (``_record`` -> ``_entry_with_key_and_latest``); only each thread's first read waits, so
    the loser's re-read after its insert did nothing goes straight through."""
    barrier = threading.Barrier(2, timeout=10)
    real_read = checkins._entry_with_key_and_latest
    state = threading.local()
    reads = []

    def read_then_wait(rsvp_id, key):
        found = real_read(rsvp_id, key)
        if not getattr(state, "waited", False):
            state.waited = True
            reads.append(found)
            barrier.wait()
        return found

    monkeypatch.setattr(checkins, "_entry_with_key_and_latest", read_then_wait)
    return reads


def _two_phones_tap(app, rsvp_id, round_):
    def tap(index):
        phone_rsvp = db.session.get(Rsvp, rsvp_id)
        result = checkins.check_in(phone_rsvp, idempotency_key=f"phone-{index}-round-{round_}")
        db.session.commit()
        return result.changed

    return _run_together(app, tap)


def _check_ins_of(rsvp_id):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.rsvp_id == rsvp_id))


def _fresh_rsvp():
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()))
    rsvp, _, _ = builders.make_rsvp(event)
    rsvp_id = rsvp.id
    db.session.remove()
    return rsvp_id


def test_same_rsvp_from_two_connections_gives_one_check_in(app, monkeypatch):
    reads = _both_read_before_either_writes(monkeypatch)
    for round_ in range(ROUNDS):
        reads.clear()
        rsvp_id = _fresh_rsvp()
        changed = _two_phones_tap(app, rsvp_id, round_)
        # Both phones saw "not checked in" (the race really happened) ...
        assert reads == [(None, None), (None, None)], f"round {round_}: {reads}"
        # ... and still one wrote and the other found it done.
        assert sorted(changed) == [False, True], f"round {round_}"
        assert _check_ins_of(rsvp_id) == 1, f"round {round_}"


@pytest.fixture
def without_the_unique_sequence(app):
    """The protection removed: no unique (rsvp_id, sequence), so ON CONFLICT has nothing to conflict
    with. Put back afterwards (and the table emptied first, or two entries with one sequence would
    stop it from coming back)."""
    with db.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE check_in DROP CONSTRAINT {UNIQUE_SEQUENCE}"))
    try:
        yield
    finally:
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM check_in"))
            connection.execute(text(
                f"ALTER TABLE check_in ADD CONSTRAINT {UNIQUE_SEQUENCE} UNIQUE (rsvp_id, sequence)"))


UNIQUE_SEQUENCE = "uq_check_in_rsvp_id_sequence"


def test_control_without_the_unique_sequence_the_same_race_checks_in_twice(
        app, monkeypatch, without_the_unique_sequence):
    """The same forced interleaving with the unique index gone: both phones write, the person is
    checked in twice, and the assertions of the test above would fail. So that test can see the race."""
    reads = _both_read_before_either_writes(monkeypatch)
    rsvp_id = _fresh_rsvp()
    changed = _two_phones_tap(app, rsvp_id, 0)
    assert reads == [(None, None), (None, None)]
    assert changed == [True, True]
    assert _check_ins_of(rsvp_id) == 2


def test_same_key_from_two_connections_counts_once(app, monkeypatch):
    """A retried request arriving on a second connection while the first is still writing: both
    find no entry with their key, both write, and the key lets only one through."""
    reads = _both_read_before_either_writes(monkeypatch)
    rsvp_id = _fresh_rsvp()

    def retry(index):
        result = checkins.check_in(db.session.get(Rsvp, rsvp_id), idempotency_key="the-same-tap-key")
        db.session.commit()
        return result.checked_in, result.changed

    results = _run_together(app, retry)
    assert reads == [(None, None), (None, None)]
    assert sorted(results) == [(True, False), (True, True)]
    assert _check_ins_of(rsvp_id) == 1


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
