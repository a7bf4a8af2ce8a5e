"""Organizers approving many requests at the same moment, each on their own database connection (several
organizers at several laptops, or one pressing "Approve selected" twice): exactly the capacity goes in
and the rest are waitlisted, in every round. With the lock switched off the same check sees the
oversell, so it is known to detect one."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Event, Rsvp, RsvpStatus, User
from organizer.services.rsvp import approval, rsvps
from organizer.services.rsvp import capacity as rsvp_capacity
from tests import builders
from tests.concurrency import at_once
from tests.services.test_rsvp_concurrency import wide_app  # noqa: F401  (the fixture: a pool for every thread)

ROUNDS = 10


def requests_for(capacity: int, people: int) -> tuple[int, int, list[int]]:
    """A fresh event on approval with ``people`` requests; (event id, organizer id, request ids)."""
    owner = builders.make_user()
    event = builders.make_event(builders.make_campaign(owner=owner), capacity=capacity, email_policy="not_asked",
                                requires_approval=True)
    for index in range(people):
        rsvps.create_rsvp(event, name=f"Supporter {index}")
    db.session.commit()
    ids = list(db.session.scalars(select(Rsvp.id).where(Rsvp.event_id == event.id)))
    event_id, owner_id = event.id, owner.id
    db.session.remove()
    return event_id, owner_id, ids


def approve_together(app, event_id: int, owner_id: int, batches: list[list[int]]) -> list[BaseException]:
    """One organizer per batch, each on their own connection, approving at once."""
    return at_once(app, len(batches), lambda _index: (db.session.get(User, owner_id), db.session.get(Event, event_id)),
                   lambda index, loaded: approval.approve(*loaded, batches[index]))


def outcome(event_id: int) -> dict[RsvpStatus, int]:
    db.session.expire_all()
    return dict(db.session.execute(
        select(Rsvp.status, func.count(Rsvp.id)).where(Rsvp.event_id == event_id).group_by(Rsvp.status)).all())


@pytest.mark.postgres_only
@pytest.mark.parametrize(("capacity", "people"), [(1, 20), (5, 30)])
def test_approving_many_at_once_never_oversells(wide_app, capacity, people):  # noqa: F811
    for _round in range(ROUNDS):
        event_id, owner_id, ids = requests_for(capacity, people)
        # Each request in its own thread, and a second organizer approving everyone at once besides.
        errors = approve_together(wide_app, event_id, owner_id, [[rsvp_id] for rsvp_id in ids] + [ids])
        assert not errors, errors
        assert outcome(event_id) == {RsvpStatus.GOING: capacity, RsvpStatus.WAITLISTED: people - capacity}, \
            f"round {_round}"


@pytest.mark.postgres_only
@pytest.mark.parametrize(("capacity", "people"), [(1, 20), (5, 30)])
def test_control_without_the_lock_the_same_check_sees_the_oversell(wide_app, monkeypatch, capacity,  # noqa: F811
                                                                   people):
    """Switch the lock off and let every organizer count the places before anyone writes (the
    interleaving the lock exists to prevent): the event is oversold, and the check above would fail."""
    event_id, owner_id, ids = requests_for(capacity, people)  # taken with the real rules
    monkeypatch.setattr(rsvp_capacity, "lock_event", lambda event_id: db.session.get(Event, event_id))
    counted = threading.Barrier(people, timeout=30)
    real_summary, counts = rsvp_capacity.summary, []

    def summary_then_wait(event):
        result = real_summary(event)
        counts.append(result)
        counted.wait()
        return result

    monkeypatch.setattr(rsvp_capacity, "summary", summary_then_wait)
    errors = approve_together(wide_app, event_id, owner_id, [[rsvp_id] for rsvp_id in ids])
    assert not errors, errors
    assert len(counts) == people  # every organizer counted before anyone wrote: forced, not by chance
    going = outcome(event_id).get(RsvpStatus.GOING, 0)
    assert going > capacity, "without the lock the event should have been oversold"


def test_sqlite_and_postgres_both_serialize_a_few_approvals(wide_app):  # noqa: F811
    """The same race on whichever database the suite runs (SQLite takes its write lock first)."""
    for _round in range(3):
        event_id, owner_id, ids = requests_for(2, 6)
        errors = approve_together(wide_app, event_id, owner_id, [[rsvp_id] for rsvp_id in ids])
        assert not errors, errors
        assert outcome(event_id) == {RsvpStatus.GOING: 2, RsvpStatus.WAITLISTED: 4}
