"""rsvp_tally, the places taken that a new RSVP reads under the event lock, kept by triggers on rsvp
(migration 0020): after every kind of change, by the services or by bare SQL, it says what counting
the rows says. A tally that missed one path would let an event be oversold or refuse places it has."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import bindparam, delete, select, text, update

from organizer.extensions import db
from organizer.models import Event, Rsvp, RsvpStatus, RsvpTally
from organizer.services.common.errors import ValidationFailed
from organizer.services.door import checkins
from organizer.services.rsvp import approval, capacity, rsvps, tally, waitlist
from tests import builders
from tests.cluster.nodes import wait_until
from tests.concurrency import at_once, sessions_waiting_for_a_lock
from tests.conftest import make_test_app


def tally_agrees(*events: Event) -> None:
    db.session.flush()
    for event in events:
        counted = capacity.summary(event)
        kept = capacity.places_taken(event)
        assert (kept.going_people, kept.waitlisted_rsvps) == (counted.going_people, counted.waitlisted_rsvps), \
            event.title


def test_the_tally_follows_every_change_the_services_make(owner, campaign):
    event = builders.make_event(campaign, title="Small hall", capacity=4, email_policy="not_asked")
    other = builders.make_event(campaign, title="Another hall", capacity=2, email_policy="not_asked")
    tally_agrees(event, other)  # no RSVP yet: no row, zero

    amina = rsvps.create_rsvp(event, name="Amina", guests=2)
    assert amina.status is RsvpStatus.GOING
    rsvps.create_rsvp(event, name="Bilal")
    waiting = rsvps.create_rsvp(event, name="Carla", guests=1)  # 2 do not fit in the 0 left
    assert waiting.status is RsvpStatus.WAITLISTED
    rsvps.create_rsvp(other, name="Dana")
    tally_agrees(event, other)

    first = db.session.scalar(select(Rsvp).where(Rsvp.name == "Amina"))
    rsvps.update_rsvp(first, guests=0)  # frees 2: Carla and her guest are promoted
    tally_agrees(event, other)
    with pytest.raises(ValidationFailed):
        rsvps.update_rsvp(first, guests=1)  # the hall is full: refused, nothing changes
    tally_agrees(event)

    rsvps.cancel_rsvp(db.session.scalar(select(Rsvp).where(Rsvp.name == "Bilal")))
    tally_agrees(event)
    rsvps.add_by_hand(owner, event, name="Eli", guests=0)
    rsvps.delete_own_rsvp(db.session.scalar(select(Rsvp).where(Rsvp.name == "Carla")))
    tally_agrees(event)
    walk_in = checkins.walk_in(event, "Walker").rsvp  # walk-ins are going, whatever the capacity
    tally_agrees(event)
    rsvps.remove_rsvp(owner, walk_in)
    tally_agrees(event)

    late = rsvps.create_rsvp(other, name="Farid", guests=1)
    assert late.status is RsvpStatus.WAITLISTED
    other.capacity = 10
    db.session.flush()
    waitlist.promote_waitlisted(other)  # a raised capacity
    tally_agrees(other)
    farid = db.session.scalar(select(Rsvp).where(Rsvp.name == "Farid"))
    assert farid.status is RsvpStatus.GOING

    asked = builders.make_event(campaign, title="By approval", capacity=3, requires_approval=True,
                                email_policy="not_asked")
    for name in ("Gul", "Hana", "Idris"):
        rsvps.create_rsvp(asked, name=name, guests=1)
    tally_agrees(asked)  # pending: no place taken
    pending = list(db.session.scalars(select(Rsvp.id).where(Rsvp.event_id == asked.id).order_by(Rsvp.id)))
    approval.approve(owner, asked, pending[:2])  # the second does not fit: waitlisted
    approval.decline(owner, asked, pending[2:])
    tally_agrees(asked)
    db.session.commit()
    tally_agrees(event, other, asked)


def test_the_tally_follows_bare_sql_and_goes_with_its_event(campaign):
    event = builders.make_event(campaign, capacity=50)
    for index in range(6):
        builders.make_rsvp(event, name=f"Person {index}", email=None, guests=index % 3,
                           status=RsvpStatus.WAITLISTED if index == 5 else RsvpStatus.GOING)
    tally_agrees(event)
    db.session.execute(update(Rsvp).where(Rsvp.event_id == event.id, Rsvp.guests == 2).values(guests=0))
    tally_agrees(event)
    db.session.execute(text("UPDATE rsvp SET status = 'cancelled' WHERE event_id = :id AND guests = 1"),
                       {"id": event.id})
    tally_agrees(event)
    moved_to = builders.make_event(campaign, title="Moved", capacity=50)
    db.session.execute(update(Rsvp).where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED)
                       .values(event_id=moved_to.id))
    tally_agrees(event, moved_to)
    db.session.execute(delete(Rsvp).where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.GOING))
    tally_agrees(event, moved_to)
    assert capacity.places_taken(moved_to).waitlisted_rsvps == 1

    db.session.delete(moved_to)
    db.session.commit()
    assert db.session.get(RsvpTally, moved_to.id) is None


@pytest.fixture(scope="module")
def two_connections_app(database_url):
    app = make_test_app(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def delete_two_rsvps_while_someone_rsvps(app, event_id: int, first: int, second: int) -> list[BaseException]:
    """Two RSVPs deleted in one transaction (forgotten after the retention period, say: the tally row
    is theirs after the first) while a supporter's RSVP takes the event lock and waits for that row."""
    first_changed = threading.Event()

    def act(index: int, event) -> None:
        if index == 0:
            db.session.execute(delete(Rsvp).where(Rsvp.id == first))
            first_changed.set()
            wait_until(lambda: sessions_waiting_for_a_lock() == 1, 10,
                       "the supporter to take the event lock and wait for the tally row", interval=0.01)
            db.session.execute(delete(Rsvp).where(Rsvp.id == second))
        else:
            first_changed.wait(10)
            rsvps.create_rsvp(event, name="Supporter")

    return at_once(app, 2, lambda _index: db.session.get(Event, event_id), act)


