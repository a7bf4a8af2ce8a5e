"""Many supporters press RSVP at the same moment, each on their own database connection: exactly the
capacity is going and the rest are waitlisted, in every round. With the lock switched off the same
check sees the oversell, so it is known to detect one."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Event, Rsvp, RsvpStatus
from organizer.services.rsvp import capacity as rsvp_capacity
from organizer.services.rsvp import rsvps
from tests import builders
from tests.concurrency import at_once
from tests.conftest import make_test_app

ROUNDS = 20


@pytest.fixture(scope="module")
def wide_app(database_url):
    """A second app on the same database whose pool holds a connection for every thread."""
    app = make_test_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 35, "max_overflow": 0,
                                                                 "pool_timeout": 30})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def press_together(app, event_id: int, people: int) -> list[BaseException]:
    """``people`` supporters press RSVP at once, each on their own connection."""
    return at_once(app, people, lambda _index: db.session.get(Event, event_id),
                   lambda index, event: rsvps.create_rsvp(event, name=f"Supporter {index}"))


def count_before_anyone_writes(monkeypatch, people: int) -> list[object]:
    """Make each of ``people`` RSVPs wait, once it has made the read the lock protects (the places
    taken, the form's key, an earlier RSVP with its address), until all of them have read: the
    interleaving the lock exists to prevent. Returns the reads made, for the test to check that this
    interleaving was forced, not left to chance."""
    counted = threading.Barrier(people, timeout=30)
    real_read, reads = rsvps.read_under_lock, []

    def read_then_wait(*args):
        found = real_read(*args)
        reads.append(found)
        counted.wait()
        return found

    monkeypatch.setattr(rsvps, "read_under_lock", read_then_wait)
    return reads


def outcome(event_id: int) -> tuple[int, int]:
    db.session.expire_all()
    rows = db.session.execute(
        select(Rsvp.status, func.count(Rsvp.id)).where(Rsvp.event_id == event_id).group_by(Rsvp.status)
    ).all()
    counts = dict(rows)
    return counts.get(RsvpStatus.GOING, 0), counts.get(RsvpStatus.WAITLISTED, 0)


def fresh_event(capacity: int) -> int:
    campaign = builders.make_campaign(owner=builders.make_user())
    event = builders.make_event(campaign, capacity=capacity, email_policy="not_asked")
    event_id = event.id
    db.session.remove()
    return event_id


@pytest.mark.postgres_only
@pytest.mark.parametrize(("capacity", "people"), [(1, 20), (5, 30)])
def test_exactly_the_capacity_goes_when_everyone_presses_at_once(wide_app, capacity, people):
    for _round in range(ROUNDS):
        event_id = fresh_event(capacity)
        errors = press_together(wide_app, event_id, people)
        assert not errors, errors
        assert outcome(event_id) == (capacity, people - capacity), f"round {_round}"
        positions = sorted(
            rsvp_capacity.waitlist_position(r) for r in db.session.scalars(
                select(Rsvp).where(Rsvp.event_id == event_id, Rsvp.status == RsvpStatus.WAITLISTED))
        )
        assert positions == list(range(1, people - capacity + 1))  # one queue, no ties


@pytest.mark.postgres_only
@pytest.mark.parametrize(("capacity", "people"), [(1, 20), (5, 30)])
def test_control_without_the_lock_the_same_check_sees_the_oversell(wide_app, monkeypatch, capacity, people):
    """Switch the lock off and let every supporter count the places before anyone writes (the
    interleaving the lock exists to prevent): the event is oversold, and the check above would fail."""
    monkeypatch.setattr(rsvp_capacity, "lock_for_new_rsvp", lambda event: None)
    reads = count_before_anyone_writes(monkeypatch, people)
    event_id = fresh_event(capacity)
    errors = press_together(wide_app, event_id, people)
    assert not errors, errors
    assert len(reads) == people
    going, waitlisted = outcome(event_id)
    assert going > capacity, "without the lock the event should have been oversold"
    assert (going, waitlisted) != (capacity, people - capacity)


def test_sqlite_and_postgres_both_serialize_a_small_rush(wide_app):
    """The same rush on whichever database the suite runs (SQLite takes its write lock first)."""
    for _round in range(3):
        event_id = fresh_event(2)
        errors = press_together(wide_app, event_id, 8)
        assert not errors, errors
        assert outcome(event_id) == (2, 6)


@pytest.mark.postgres_only
def test_an_rsvp_and_a_delete_at_the_same_moment_never_lose_the_rsvp(wide_app):
    """Deleting an event nobody has RSVPed to, while someone RSVPs: either the RSVP is refused
    (the event is gone) or the delete is (the event has an RSVP now). Never a confirmed RSVP that
    the delete's cascade then removes."""
    from organizer.services.common.errors import DomainError
    from organizer.services.events import events as event_rules

    outcomes = set()
    for _round in range(ROUNDS):
        owner = builders.make_user()
        event = builders.make_event(builders.make_campaign(owner=owner), email_policy="not_asked")
        event_id, owner_id = event.id, owner.id
        db.session.remove()
        barrier = threading.Barrier(2, timeout=30)
        saved: dict[str, bool] = {}
        errors: list[BaseException] = []

        def act(who: str) -> None:
            try:
                with wide_app.app_context():
                    try:
                        db.session.connection()
                        found = db.session.get(Event, event_id)
                        actor = db.session.get(type(owner), owner_id)
                        barrier.wait()
                        try:
                            if who == "supporter":
                                rsvps.create_rsvp(found, name="Amina")
                            else:
                                event_rules.delete_event(actor, found)
                            db.session.commit()
                            saved[who] = True
                        except DomainError:
                            db.session.rollback()
                            saved[who] = False
                    finally:
                        db.session.remove()
            except BaseException as error:  # noqa: BLE001 - the test reports it
                errors.append(error)

        threads = [threading.Thread(target=act, args=(who,)) for who in ("supporter", "organizer")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        db.session.expire_all()
        exists = db.session.get(Event, event_id) is not None
        rsvp_rows = db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.event_id == event_id))
        assert saved == {"supporter": exists, "organizer": not exists}, saved
        assert rsvp_rows == (1 if exists else 0)
        outcomes.add(exists)
    assert outcomes  # (which side wins each round is up to the scheduler)
