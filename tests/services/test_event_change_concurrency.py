"""An organizer pressing "Cancel event" twice, or two organizers moving the same meeting at once, each request
on its own database connection: everyone is told once. With the event's lock switched off the same check
sees every supporter emailed twice, so it is known to detect it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Event, OutboxMessage, User
from organizer.services.common.errors import Conflict
from organizer.services.events import events as event_rules
from organizer.services.rsvp import capacity as rsvp_capacity
from organizer.services.rsvp import notify
from tests import builders
from tests.concurrency import at_once
from tests.services.test_rsvp_concurrency import wide_app  # noqa: F401  (the fixture: a pool for every thread)

PEOPLE = 4


def published_event_with_people() -> tuple[int, int]:
    owner = builders.make_user()
    event = builders.make_event(builders.make_campaign(owner=owner))
    for index in range(PEOPLE):
        builders.make_rsvp(event, name=f"Supporter {index}", email=f"supporter{index}@example.org")
    db.session.commit()
    event_id, owner_id = event.id, owner.id
    db.session.remove()
    return event_id, owner_id


def cancel(actor: User, event: Event) -> None:
    event_rules.cancel_event(actor, event, note="We've moved to the hall next door.")


def move(actor: User, event: Event) -> None:
    data = event_rules.event_input_from(event)
    data.starts_local += timedelta(hours=1)
    data.ends_local += timedelta(hours=1)
    event_rules.update_event(actor, event, data)


def press_together(app, event_id: int, owner_id: int, action) -> list[BaseException]:
    """Two presses, each on its own connection, with the event as its page showed it."""
    return at_once(app, 2, lambda _index: (db.session.get(User, owner_id), db.session.get(Event, event_id)),
                   lambda _index, loaded: action(*loaded))


def mails_written() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.renderer == notify.EVENT_CHANGED)) or 0)


@pytest.mark.parametrize("action", [cancel, move])
def test_pressed_twice_at_once_everyone_is_told_once(wide_app, action):  # noqa: F811
    for _round in range(3 if db.engine.dialect.name == "sqlite" else 8):
        db.session.execute(db.delete(OutboxMessage))
        db.session.commit()
        event_id, owner_id = published_event_with_people()
        errors = press_together(wide_app, event_id, owner_id, action)
        # A second cancel is refused ("already cancelled"); a second move finds nothing to move.
        assert all(isinstance(error, Conflict) for error in errors), errors
        assert mails_written() == PEOPLE, f"round {_round}"


@pytest.mark.postgres_only
@pytest.mark.parametrize("action", [cancel, move])
def test_control_without_the_lock_everyone_is_told_twice(wide_app, monkeypatch, action):  # noqa: F811
    monkeypatch.setattr(rsvp_capacity, "lock_event", lambda event_id: db.session.get(Event, event_id))
    event_id, owner_id = published_event_with_people()
    errors = press_together(wide_app, event_id, owner_id, action)
    assert not errors, errors
    assert mails_written() == 2 * PEOPLE, "without the lock both presses should have told everyone"
