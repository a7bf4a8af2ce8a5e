"""Two tabs (or ten) open an event's RSVP list at the same moment, each on its own connection: the
access log still holds one entry for that person, event and day — the unique key decides, not a
check before the insert. The control run does check-then-insert and sees the duplicates."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import AccessEntry, AccessKind, Event, User
from organizer.services.privacy import access_log
from organizer.timeutil import utcnow
from tests import builders
from tests.conftest import make_test_app

TABS = 10


@pytest.fixture(scope="module")
def wide_app(database_url):
    app = make_test_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": TABS + 2, "max_overflow": 0,
                                                                 "pool_timeout": 30})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def open_together(app, event_id: int, user_id: int, look: Callable[[Event, User, threading.Barrier], None]):
    barrier = threading.Barrier(TABS, timeout=30)
    errors: list[BaseException] = []

    def tab() -> None:
        try:
            with app.app_context():
                try:
                    db.session.connection()
                    event, user = db.session.get(Event, event_id), db.session.get(User, user_id)
                    look(event, user, barrier)
                    db.session.commit()
                finally:
                    db.session.remove()
        except BaseException as error:  # noqa: BLE001 - the test reports it
            errors.append(error)

    threads = [threading.Thread(target=tab) for _ in range(TABS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def entries(event_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(AccessEntry.id)).where(AccessEntry.event_id == event_id)) or 0


def setup_ids() -> tuple[int, int]:
    user = builders.make_user()
    campaign = builders.make_campaign(owner=user)
    event = builders.make_event(campaign)
    ids = event.id, user.id
    db.session.remove()
    return ids


def protected(event, user, barrier) -> None:
    barrier.wait()
    access_log.record_list_view(event, user)


def check_then_insert(event, user, barrier) -> None:
    """What the unique key replaces: look for today's entry, then write one."""
    seen = db.session.scalar(select(AccessEntry.id).where(
        AccessEntry.event_id == event.id, AccessEntry.actor_id == user.id,
        AccessEntry.kind == AccessKind.LIST_VIEW.value))
    barrier.wait()
    if seen is None:
        access_log.record_access(event.campaign_id, AccessKind.LIST_VIEW, actor=user, event=event)


@pytest.mark.postgres_only
def test_tabs_opened_at_once_write_one_entry(wide_app):
    for _round in range(5):
        event_id, user_id = setup_ids()
        assert open_together(wide_app, event_id, user_id, protected) == []
        assert entries(event_id) == 1
        assert db.session.scalar(select(AccessEntry.once_key).where(AccessEntry.event_id == event_id)) == \
            f"list:{event_id}:{user_id}:{utcnow().date().isoformat()}"


@pytest.mark.postgres_only
def test_control_check_then_insert_writes_duplicates(wide_app):
    event_id, user_id = setup_ids()
    assert open_together(wide_app, event_id, user_id, check_then_insert) == []
    assert entries(event_id) > 1