@pytest.mark.postgres_only
@pytest.mark.parametrize("lock", ["for no key update", "control: for update"])
def test_postgresql_two_deletions_and_an_rsvp_at_once_do_not_deadlock(two_connections_app, campaign, monkeypatch,
                                                                       lock):
    """The second deletion re-checks the tally row's foreign key, a KEY SHARE lock on the event: the
    event lock must not be FOR UPDATE, which that waits for while the RSVP waits for the tally row."""
    if lock.startswith("control"):
        monkeypatch.setattr(capacity, "_for_update",
                            lambda query, event_id: query.with_for_update(of=Event))
    event = builders.make_event(campaign, capacity=50, email_policy="not_asked")
    ids = [builders.make_rsvp(event, name=f"Person {index}", email=None)[0].id for index in range(2)]
    event_id = event.id
    db.session.commit()
    errors = delete_two_rsvps_while_someone_rsvps(two_connections_app, event_id, *ids)
    if lock.startswith("control"):
        assert any("deadlock" in str(error) for error in errors), errors
        return
    assert not errors, errors
    db.session.expire_all()
    tally_agrees(db.session.get(Event, event_id))
    assert capacity.places_taken(db.session.get(Event, event_id)).going_people == 1  # the supporter alone


# --- A tally left wrong by SQL that ran without the triggers: found and mended (services/rsvp/tally.py) --


def full_event_with_a_stale_tally(campaign) -> Event:
    """Three places, all taken; the tally says none are (as after a restore of rsvp without it)."""
    event = builders.make_event(campaign, slug="stale-hall", capacity=3, email_policy="not_asked")
    for name in ("Amina", "Bilal", "Carla"):
        rsvps.create_rsvp(event, name=name)
    rsvps.create_rsvp(event, name="Dina")  # waiting
    db.session.execute(update(RsvpTally).where(RsvpTally.event_id == event.id)
                       .values(going_people=0, waitlisted_rsvps=0))
    db.session.commit()
    return event


