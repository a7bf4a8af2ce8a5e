"""The same RSVP form sent again, because its first answer was lost (a node died after committing, the
signal dropped): answered as the first time, never stored or emailed twice. On PostgreSQL, two sendings
of one form at the same moment store one RSVP; without the look-up under the lock the others run into
the unique index instead."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from organizer.extensions import db
from organizer.models import Event, OutboxMessage, Rsvp, RsvpStatus
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.tokens import hash_token
from organizer.services.events import events as event_service
from organizer.services.privacy import retention
from organizer.services.rsvp import approval, rsvps, sent_again
from organizer.services.rsvp import links as rsvp_links
from organizer.services.rsvp.opening import ClosedReason, RsvpsClosed
from organizer.services.rsvp.sent_again import RsvpReceipt
from organizer.timeutil import utcnow
from tests import builders
from tests.concurrency import at_once
from tests.conftest import make_test_app
from tests.services.test_rsvp_concurrency import count_before_anyone_writes


def new_key() -> str:
    return secrets.token_hex(16)  # what static/js/rsvp.js makes: 16 random bytes in hex


def send(event, name="Amina", email=None, key=None, **extra):
    receipt = rsvps.create_rsvp(event, name=name, email=email, submission_key=key, **extra)
    db.session.commit()
    return receipt


def rsvps_of(event) -> list[Rsvp]:
    db.session.expire_all()
    return list(db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id).order_by(Rsvp.id)))


def mail_to(address) -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.to_address == address))


def test_the_same_form_again_gets_the_first_answer_and_nothing_more(campaign):
    event = builders.make_event(campaign, capacity=10)
    key = new_key()
    first = send(event, email="amina@example.org", key=key, guests=1)
    again = send(event, email="amina@example.org", key=key, guests=1)
    assert first == again == RsvpReceipt(RsvpStatus.GOING, None, None, True)
    [stored] = rsvps_of(event)
    assert stored.submission_key_hash == hash_token(key) != key  # kept hashed
    assert mail_to("amina@example.org") == 1, "the retry emailed again"


def test_without_an_email_the_retry_gets_the_same_private_link(campaign):
    event = builders.make_event(campaign, email_policy="not_asked")
    key = new_key()
    first = send(event, key=key)
    again = send(event, key=key)
    assert first.manage_token and again.manage_token == first.manage_token
    assert rsvp_links.find_by_token(again.manage_token).name == "Amina"
    assert len(rsvps_of(event)) == 1


def test_links_of_different_forms_are_unrelated(campaign):
    event = builders.make_event(campaign, email_policy="not_asked")
    tokens = {send(event, name=f"Person {index}", key=new_key()).manage_token for index in range(3)}
    tokens.add(send(event, name="No script").manage_token)  # sent without a key, as without JavaScript
    assert len(tokens) == 4 and None not in tokens


def test_a_waitlisted_retry_keeps_its_place_in_the_queue(campaign):
    event = builders.make_event(campaign, capacity=1)
    send(event, name="Going", email="going@example.org", key=new_key())
    key = new_key()
    first = send(event, name="Bilal", email="bilal@example.org", key=key)
    send(event, name="Carla", email="carla@example.org", key=new_key())
    again = send(event, name="Bilal", email="bilal@example.org", key=key)
    assert first.status is again.status is RsvpStatus.WAITLISTED
    assert first.waitlist_position == again.waitlist_position == 1
    assert [r.name for r in rsvps_of(event)] == ["Going", "Bilal", "Carla"]


def test_the_retry_says_what_is_true_now(campaign):
    """Promoted since the lost answer: the retry says going, not the waitlist it first said."""
    event = builders.make_event(campaign, capacity=1)
    send(event, name="Going", email="going@example.org")
    key = new_key()
    assert send(event, name="Bilal", email="bilal@example.org", key=key).status is RsvpStatus.WAITLISTED
    rsvps.cancel_rsvp(rsvps_of(event)[0])
    db.session.commit()
    assert send(event, name="Bilal", email="bilal@example.org", key=key).status is RsvpStatus.GOING


def test_a_retry_after_the_rsvp_deadline_still_gets_its_answer(campaign):
    event = builders.make_event(campaign, email_policy="not_asked", rsvp_deadline=utcnow() + timedelta(minutes=10))
    key = new_key()
    first = send(event, key=key)
    later = utcnow() + timedelta(minutes=20)
    assert send(event, key=key, now=later) == first
    for name, other_key in (("Amina", new_key()), ("Someone else", key)):  # a new form; the key with other details
        with pytest.raises(RsvpsClosed):
            rsvps.create_rsvp(event, name=name, submission_key=other_key, now=later)
        db.session.rollback()
    assert len(rsvps_of(event)) == 1


def test_a_retry_to_a_cancelled_event_hears_that_it_is_cancelled(campaign, owner):
    event = builders.make_event(campaign, email_policy="not_asked")
    key = new_key()
    send(event, key=key)
    event_service.cancel_event(owner, event)
    db.session.commit()
    with pytest.raises(RsvpsClosed) as closed:
        rsvps.create_rsvp(event, name="Amina", submission_key=key)
    assert closed.value.reason is ClosedReason.CANCELLED


def test_a_key_is_answered_again_only_while_a_retry_is_likely(campaign):
    """The page's script sends a key for 15 minutes; the server answers it for 30, then refuses it."""
    event = builders.make_event(campaign, email_policy="not_asked")
    key = new_key()
    first = send(event, key=key)
    assert send(event, key=key, now=utcnow() + timedelta(minutes=29)) == first
    with pytest.raises(ValidationFailed, match="Reload the page"):
        rsvps.create_rsvp(event, name="Amina", submission_key=key, now=utcnow() + timedelta(minutes=31))
    db.session.rollback()
    assert len(rsvps_of(event)) == 1


