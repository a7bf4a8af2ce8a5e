"""Issue 16, item 6: the RSVP form must not be a way to mail-bomb someone. Mail from the form to one
address about one event is limited per window, whatever the spelling of the address and whichever
client sends it; later submissions get exactly the same answer but send nothing more, and the owner
of an address that already has an RSVP gets at most one "you already have an RSVP" email per window."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from organizer import worker
from organizer.extensions import db
from organizer.models import OutboxMessage
from organizer.services.mail import transport
from tests import builders


@pytest.fixture
def event(campaign):
    return builders.make_event(campaign, slug="flood", title="Homs meeting", capacity=500, max_guests=0)


def sent_to(app, address: str) -> list:
    """What the outbox worker really sends (the memory backend), from the rows written so far."""
    db.session.commit()
    transport.memory_outbox.clear()
    while worker.send_pending(app.config).attempted:
        pass
    return [message for message in transport.memory_outbox if message["To"].lower() == address]


def post_from_a_new_client(app, event, email, name="Spam Spam"):
    client = app.test_client()
    token = client.get("/csrf-token").get_json()["csrf_token"]
    response = client.post(f"/e/{event.slug}/rsvp", data={"csrf_token": token, "name": name, "email": email})
    with client.session_transaction() as session:
        flashes = [message for _c, message in session.get("_flashes", [])]
    return response.status_code, response.headers.get("Location"), [re.sub(r"\S+@\S+", "@", f) for f in flashes]


def test_fifteen_rsvps_with_one_address_send_it_two_emails(app, event):
    """RSVP_MAIL_LIMIT is "2 per hour": the first RSVP's confirmation and one "this address already had
    an RSVP"; the thirteen others are answered alike and send nothing."""
    spellings = ["victim@example.org", "VICTIM@example.org", "ｖictim@example.org", "victim@EXAMPLE.org"]
    answers = [post_from_a_new_client(app, event, spellings[index % len(spellings)]) for index in range(15)]
    assert all(answer == answers[0] for answer in answers)  # the same answer every time
    assert answers[0][0] == 303
    sent = sent_to(app, "victim@example.org") + sent_to(app, "ｖictim@example.org")
    bodies = [message.get_body(("plain",)).get_content() for message in sent]
    assert len(sent) == 2
    assert "already had an RSVP" not in bodies[0] and "already had an RSVP" in bodies[1]


def test_the_owner_of_a_known_address_gets_one_notice_per_window(app, event):
    builders.make_rsvp(event, name="Amina", email="amina@example.org")
    for _ in range(6):
        post_from_a_new_client(app, event, "amina@example.org")
    sent = sent_to(app, "amina@example.org")
    assert len(sent) == 1
    body = sent[0].get_body(("plain",)).get_content()
    assert "already had an RSVP" in body and "/r/new-link/" in body


def test_the_limit_is_per_event(app, event, campaign):
    other = builders.make_event(campaign, slug="flood-2", title="Another meeting", capacity=500, max_guests=0)
    for _ in range(5):
        post_from_a_new_client(app, event, "someone@example.org")
    post_from_a_new_client(app, other, "someone@example.org")  # the first RSVP to the other event
    sent = sent_to(app, "someone@example.org")
    assert sorted(message["Subject"] for message in sent) == ["You're going: Another meeting",
                                                              "You're going: Homs meeting",
                                                              "You're going: Homs meeting"]


def test_a_different_address_is_not_held_back(app, event):
    for index in range(5):
        post_from_a_new_client(app, event, f"person{index}@example.org")
    assert all(len(sent_to(app, f"person{index}@example.org")) <= 1 for index in range(5))
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert len(rows) == 5