def test_a_stale_tally_is_found_and_mended_so_the_event_is_not_oversold(campaign):
    event = full_event_with_a_stale_tally(campaign)
    agreeing = builders.make_event(campaign, slug="fine-hall", capacity=10, email_policy="not_asked")
    rsvps.create_rsvp(agreeing, name="Elif")
    db.session.commit()

    assert tally.disagreements() == [tally.Disagreement(event.id, "stale-hall", tally.Places(0, 0),
                                                        tally.Places(3, 1))]
    assert tally.repair(agreeing.id) is None  # nothing to mend: its figures stay
    mended = tally.repair(event.id)
    db.session.commit()
    assert mended is not None and (mended.kept, mended.counted) == (tally.Places(0, 0), tally.Places(3, 1))
    assert tally.disagreements() == []
    tally_agrees(event, agreeing)
    # The next RSVP sees the event full again: without the mending it would have taken a fourth place.
    assert rsvps.create_rsvp(event, name="Farah").status is RsvpStatus.WAITLISTED


def test_a_missing_tally_row_is_written_and_a_tally_without_rows_is_emptied(campaign):
    lost_row = builders.make_event(campaign, slug="lost-row", capacity=5, email_policy="not_asked")
    rsvps.create_rsvp(lost_row, name="Amina", guests=1)
    emptied = builders.make_event(campaign, slug="emptied", capacity=5, email_policy="not_asked")
    db.session.execute(delete(RsvpTally).where(RsvpTally.event_id == lost_row.id))
    db.session.add(RsvpTally(event_id=emptied.id, going_people=4, waitlisted_rsvps=2))
    db.session.commit()

    assert {(found.slug, found.kept, found.counted) for found in tally.disagreements()} == {
        ("lost-row", tally.Places(0, 0), tally.Places(2, 0)), ("emptied", tally.Places(4, 2), tally.Places(0, 0))}
    for found in tally.disagreements():
        tally.repair(found.event_id)
        db.session.commit()
    assert tally.disagreements() == []
    tally_agrees(lost_row, emptied)


@pytest.mark.postgres_only
def test_postgresql_truncate_leaves_the_tally_behind_and_repair_mends_it(campaign):
    """TRUNCATE fires no row trigger: the one way the app's own database can be left wrong."""
    event = full_event_with_a_stale_tally(campaign)
    tally.repair(event.id)
    db.session.commit()
    db.session.execute(text("TRUNCATE rsvp CASCADE"))
    db.session.commit()
    assert [(found.kept, found.counted) for found in tally.disagreements()] == [(tally.Places(3, 1),
                                                                                   tally.Places(0, 0))]
    tally.repair(event.id)
    db.session.commit()
    assert rsvps.create_rsvp(event, name="Amina").status is RsvpStatus.GOING
    tally_agrees(event)


def test_the_tally_commands_check_then_repair(app, campaign):
    event = full_event_with_a_stale_tally(campaign)
    runner = app.test_cli_runner()
    check = runner.invoke(args=["tally", "check"])
    assert check.exit_code == 1
    assert f"event {event.id} (stale-hall): the tally says 0 going and 0 waiting, its RSVPs 3 going and 1 waiting" \
        in check.output
    repaired = runner.invoke(args=["tally", "repair"])
    assert repaired.exit_code == 0 and "Tally: 1 event mended." in repaired.output
    again = runner.invoke(args=["tally", "check"])
    assert again.exit_code == 0 and "Every event's tally agrees with its RSVPs." in again.output
    db.session.expire_all()
    tally_agrees(db.session.get(Event, event.id))


def test_only_going_places_and_waiting_rsvps_are_counted_as_the_triggers_count_them(campaign):
    """Guests count for a going party only; a waiting party is one RSVP whatever its size; pending,
    cancelled and declined take nothing."""
    event = builders.make_event(campaign, slug="every-status", capacity=20, email_policy="not_asked")
    for index, (status, guests) in enumerate([(RsvpStatus.GOING, 2), (RsvpStatus.WAITLISTED, 3),
                                              (RsvpStatus.PENDING, 1), (RsvpStatus.CANCELLED, 2),
                                              (RsvpStatus.DECLINED, 0)]):
        builders.make_rsvp(event, name=f"Person {index}", email=None, guests=guests, status=status)
    db.session.execute(delete(RsvpTally).where(RsvpTally.event_id == event.id))
    db.session.commit()
    assert [(found.kept, found.counted) for found in tally.check()] == [(tally.Places(0, 0), tally.Places(3, 1))]
    tally.repair(event.id)
    db.session.commit()
    tally_agrees(event)