def test_the_link_is_given_again_after_secret_key_rotation_while_the_old_key_is_a_fallback(app, campaign):
    event = builders.make_event(campaign, email_policy="not_asked")
    key = new_key()
    first = send(event, key=key)
    old_secret = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY="a-new-secret-key-for-this-test-0123456789", SECRET_KEY_FALLBACKS=[old_secret])
    try:
        assert send(event, key=key).manage_token == first.manage_token
        app.config["SECRET_KEY_FALLBACKS"] = []
        # Past the fallbacks the link can't be made again: the answer says so, and gives none.
        assert send(event, key=key) == RsvpReceipt(RsvpStatus.GOING, None, None, False)
    finally:
        app.config.update(SECRET_KEY=old_secret, SECRET_KEY_FALLBACKS=[])
    assert len(rsvps_of(event)) == 1


def test_a_key_the_look_up_misses_is_still_refused_clearly(campaign, monkeypatch):
    """Two events' locks don't keep out one key sent to both at once: the unique index does, and the
    second hears "reload", not a server error."""
    first, second = builders.make_event(campaign), builders.make_event(campaign)
    key = new_key()
    send(first, email="amina@example.org", key=key)
    real_read = rsvps.read_under_lock
    # What the second saw before the first committed: no RSVP with this key yet.
    monkeypatch.setattr(rsvps, "read_under_lock", lambda *args: replace(real_read(*args), sent_before_id=None))
    with pytest.raises(ValidationFailed, match="Reload the page") as refused:
        rsvps.create_rsvp(second, name="Amina", email="amina@example.org", submission_key=key)
    assert isinstance(refused.value.__cause__, IntegrityError)  # the unique index said so
    db.session.rollback()
    assert rsvps_of(second) == []


