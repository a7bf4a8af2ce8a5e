"""Issue 16, item 5: a door link shows names only. Whoever holds one must not learn anything about an
email address by typing it into the walk-in form, and a walk-in added through a door link never
changes anyone's RSVP (a waitlisted or cancelled supporter stays so; the walk-in is a record of its own)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import DoorLink, Rsvp, RsvpSource, RsvpStatus
from organizer.services.common.tokens import hash_token, new_token
from organizer.timeutil import utcnow
from tests import builders
from tests.security.helpers import csrf_from


@pytest.fixture
def world(campaign):
    event = builders.make_event(campaign, title="Homs meeting", capacity=1)
    going, _, _ = builders.make_rsvp(event, name="Amina Going", email="amina@example.org")
    waiting, _, _ = builders.make_rsvp(event, name="Wafa Waiting", email="wafa@example.org",
                                       status=RsvpStatus.WAITLISTED)
    gone, _, _ = builders.make_rsvp(event, name="Carla Cancelled", email="carla@example.org",
                                    status=RsvpStatus.CANCELLED)
    token = new_token()
    db.session.add(DoorLink(event_id=event.id, label="Front door", token_hash=hash_token(token),
                            expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    return dict(event=event, going=going, waiting=waiting, gone=gone, token=token)


def door_link_client(app, world):
    client = app.test_client()
    assert client.get(f"/door/{world['token']}").status_code == 303
    return client


def add_walk_in(client, world, name, email, json=False):
    html = client.get(f"/door/e/{world['event'].id}").get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "idempotency_key": new_token()[:20], "name": name, "email": email}
    headers = {"Accept": "application/json"} if json else {}
    response = client.post(f"/door/e/{world['event'].id}/walk-in", data=data, headers=headers)
    if json:
        return response.status_code, response.get_json()
    return response.status_code, [message for _c, message in _flashes(client)]


def _flashes(client):
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def status_of(rsvp) -> RsvpStatus:
    db.session.expire_all()
    return db.session.get(Rsvp, rsvp.id).status


def test_the_door_link_walk_in_form_asks_for_no_email(app, world):
    client = door_link_client(app, world)
    html = client.get(f"/door/e/{world['event'].id}").get_data(as_text=True)
    walk_in = re.search(r'<form[^>]*data-door-action="walk-in".*?</form>', html, re.S).group(0)
    assert 'name="name"' in walk_in and 'name="email"' not in walk_in


@pytest.mark.parametrize("who", ["going", "waiting", "gone"])
def test_a_door_link_learns_nothing_from_an_email_and_changes_no_rsvp(app, world, who):
    known = world[who]
    before = status_of(known)
    answers = []
    for email in (known.email, "nobody-here@example.org"):
        client = door_link_client(app, world)
        answers.append(add_walk_in(client, world, "Typed Name", email, json=True))
    (status_known, known_json), (status_unknown, unknown_json) = answers
    assert status_known == status_unknown == 200
    assert known_json["message"] == unknown_json["message"] == "Walk-in added and checked in: Typed Name."
    assert known_json.keys() == unknown_json.keys()
    assert known_json["rsvp_id"] != known.id
    assert status_of(known) is before  # a waitlisted one stays waitlisted, a cancelled one cancelled
    walk_ins = db.session.scalars(select(Rsvp).where(Rsvp.source == RsvpSource.WALK_IN)).all()
    assert len(walk_ins) == 2 and {r.name for r in walk_ins} == {"Typed Name"}
    assert all(r.email is None for r in walk_ins)  # a door link takes no email, even when one is posted


def test_without_javascript_the_answer_is_the_same_too(app, world):
    flashes = []
    for email in (world["waiting"].email, "nobody-here@example.org"):
        client = door_link_client(app, world)
        status, messages = add_walk_in(client, world, "Typed Name", email)
        assert status == 303
        flashes.append(messages)
    assert flashes[0] == flashes[1] == ["Walk-in added and checked in: Typed Name."]
    assert status_of(world["waiting"]) is RsvpStatus.WAITLISTED
    assert db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.source == RsvpSource.WALK_IN)) == 2
