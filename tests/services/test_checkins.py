"""Check-in log, walk-ins, crowd counter and attendance figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import CheckIn, CheckInAction, CrowdCountEntry, DoorLink, Rsvp, RsvpSource, RsvpStatus
from organizer.services.common.errors import Conflict, ValidationFailed
from organizer.services.door import checkins, crowd
from organizer.services.door import counts as door_counts
from organizer.services.door import listing as door_listing
from organizer.timeutil import utcnow
from tests import builders


@pytest.fixture
def event():
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner)
    return builders.make_event(campaign)


def entries(rsvp) -> list[CheckIn]:
    return list(db.session.scalars(select(CheckIn).where(CheckIn.rsvp_id == rsvp.id).order_by(CheckIn.sequence)))


def test_check_in_writes_one_entry_and_reads_back(event):
    rsvp, _, _ = builders.make_rsvp(event, name="Amina")
    door_user = builders.make_user()
    result = checkins.check_in(rsvp, actor_user=door_user, idempotency_key="key-00000001")
    db.session.commit()
    assert result.checked_in and result.changed
    assert checkins.is_checked_in(rsvp)
    [entry] = entries(rsvp)
    assert (entry.sequence, entry.action, entry.actor_user_id) == (1, CheckInAction.CHECK_IN, door_user.id)


def test_double_check_in_is_a_no_op(event):
    rsvp, _, _ = builders.make_rsvp(event)
    checkins.check_in(rsvp, idempotency_key="tap-aaaaaaaa")
    second = checkins.check_in(rsvp, idempotency_key="tap-bbbbbbbb")  # another tap, another phone
    db.session.commit()
    assert second.checked_in and not second.changed
    assert len(entries(rsvp)) == 1


def test_retry_with_same_key_is_a_no_op_even_after_undo(event):
    rsvp, _, _ = builders.make_rsvp(event)
    checkins.check_in(rsvp, idempotency_key="tap-11111111")
    checkins.undo(rsvp, idempotency_key="tap-22222222")
    # The first tap's request arrives again late (flaky connection): it must not check in again.
    retry = checkins.check_in(rsvp, idempotency_key="tap-11111111")
    db.session.commit()
    assert not retry.changed and not retry.checked_in
    assert [e.action for e in entries(rsvp)] == [CheckInAction.CHECK_IN, CheckInAction.UNDO]


def test_undo_then_check_in_again_appends(event):
    rsvp, _, _ = builders.make_rsvp(event)
    checkins.check_in(rsvp)
    undone = checkins.undo(rsvp)
    assert undone.changed and not undone.checked_in
    assert not checkins.undo(rsvp).changed  # nothing to undo
    assert checkins.check_in(rsvp).changed
    db.session.commit()
    assert [(e.sequence, e.action) for e in entries(rsvp)] == [
        (1, CheckInAction.CHECK_IN), (2, CheckInAction.UNDO), (3, CheckInAction.CHECK_IN)]
    assert checkins.is_checked_in(rsvp)


def test_undo_of_someone_never_checked_in_writes_nothing(event):
    rsvp, _, _ = builders.make_rsvp(event)
    result = checkins.undo(rsvp)
    assert not result.changed and not result.checked_in
    assert entries(rsvp) == []


def test_key_used_for_another_rsvp_is_refused(event):
    first, _, _ = builders.make_rsvp(event)
    second, _, _ = builders.make_rsvp(event)
    checkins.check_in(first, idempotency_key="tap-shared01")
    with pytest.raises(Conflict):
        checkins.check_in(second, idempotency_key="tap-shared01")


@pytest.mark.parametrize("key", ["short", "x" * 65, "has space", "semi;colon", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"])
def test_malformed_keys_are_refused(event, key):
    rsvp, _, _ = builders.make_rsvp(event)
    with pytest.raises(ValidationFailed):
        checkins.check_in(rsvp, idempotency_key=key)
    assert entries(rsvp) == []


@pytest.mark.parametrize("status", [RsvpStatus.CANCELLED, RsvpStatus.WAITLISTED])
def test_only_going_rsvps_can_be_checked_in(event, status):
    rsvp, _, _ = builders.make_rsvp(event, status=status)
    with pytest.raises(Conflict):
        checkins.check_in(rsvp)
    assert entries(rsvp) == []


def test_a_stale_sequence_loses_and_rereads(event, monkeypatch):
    """Simulate the race: another phone wrote sequence 1 between our read and our insert."""
    rsvp, _, _ = builders.make_rsvp(event)
    real_read = checkins._entry_with_key_and_latest
    calls = {"n": 0}

    def stale_then_real(rsvp_id, key):
        calls["n"] += 1
        if calls["n"] == 1:
            # The other phone's entry lands now, but we "read" before it.
            db.session.add(CheckIn(event_id=event.id, rsvp_id=rsvp_id, sequence=1, action=CheckInAction.CHECK_IN))
            db.session.flush()
            return None, None
        return real_read(rsvp_id, key)

    monkeypatch.setattr(checkins, "_entry_with_key_and_latest", stale_then_real)
    result = checkins.check_in(rsvp)
    db.session.commit()
    assert result.checked_in and not result.changed
    assert len(entries(rsvp)) == 1


# --- walk-ins ---------------------------------------------------------------------------------

def test_walk_in_creates_going_rsvp_and_checks_in(event):
    result = checkins.walk_in(event, "  Layla   Haddad ", None, idempotency_key="walk-0000001")
    db.session.commit()
    rsvp = result.rsvp
    assert result.created
    assert (rsvp.name, rsvp.source, rsvp.status, rsvp.email) == ("Layla Haddad", RsvpSource.WALK_IN,
                                                                  RsvpStatus.GOING, None)
    assert len(rsvp.manage_token_hash) == 64 and len(rsvp.ticket_token_hash) == 64
    assert checkins.is_checked_in(rsvp)


def test_walk_in_retry_with_same_key_adds_nobody(event):
    checkins.walk_in(event, "Layla", "layla@example.org", idempotency_key="walk-0000002")
    again = checkins.walk_in(event, "Layla", "layla@example.org", idempotency_key="walk-0000002")
    db.session.commit()
    assert not again.created
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 1
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_a_walk_in_is_always_a_record_of_its_own_and_changes_no_rsvp(event):
    """The door never looks an email up (issue 16): an address already on the list makes a new walk-in,
    and the RSVP it belongs to keeps its status."""
    existing, _, _ = builders.make_rsvp(event, name="Omar", email="omar@example.org", status=RsvpStatus.CANCELLED)
    result = checkins.walk_in(event, "Omar K", "OMAR@example.org")
    db.session.commit()
    assert result.created and result.rsvp.id != existing.id
    assert result.rsvp.email_normalized == "omar@example.org" and result.rsvp.source is RsvpSource.WALK_IN
    assert existing.status is RsvpStatus.CANCELLED and not checkins.is_checked_in(existing)
    assert checkins.is_checked_in(result.rsvp)
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 2


def test_a_walk_in_through_a_door_link_keeps_no_email(event):
    link = DoorLink(event_id=event.id, label="Front", token_hash="h" * 64, expires_at=utcnow() + timedelta(days=1))
    db.session.add(link)
    db.session.commit()
    result = checkins.walk_in(event, "Nadia", "nadia@example.org", door_link=link)
    db.session.commit()
    assert result.rsvp.email is None and result.rsvp.email_normalized is None


@pytest.mark.parametrize("name,email,field", [("", None, "name"), ("   ", None, "name"), ("x" * 121, None, "name"),
                                              ("Sam", "not-an-email", "email")])
def test_walk_in_validation(event, name, email, field):
    with pytest.raises(ValidationFailed) as error:
        checkins.walk_in(event, name, email)
    assert error.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 0


def test_walk_ins_ignore_capacity(event):
    event.capacity = 1
    builders.make_rsvp(event)
    checkins.walk_in(event, "Extra person")
    db.session.commit()
    figures = door_counts.attendance(event)
    assert figures.walk_ins == 1 and figures.going_rsvps == 1


# --- crowd counter ----------------------------------------------------------------------------

def test_crowd_add_and_set(event):
    assert crowd.add(event, 1).count == 1
    assert crowd.add(event, 10).count == 11
    assert crowd.add(event, -1).count == 10
    result = crowd.set_to(event, 400)
    db.session.commit()
    assert result.count == 400 and result.changed
    assert crowd.crowd_count(event) == 400
    deltas = list(db.session.scalars(select(CrowdCountEntry.delta).order_by(CrowdCountEntry.id)))
    assert deltas == [1, 10, -1, 390]  # set is recorded as a change, the log stays append-only


def test_crowd_never_goes_negative(event):
    crowd.add(event, 2)
    assert crowd.add(event, -1).count == 1
    assert crowd.add(event, -10).count == 0
    result = crowd.add(event, -1)
    db.session.commit()
    assert result.count == 0 and not result.changed
    assert crowd.crowd_count(event) == 0


@pytest.mark.parametrize("value", [-1, 1_000_001])
def test_crowd_set_refuses_out_of_range(event, value):
    with pytest.raises(ValidationFailed):
        crowd.set_to(event, value)


def test_crowd_set_to_same_value_writes_nothing(event):
    crowd.set_to(event, 5)
    assert not crowd.set_to(event, 5).changed
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CrowdCountEntry)) == 1


def test_crowd_retry_with_same_key_counts_once(event):
    crowd.add(event, 10, idempotency_key="crowd-000001")
    again = crowd.add(event, 10, idempotency_key="crowd-000001")
    db.session.commit()
    assert again.count == 10 and not again.changed


def test_crowd_is_per_event(event):
    other = builders.make_event(event.campaign)
    crowd.add(event, 10)
    crowd.add(other, 3)
    db.session.commit()
    assert (crowd.crowd_count(event), crowd.crowd_count(other)) == (10, 3)


# --- figures ----------------------------------------------------------------------------------

def test_attendance_figures(event):
    amina, _, _ = builders.make_rsvp(event, name="Amina", guests=2)
    bilal, _, _ = builders.make_rsvp(event, name="Bilal")
    carla, _, _ = builders.make_rsvp(event, name="Carla")
    builders.make_rsvp(event, name="Dana", status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(event, name="Eli", status=RsvpStatus.CANCELLED)
    checkins.check_in(amina)
    checkins.check_in(bilal)
    checkins.check_in(carla)
    checkins.undo(carla)
    checkins.walk_in(event, "Walker")
    crowd.add(event, 150)
    db.session.commit()
    figures = door_counts.attendance(event)
    assert figures.going_rsvps == 3 and figures.going_people == 5
    assert figures.checked_in_rsvps == 2 and figures.checked_in_people == 4
    assert figures.walk_ins == 1
    assert figures.named_people == 5
    assert figures.crowd == 150
    assert figures.turnout_rate == pytest.approx(4 / 5)


def test_what_each_tap_says_it_changed_adds_up_to_the_recount(event):
    """door.js adds each tap's ``counts_change`` to the figures it has instead of a recount: over
    parties arriving in steps, undos, a retry, taps that change nothing and a walk-in taken back,
    the changes must add up to what counting the rows says."""
    amina, _, _ = builders.make_rsvp(event, name="Amina", guests=3)
    bilal, _, _ = builders.make_rsvp(event, name="Bilal")
    walker = checkins.walk_in(event, "Walker").rsvp
    db.session.commit()
    before = door_counts.attendance(event)
    taps = [
        lambda: checkins.check_in(amina, idempotency_key="step-00000001", persons=1),
        lambda: checkins.check_in(amina, idempotency_key="step-00000002", persons=2),
        lambda: checkins.check_in(amina, idempotency_key="step-00000002", persons=2),  # a retry
        lambda: checkins.undo(amina, idempotency_key="step-00000003"),  # takes back the 2
        lambda: checkins.check_in(bilal, idempotency_key="step-00000004"),
        lambda: checkins.check_in(bilal, idempotency_key="step-00000005"),  # already in: nothing
        lambda: checkins.undo(walker, idempotency_key="step-00000006"),
        lambda: checkins.undo(walker, idempotency_key="step-00000007"),  # not in: nothing
        lambda: checkins.check_in(amina, idempotency_key="step-00000008"),  # the 3 not in yet
    ]
    added: dict[str, int] = {}
    changes = []
    for tap in taps:
        change = tap().counts_change()
        changes.append(change)
        for name, value in change.items():
            added[name] = added.get(name, 0) + value
    db.session.commit()
    # The retry changes nothing and says so (door views answer it with the figures themselves).
    assert changes == [{"checked_in": 1}, {"checked_in": 2}, {}, {"checked_in": -2},
                       {"checked_in": 1}, {}, {"walk_ins": -1}, {}, {"checked_in": 3}]
    after = door_counts.attendance(event)
    assert after.checked_in_people == before.checked_in_people + added["checked_in"] == 5
    assert after.walk_ins == before.walk_ins + added["walk_ins"] == 0


def test_attendance_of_an_empty_event(event):
    figures = door_counts.attendance(event)
    assert figures.turnout_rate is None and figures.crowd == 0 and figures.named_people == 0


def test_door_rows_sorted_filtered_and_accent_blind(event):
    for name in ["zoë Adams", "Élodie Martin", "Amina Yusuf", "محمد علي", "李小龙"]:
        builders.make_rsvp(event, name=name, email=None)
    builders.make_rsvp(event, name="Cancelled Person", email=None, status=RsvpStatus.CANCELLED)
    names = [row.name for row in door_listing.door_rows(event)]
    assert names[:3] == ["Amina Yusuf", "Élodie Martin", "zoë Adams"]
    assert set(names) == {"zoë Adams", "Élodie Martin", "Amina Yusuf", "محمد علي", "李小龙"}
    assert [r.name for r in door_listing.door_rows(event, "elodie")] == ["Élodie Martin"]
    assert [r.name for r in door_listing.door_rows(event, "ZOE")] == ["zoë Adams"]
    assert [r.name for r in door_listing.door_rows(event, "محمد")] == ["محمد علي"]
    assert [r.name for r in door_listing.door_rows(event, "小龙")] == ["李小龙"]
    assert door_listing.door_rows(event, "nobody") == []


def test_current_states_say_who_is_in_now_and_leave_out_other_events_and_people_not_going(event):
    amina, _, _ = builders.make_rsvp(event, name="Amina")
    bilal, _, _ = builders.make_rsvp(event, name="Bilal")
    carla, _, _ = builders.make_rsvp(event, name="Carla")
    gone, _, _ = builders.make_rsvp(event, name="Gone", status=RsvpStatus.CANCELLED)
    elsewhere, _, _ = builders.make_rsvp(builders.make_event(event.campaign), name="Elsewhere")
    checkins.check_in(amina)
    checkins.check_in(bilal)
    checkins.undo(bilal)
    checkins.check_in(elsewhere)
    db.session.commit()
    states = door_listing.current_states(event, [amina.id, bilal.id, carla.id, gone.id, elsewhere.id, 999999])
    assert set(states) == {amina.id, bilal.id, carla.id}
    assert states[amina.id] == entries(amina)[-1].created_at
    assert states[bilal.id] is None and states[carla.id] is None
    assert door_listing.current_states(event, []) == {}
