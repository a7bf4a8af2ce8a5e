"""RSVPs added by hand at the desk (issue 14.7): the capacity rule of the public page, under its lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Event, OutboxMessage, Rsvp, RsvpStatus, User
from organizer.services.common.errors import PermissionDenied, ValidationFailed
from organizer.services.rsvp import capacity as rsvp_capacity
from organizer.services.rsvp import rsvps
from organizer.services.rsvp.opening import RsvpsClosed
from organizer.timeutil import utcnow
from tests import builders
from tests.concurrency import at_once
from tests.services.test_rsvp_concurrency import (  # noqa: F401  (wide_app: a fixture)
    ROUNDS,
    count_before_anyone_writes,
    outcome,
    wide_app,
)


@pytest.fixture
def team():
    return builders.make_team("door", "organizer")


def test_going_while_places_are_left_then_the_waitlist(team):
    event = builders.make_event(team["campaign"], capacity=3, max_guests=3, email_policy="required")
    first = rsvps.add_by_hand(team["organizer"], event, name="Phoned In", guests=1)  # no email: fine by hand
    second = rsvps.add_by_hand(team["organizer"], event, name="At The Desk", guests=1)
    db.session.commit()
    assert (first.status, second.status) == (RsvpStatus.GOING, RsvpStatus.WAITLISTED)
    assert second.waitlist_position == 1
    added = db.session.scalar(select(Rsvp).where(Rsvp.name == "Phoned In"))
    assert added.added_by_id == team["organizer"].id and added.email is None and not added.consent_contact


def test_an_address_gets_the_usual_confirmation_and_a_second_one_is_refused(team):
    event = builders.make_event(team["campaign"])
    rsvps.add_by_hand(team["organizer"], event, name="Rosa Mail", email="rosa@example.org")
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "rosa@example.org"))
    with pytest.raises(ValidationFailed, match="Rosa Mail already has an RSVP"):
        rsvps.add_by_hand(team["organizer"], event, name="Rosa Again", email="ROSA@example.org")


def test_after_the_deadline_yes_but_not_to_a_cancelled_event(team):
    event = builders.make_event(team["campaign"], rsvp_deadline=utcnow() - timedelta(hours=1))
    assert rsvps.add_by_hand(team["organizer"], event, name="Late Caller").status is RsvpStatus.GOING
    cancelled = builders.make_event(team["campaign"], slug="off", status="cancelled")
    with pytest.raises(RsvpsClosed):
        rsvps.add_by_hand(team["organizer"], cancelled, name="Too Late")


def test_only_those_who_manage_rsvps(team):
    event = builders.make_event(team["campaign"])
    with pytest.raises(PermissionDenied):
        rsvps.add_by_hand(team["door"], event, name="Not Allowed")


def add_together(app, event_id: int, organizer_id: int, people: int) -> list[BaseException]:
    """``people`` organizers' desks, each with its own connection, add an RSVP at once."""
    return at_once(app, people, lambda _index: (db.session.get(User, organizer_id), db.session.get(Event, event_id)),
                   lambda index, loaded: rsvps.add_by_hand(*loaded, name=f"Caller {index}"))


def desk_event(capacity: int) -> tuple[int, int]:
    owner = builders.make_user()  # an owner manages RSVPs
    event = builders.make_event(builders.make_campaign(owner=owner), capacity=capacity, email_policy="not_asked")
    ids = event.id, owner.id
    db.session.remove()
    return ids


@pytest.mark.postgres_only
def test_desks_adding_at_once_never_oversell(wide_app):
    for _round in range(ROUNDS // 2):
        event_id, organizer_id = desk_event(3)
        errors = add_together(wide_app, event_id, organizer_id, 12)
        assert not errors, errors
        assert outcome(event_id) == (3, 9), f"round {_round}"


@pytest.mark.postgres_only
def test_control_without_the_lock_desks_oversell(wide_app, monkeypatch):
    """The same rush with the event lock switched off and every desk counting before anyone writes:
    oversold, so the test above can see a missing lock."""
    monkeypatch.setattr(rsvp_capacity, "lock_for_new_rsvp", lambda event: None)
    reads = count_before_anyone_writes(monkeypatch, 12)
    event_id, organizer_id = desk_event(3)
    errors = add_together(wide_app, event_id, organizer_id, 12)
    assert not errors, errors
    assert len(reads) == 12
    assert outcome(event_id)[0] > 3, "without the lock the event should have been oversold"
