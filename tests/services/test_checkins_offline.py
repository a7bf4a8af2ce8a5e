"""Taps a phone kept while offline and sent late: the tap time, believed only within bounds, and the
conflict rule — the last tap wins; a late tap that would undo a later change of another phone is a
no-op (README, "The door without signal")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import CheckIn, CheckInAction
from organizer.services.door import checkins
from organizer.timeutil import utcnow
from tests import builders


@pytest.fixture
def event():
    return builders.make_event(builders.make_campaign(owner=builders.make_user()))


def actions(rsvp) -> list[CheckInAction]:
    return list(db.session.scalars(select(CheckIn.action).where(CheckIn.rsvp_id == rsvp.id).order_by(CheckIn.sequence)))


@pytest.mark.parametrize("claim", ["0", "1500", 90_000, str(12 * 3600 * 1000)])
def test_a_tap_age_within_bounds_is_believed(claim):
    now = utcnow()
    assert checkins.tap_time(claim, now) == now - timedelta(milliseconds=int(claim))


@pytest.mark.parametrize("claim", [None, "", "-5", -5, "1e9", "12.5", "²", "9" * 13, True,
                                   str(12 * 3600 * 1000 + 1), "abc"])
def test_a_tap_age_out_of_bounds_or_garbage_is_not_believed(claim):
    assert checkins.tap_time(claim) is None


def test_an_offline_check_in_sent_after_another_phone_undid_later_changes_nothing(event):
    carla, _, _ = builders.make_rsvp(event, name="Carla")
    tapped_offline = utcnow() - timedelta(minutes=5)
    # Another phone, online: checks Carla in, then (after the offline tap was made) undoes it.
    checkins.check_in(carla, idempotency_key="other-phone-1")
    checkins.undo(carla, idempotency_key="other-phone-2")
    late = checkins.check_in(carla, idempotency_key="offline-tap-1", tapped_at=tapped_offline)
    db.session.commit()
    assert late.overtaken and not late.changed and not late.checked_in
    assert actions(carla) == [CheckInAction.CHECK_IN, CheckInAction.UNDO]


def test_an_offline_check_in_of_someone_another_phone_checked_in_is_a_no_op(event):
    bilal, _, _ = builders.make_rsvp(event, name="Bilal")
    checkins.check_in(bilal, idempotency_key="other-phone-1")
    late = checkins.check_in(bilal, idempotency_key="offline-tap-1", tapped_at=utcnow() - timedelta(minutes=5))
    db.session.commit()
    assert late.checked_in and not late.changed and not late.overtaken
    assert actions(bilal) == [CheckInAction.CHECK_IN]


def test_an_offline_tap_newer_than_the_log_applies_and_keeps_its_tap_time(event):
    dana, _, _ = builders.make_rsvp(event, name="Dana")
    checkins.check_in(dana, idempotency_key="other-phone-1")
    tapped = utcnow() - timedelta(seconds=30)
    # The other phone's check-in was an hour ago in tap time: move it back to make the point.
    entry = db.session.scalar(select(CheckIn).where(CheckIn.rsvp_id == dana.id))
    entry.tapped_at = entry.created_at = tapped - timedelta(hours=1)
    late = checkins.undo(dana, idempotency_key="offline-tap-1", tapped_at=tapped)
    db.session.commit()
    assert late.changed and not late.checked_in
    newest = db.session.scalars(select(CheckIn).where(CheckIn.rsvp_id == dana.id).order_by(CheckIn.sequence)).all()[-1]
    assert newest.tapped_at == tapped and newest.created_at >= tapped


def test_a_tap_time_in_the_future_is_stored_as_now(event):
    amina, _, _ = builders.make_rsvp(event, name="Amina")
    checkins.check_in(amina, tapped_at=utcnow() + timedelta(hours=1))
    db.session.commit()
    entry = db.session.scalar(select(CheckIn).where(CheckIn.rsvp_id == amina.id))
    assert entry.tapped_at <= entry.created_at + timedelta(seconds=1)