def test_an_event_deleted_while_the_repair_runs_is_left_out_and_the_rest_mended(app, campaign, monkeypatch):
    gone = builders.make_event(campaign, slug="gone", capacity=5, email_policy="not_asked")
    later = builders.make_event(campaign, slug="later", capacity=5, email_policy="not_asked")
    db.session.add_all([RsvpTally(event_id=gone.id, going_people=2, waitlisted_rsvps=0),
                        RsvpTally(event_id=later.id, going_people=2, waitlisted_rsvps=0)])
    db.session.commit()
    gone_id, found_first = gone.id, tally.disagreements

    def then_an_organizer_deletes_one():
        found = found_first()
        db.session.execute(delete(Event).where(Event.id == gone_id))
        db.session.commit()
        return found

    monkeypatch.setattr(tally, "disagreements", then_an_organizer_deletes_one)
    result = app.test_cli_runner().invoke(args=["tally", "repair"])
    assert result.exit_code == 0, result.output
    assert f"event {gone_id}: deleted meanwhile, left out" in result.output and "Tally: 1 event mended." in result.output
    monkeypatch.undo()
    assert tally.check() == []


@pytest.mark.postgres_only
def test_postgresql_an_rsvp_taken_while_check_reads_is_not_reported(campaign, two_connections_app, monkeypatch):
    """The scan reads the tally and the rows in separate statements; a supporter's RSVP between them looked
    like a disagreement. check reads each candidate again under the event lock."""
    event = builders.make_event(campaign, slug="busy-hall", capacity=10, email_policy="not_asked")
    rsvps.create_rsvp(event, name="Amina")
    db.session.commit()
    event_id, count_rows, arrived = event.id, capacity.summaries, []

    def a_supporter_rsvps_meanwhile(events):
        if not arrived:
            with two_connections_app.app_context():
                arrived.append(rsvps.create_rsvp(db.session.get(Event, event_id), name="Bilal"))
                db.session.commit()
                db.session.remove()
        return count_rows(events)

    monkeypatch.setattr(capacity, "summaries", a_supporter_rsvps_meanwhile)
    assert [found.event_id for found in tally.disagreements()] == [event_id]  # the scan alone would say so
    arrived.clear()
    assert tally.check() == []
    assert arrived  # the RSVP really came between the scan's reads


def walk_in_after_the_count(monkeypatch, app, event_id: int) -> list[threading.Thread]:
    """A walk-in at the door (it takes no event lock) arrives right after the repair counted the rows."""
    count_rows, walkers = capacity.summary, []

    def walk_in() -> None:
        with app.app_context():
            checkins.walk_in(db.session.get(Event, event_id), "Walker")
            db.session.commit()
            db.session.remove()

    def counted_then_a_walk_in(event):
        counted = count_rows(event)
        walker = threading.Thread(target=walk_in)
        walker.start()
        walkers.append(walker)
        wait_until(lambda: not walker.is_alive() or sessions_waiting_for_a_lock() == 1, 10,
                   "the walk-in to be done or to wait for the tally row", interval=0.01)
        return counted

    monkeypatch.setattr(capacity, "summary", counted_then_a_walk_in)
    return walkers


@pytest.mark.postgres_only
@pytest.mark.parametrize("lock", ["tally row locked", "control: tally row not locked"])
def test_postgresql_a_walk_in_during_the_repair_is_not_lost(campaign, two_connections_app, monkeypatch, lock):
    if lock.startswith("control"):
        monkeypatch.setattr(tally, "_KEPT_FOR_UPDATE", select(RsvpTally.going_people, RsvpTally.waitlisted_rsvps)
                            .where(RsvpTally.event_id == bindparam("event_id")))
    event = builders.make_event(campaign, slug="door-race", capacity=10, email_policy="not_asked")
    rsvps.create_rsvp(event, name="Amina")
    db.session.execute(update(RsvpTally).where(RsvpTally.event_id == event.id).values(going_people=0))
    db.session.commit()
    event_id = event.id
    walkers = walk_in_after_the_count(monkeypatch, two_connections_app, event_id)
    tally.repair(event_id)
    db.session.commit()
    walkers[0].join(20)
    monkeypatch.undo()
    db.session.expire_all()
    kept = capacity.places_taken(db.session.get(Event, event_id)).going_people
    assert capacity.summary(db.session.get(Event, event_id)).going_people == 2
    assert kept == (1 if lock.startswith("control") else 2)  # the control's repair wrote over the walk-in
