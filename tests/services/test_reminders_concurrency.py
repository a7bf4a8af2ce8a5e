"""Two outbox workers find the same reminder (or follow-up) due at the same moment, each on its own
connection: every recipient gets exactly one mail, in every round. With the claim replaced by a check
then an unconditional write (the race the compare-and-set exists to prevent), both workers send it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from organizer.extensions import db
from organizer.models import Event, OutboxMessage
from organizer.services.door import checkins
from organizer.services.reminders import followups, reminders
from organizer.timeutil import utcnow
from tests import builders
from tests.conftest import make_test_app

ROUNDS = 10
PEOPLE = 20
START = (utcnow() + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
REMINDER_DUE = START - timedelta(hours=24)
FOLLOWUP_DUE = START + timedelta(hours=2 + 3)


@pytest.fixture(scope="module")
def wide_app(database_url):
    app = make_test_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 0,
                                                                 "pool_timeout": 30})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def fresh_event() -> int:
    owner = builders.make_user()
    event = builders.make_event(builders.make_campaign(owner=owner), starts_at=START,
                                ends_at=START + timedelta(hours=2))
    for index in range(PEOPLE):
        rsvp, _t, _k = builders.make_rsvp(event, name=f"Person{index}x{event.id}",
                                          created_at=REMINDER_DUE - timedelta(days=1))
        if index % 2:
            checkins.check_in(rsvp, actor_user=owner)
    db.session.commit()
    event_id = event.id
    db.session.remove()
    return event_id


def two_workers(app, run, now) -> list[BaseException]:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                try:
                    run(now)
                finally:
                    db.session.remove()
        except BaseException as error:  # noqa: BLE001 - the test reports it
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def mails(renderer: str) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.renderer == renderer)))


def claim_together(monkeypatch, module, barrier: threading.Barrier) -> list[bool]:
    """Both workers reach the claim at once (each has read the event as due). Returns what each claim
    answered, for the test to check that both workers really claimed at the line."""
    real_claim, claims = module._claim, []

    def claim_at_the_line(*args):
        barrier.wait()
        claimed = real_claim(*args)
        claims.append(claimed)
        return claimed

    monkeypatch.setattr(module, "_claim", claim_at_the_line)
    return claims


def check_then_write(module, column: str, barrier: threading.Barrier):
    """The claim without its protection: read whether it was sent, wait for the other worker, write."""
    def claim(event, *rest):
        sent = db.session.scalar(select(getattr(Event, column)).where(Event.id == event.id))
        barrier.wait()
        value = event.starts_at if column == "reminder_sent_for" else rest[0]
        db.session.execute(update(Event).where(Event.id == event.id).values({column: value})
                           .execution_options(synchronize_session=False))
        return sent is None

    return claim


CASES = [
    (reminders, reminders.REMINDER, "reminder_sent_for", REMINDER_DUE, PEOPLE),
    (followups, followups.FOLLOWUP, "followup_sent_at", FOLLOWUP_DUE, PEOPLE),
]


@pytest.mark.postgres_only
@pytest.mark.parametrize(("module", "renderer", "column", "now", "expected"), CASES, ids=["reminder", "followup"])
def test_two_workers_write_each_mail_once(wide_app, monkeypatch, module, renderer, column, now, expected):
    for round_ in range(ROUNDS):
        event_id = fresh_event()
        claims = claim_together(monkeypatch, module, threading.Barrier(2, timeout=30))
        errors = two_workers(wide_app, module.run_due, now)
        monkeypatch.undo()
        assert not errors, errors
        assert sorted(claims) == [False, True], f"round {round_}: {claims}"
        assert mails(renderer) == expected * (round_ + 1), f"round {round_}"
        db.session.execute(update(Event).where(Event.id == event_id).values(status="cancelled"))
        db.session.commit()


@pytest.mark.postgres_only
@pytest.mark.parametrize(("module", "renderer", "column", "now", "expected"), CASES, ids=["reminder", "followup"])
def test_control_without_the_claim_both_workers_send(wide_app, monkeypatch, module, renderer, column, now,
                                                     expected):
    fresh_event()
    monkeypatch.setattr(module, "_claim", check_then_write(module, column, threading.Barrier(2, timeout=30)))
    errors = two_workers(wide_app, module.run_due, now)
    assert not errors, errors
    assert mails(renderer) == 2 * expected, "without the compare-and-set both workers should have sent it"
