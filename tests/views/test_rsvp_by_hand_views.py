"""The organizers' desk: adding an RSVP by hand, and the list saying who is checked in and who
confirmed (RSVPed themselves) (issue 14.7)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Rsvp, RsvpStatus
from organizer.services.door import checkins
from tests import builders
from tests.security.helpers import submission_key_from

pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.fixture
def world():
    team = builders.make_team("coordinator", "organizer")
    event = builders.make_event(team["campaign"], capacity=2, max_guests=2)
    return {**team, "event": event}


def test_an_organizer_adds_a_phoned_in_rsvp_and_the_list_shows_it(client, login, world):
    login(world["organizer"])
    url = f"/manage/e/{world['event'].id}/rsvps"
    form = client.get(f"{url}/add").get_data(as_text=True)
    assert "Add an RSVP by hand" in form and "2 places left." in form
    response = client.post(f"{url}/add", data={"name": "Phoned  In", "guests": "1"})
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Phoned In is going." in html and "Added by hand" in html
    assert "not confirmed by them: added by an organizer" in html
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.name == "Phoned In"))
    assert rsvp.status is RsvpStatus.GOING and rsvp.added_by_id == world["organizer"].id

    # The event is full now: the next one waits, and is told their place.
    response = client.post(f"{url}/add", data={"name": "Second Caller"})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The event is full: Second Caller is number 1 on the waitlist." in html


def test_bad_input_is_shown_next_to_the_field(client, login, world):
    login(world["organizer"])
    url = f"/manage/e/{world['event'].id}/rsvps/add"
    response = client.post(url, data={"name": "", "email": "not-an-address", "guests": "9"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "Choose from 0 to 2 guests." in html
    builders.make_rsvp(world["event"], name="Rosa Mail", email="rosa@example.org")
    taken = client.post(url, data={"name": "Rosa Again", "email": "rosa@example.org"})
    assert taken.status_code == 400 and "Rosa Mail already has an RSVP with this address" in taken.get_data(as_text=True)


def test_the_list_shows_who_is_checked_in_and_who_confirmed(client, login, world):
    arrived, _m, _t = builders.make_rsvp(world["event"], name="Arrived Early")
    builders.make_rsvp(world["event"], name="Not Yet")
    checkins.check_in(arrived)
    db.session.commit()
    login(world["coordinator"])
    html = client.get(f"/manage/e/{world['event'].id}/rsvps").get_data(as_text=True)
    row_arrived = html[html.index("Arrived Early"):html.index("Not Yet")]
    assert "rsvp-table__checked" in row_arrived and "confirmed by them" in row_arrived
    row_not_yet = html[html.index("Not Yet"):]
    assert "rsvp-table__checked" not in row_not_yet[:row_not_yet.index("</tr>")]
    assert "Add an RSVP by hand" not in html  # coordinators see the list, they do not add to it


def test_the_desk_form_sent_again_after_a_lost_answer_adds_no_second_rsvp(client, login, world):
    """The form carries a key (the page's own, or the script's: static/js/rsvp.js); the same form sent again
    is answered as the first, even with an address, which would otherwise be "already has an RSVP"."""
    login(world["organizer"])
    url = f"/manage/e/{world['event'].id}/rsvps/add"
    page_keys = [submission_key_from(client.get(url).get_data(as_text=True)) for _ in range(2)]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", key) for key in page_keys)
    assert page_keys[0] != page_keys[1]  # each page its own
    form = {"name": "Umm Khalid", "email": "umm.khalid@example.org", "guests": "1", "submission_key": page_keys[0]}
    first, again = client.post(url, data=form), client.post(url, data=form)
    assert first.status_code == again.status_code == 303
    assert "Umm Khalid is going." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Rsvp.id))) == 1
    # Another form (no key, or a new one) with the same address is still told it is on the list.
    response = client.post(url, data={**form, "submission_key": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"})
    assert response.status_code == 400 and "already has an RSVP with this address" in response.get_data(as_text=True)