@pytest.mark.parametrize("other", [{"name": "Someone else"}, {"email": "other@example.org"}])
def test_a_key_sent_with_other_details_is_refused_and_nothing_is_stored(campaign, other):
    event = builders.make_event(campaign)
    key = new_key()
    send(event, email="amina@example.org", key=key)
    with pytest.raises(ValidationFailed, match="Reload the page"):
        rsvps.create_rsvp(event, **{"name": "Amina", "email": "amina@example.org", **other}, submission_key=key)
    db.session.rollback()
    assert [r.name for r in rsvps_of(event)] == ["Amina"]


def test_a_key_from_another_event_is_refused(campaign):
    first, second = builders.make_event(campaign), builders.make_event(campaign)
    key = new_key()
    send(first, email="amina@example.org", key=key)
    with pytest.raises(ValidationFailed):
        rsvps.create_rsvp(second, name="Amina", email="amina@example.org", submission_key=key)
    db.session.rollback()
    assert rsvps_of(second) == []


@pytest.mark.parametrize("key", ["short", "x" * 21, "y" * 65, "has space in it 0123456789", "ünïcödé" * 4])
def test_a_malformed_key_is_refused_before_anything_is_stored(campaign, key):
    event = builders.make_event(campaign)
    with pytest.raises(ValidationFailed, match="Reload the page"):
        rsvps.create_rsvp(event, name="Amina", email="amina@example.org", submission_key=key)
    db.session.rollback()
    assert rsvps_of(event) == []


def test_after_cancelling_the_same_form_is_a_new_rsvp_with_a_link_of_its_own(campaign):
    event = builders.make_event(campaign, email_policy="not_asked")
    key = new_key()
    first = send(event, key=key)
    rsvps.cancel_rsvp(rsvp_links.find_by_token(first.manage_token))
    db.session.commit()
    again = send(event, key=key)
    assert again.status is RsvpStatus.GOING and again.manage_token != first.manage_token
    cancelled, new = rsvps_of(event)
    assert (cancelled.status, cancelled.submission_key_hash) == (RsvpStatus.CANCELLED, None)
    assert new.submission_key_hash == hash_token(key)
    assert rsvp_links.find_by_token(first.manage_token).id == cancelled.id  # the old link still opens the old one
    assert send(event, key=key) == again


def test_a_declined_request_may_ask_again_from_the_same_form(campaign, owner):
    event = builders.make_event(campaign, requires_approval=True)
    key = new_key()
    assert send(event, email="amina@example.org", key=key).status is RsvpStatus.PENDING
    approval.decline(owner, event, [rsvps_of(event)[0].id])
    db.session.commit()
    assert send(event, email="amina@example.org", key=key).status is RsvpStatus.PENDING
    assert [r.status for r in rsvps_of(event)] == [RsvpStatus.DECLINED, RsvpStatus.PENDING]


def test_forgetting_an_rsvp_forgets_its_key(campaign):
    event = builders.make_event(campaign, starts_at=utcnow() + timedelta(hours=1))
    send(event, email="amina@example.org", key=new_key())
    campaign.retention_days = 1
    db.session.commit()
    retention.run(now=utcnow() + timedelta(days=3))
    db.session.commit()
    [forgotten] = rsvps_of(event)
    assert forgotten.forgotten_at is not None and forgotten.submission_key_hash is None


def test_an_rsvp_added_by_hand_without_a_key_keeps_none(campaign, owner):
    event = builders.make_event(campaign)
    rsvps.add_by_hand(owner, event, name="By phone")
    db.session.commit()
    assert rsvps_of(event)[0].submission_key_hash is None


@pytest.mark.parametrize("email", [None, "umm.khalid@example.org"])
def test_the_desk_form_sent_again_gets_its_first_answer(campaign, owner, email):
    event = builders.make_event(campaign, capacity=1)
    key = new_key()
    first = rsvps.add_by_hand(owner, event, name="Umm Khalid", email=email, guests=1, submission_key=key)
    db.session.commit()
    again = rsvps.add_by_hand(owner, event, name="Umm Khalid", email=email, guests=1, submission_key=key)
    db.session.commit()
    assert first.status is again.status is RsvpStatus.WAITLISTED  # two people for one place
    assert first.waitlist_position == again.waitlist_position == 1
    assert [r.name for r in rsvps_of(event)] == ["Umm Khalid"]


