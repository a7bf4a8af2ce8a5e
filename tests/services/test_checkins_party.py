"""Parties arriving apart (issue 14.5): an RSVP for 1 + 3 guests checked in as 2 now and 2 later,
counted by persons, undone step by step, in the same append-only log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import CheckIn, CheckInAction
from organizer.services.common.errors import ValidationFailed
from organizer.services.door import checkins
from organizer.services.door import counts as door_counts
from organizer.services.door import listing as door_listing
from tests import builders


@pytest.fixture
def event():
    return builders.make_event(builders.make_campaign(owner=builders.make_user()), max_guests=5)


def figures(event):
    found = door_counts.attendance(event)
    return found.checked_in_rsvps, found.checked_in_people


def test_two_now_two_later_counted_by_persons_and_undone_step_by_step(event):
    family, _m, _t = builders.make_rsvp(event, name="Family", email=None, guests=3)
    first = checkins.check_in(family, persons=2)
    assert (first.checked_in, first.persons_in, first.party, first.last_step) == (True, 2, 4, 2)
    assert figures(event) == (1, 2)
    [row] = door_listing.door_rows(event)
    assert (row.persons_in, row.waiting) == (2, 2)
    second = checkins.check_in(family)  # the rest, by default
    assert (second.persons_in, second.changed) == (4, True)
    assert figures(event) == (1, 4)
    assert not checkins.check_in(family).changed  # all in: nothing more to check in

    back = checkins.undo(family)  # the last step only
    assert (back.checked_in, back.persons_in, back.last_step) == (True, 2, 2)
    assert figures(event) == (1, 2)
    out = checkins.undo(family)
    assert (out.checked_in, out.persons_in) == (False, 0)
    assert figures(event) == (0, 0)
    db.session.commit()
    log = db.session.execute(select(CheckIn.action, CheckIn.persons, CheckIn.persons_in)
                             .where(CheckIn.rsvp_id == family.id).order_by(CheckIn.sequence)).all()
    assert log == [(CheckInAction.CHECK_IN, 2, 2), (CheckInAction.CHECK_IN, 2, 4),
                   (CheckInAction.CHECK_IN, -2, 2), (CheckInAction.UNDO, -2, 0)]


@pytest.mark.parametrize("persons", [0, 5, -1])
def test_more_than_are_left_or_none_is_refused(event, persons):
    family, _m, _t = builders.make_rsvp(event, name="Family", email=None, guests=3)
    with pytest.raises(ValidationFailed):
        checkins.check_in(family, persons=persons)


def test_entries_from_before_parties_arrived_apart_still_read_right(event):
    """A log entry without persons (written before) meant the whole party in, or nobody."""
    family, _m, _t = builders.make_rsvp(event, name="Family", email=None, guests=2)
    db.session.add(CheckIn(event_id=event.id, rsvp_id=family.id, sequence=1, action=CheckInAction.CHECK_IN))
    db.session.commit()
    assert figures(event) == (1, 3)
    assert checkins.undo(family).persons_in == 0
    assert figures(event) == (0, 0)