def test_the_desk_form_sent_again_while_its_first_commits_is_not_taken_for_someone_else(campaign, owner,
                                                                                       monkeypatch):
    """The first sending commits between the retry's key look-up and its address check: the address
    check finds this form's own RSVP, and the retry still gets its first answer, not "already on the list"."""
    event = builders.make_event(campaign)
    key = new_key()
    first = rsvps.add_by_hand(owner, event, name="Umm Khalid", email="umm.khalid@example.org", submission_key=key)
    db.session.commit()
    real_answer_again, looks = sent_again.answer_again, []

    def first_look_too_early(*args):
        looks.append(args)
        return None if len(looks) == 1 else real_answer_again(*args)

    monkeypatch.setattr(sent_again, "answer_again", first_look_too_early)
    again = rsvps.add_by_hand(owner, event, name="Umm Khalid", email="umm.khalid@example.org", submission_key=key)
    assert again == first and len(looks) == 2
    assert len(rsvps_of(event)) == 1


def test_the_desk_form_sent_again_to_a_cancelled_event_hears_it_is_cancelled(campaign, owner):
    event = builders.make_event(campaign)
    key = new_key()
    rsvps.add_by_hand(owner, event, name="Umm Khalid", submission_key=key)
    event_service.cancel_event(owner, event)
    db.session.commit()
    with pytest.raises(RsvpsClosed) as closed:
        rsvps.add_by_hand(owner, event, name="Umm Khalid", submission_key=key)
    assert closed.value.reason is ClosedReason.CANCELLED


# --- The same form from two nodes at once (PostgreSQL) -------------------------------------------

@pytest.fixture(scope="module")
def wide_app(database_url):
    app = make_test_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 0})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def send_together(app, event_id: int, key: str, people: int = 4):
    receipts: list[RsvpReceipt] = []
    errors = at_once(app, people, lambda _index: db.session.get(Event, event_id),
                     lambda _index, event: receipts.append(
                         rsvps.create_rsvp(event, name="Amina", submission_key=key)))
    return receipts, errors


def fresh_event() -> int:
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()), email_policy="not_asked")
    event_id = event.id
    db.session.remove()
    return event_id


@pytest.mark.postgres_only
def test_one_form_sent_from_two_nodes_at_once_is_stored_once(wide_app):
    for _round in range(10):
        event_id = fresh_event()
        receipts, errors = send_together(wide_app, event_id, new_key())
        assert not errors, errors
        assert len({receipt.manage_token for receipt in receipts}) == 1, "the sendings got different answers"
        count = db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.event_id == event_id))
        assert count == 1, f"round {_round}: {count} RSVPs from one form"


@pytest.mark.postgres_only
def test_control_without_the_look_up_under_the_lock_the_sendings_collide(wide_app, monkeypatch):
    """Let every sending look for the key before any has written (the interleaving the lock allows
    without the look-up under it): all but one run into the unique index and are told to reload
    instead of getting their answer, which the test above never sees."""
    monkeypatch.setattr(rsvps.capacity, "lock_for_new_rsvp", lambda event: None)
    looks = count_before_anyone_writes(monkeypatch, 4)
    event_id = fresh_event()
    receipts, errors = send_together(wide_app, event_id, new_key())
    assert len(looks) == 4  # every sending looked before any wrote
    assert len(receipts) == 1
    assert len(errors) == 3, errors
    assert all(isinstance(error, ValidationFailed) and isinstance(error.__cause__, IntegrityError)
               for error in errors), errors
    assert db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.event_id == event_id)) == 1
