"""Issue 16, item 4: a promotion from the waitlist never kills a private link the supporter holds.
A supporter without email has only the link the page gave them; with email, the link from the
earlier email (perhaps bookmarked on their phone). Both keep working after an automatic promotion
and after an organizer promotes by hand; the promotion email leads to the RSVP too."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Rsvp, RsvpStatus
from tests import builders
from tests.mailbox import last_link, messages_to, path_of


@pytest.fixture
def event(campaign):
    return builders.make_event(campaign, slug="tiny", title="Small room", capacity=1, max_guests=0)


def rsvp_from_the_form(app, event, name, email=""):
    """Submit the public form as a phone would; returns the path of the private link the supporter holds."""
    client = app.test_client()
    token = client.get("/csrf-token").get_json()["csrf_token"]
    response = client.post(f"/e/{event.slug}/rsvp", data={"csrf_token": token, "name": name, "email": email})
    assert response.status_code == 303
    if email:
        return client, path_of(last_link(email, "/r/"))
    assert response.headers["Location"].startswith("/r/")
    return client, response.headers["Location"]


def status_of(name) -> RsvpStatus:
    db.session.expire_all()
    return db.session.scalar(select(Rsvp.status).where(Rsvp.name == name))


def cancel(client, link: str) -> None:
    html = client.get(f"{link}/cancel").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    assert client.post(f"{link}/cancel", data={"csrf_token": token}).status_code == 303


def test_a_supporter_without_email_keeps_their_link_when_promoted(app, event):
    first, first_link = rsvp_from_the_form(app, event, "First Comer")
    waiting, waiting_link = rsvp_from_the_form(app, event, "No Email Person")
    assert status_of("No Email Person") is RsvpStatus.WAITLISTED
    cancel(first, first_link)  # a place frees up: promoted at once
    assert status_of("No Email Person") is RsvpStatus.GOING
    page = waiting.get(waiting_link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Going" in html and "<svg" in html  # their ticket is there


def test_a_supporter_with_email_keeps_the_link_from_their_first_email(app, event):
    first, first_link = rsvp_from_the_form(app, event, "First Comer")
    waiting, waiting_link = rsvp_from_the_form(app, event, "Emailed Person", email="waiting@example.org")
    cancel(first, first_link)
    assert status_of("Emailed Person") is RsvpStatus.GOING
    assert waiting.get(waiting_link).status_code == 200
    promotion = messages_to("waiting@example.org")[-1]
    assert "place opened up" in promotion.subject
    # The promotion email still leads to the RSVP: the earlier link, or a way to a new one.
    assert "/r/" in promotion.body_text
    assert waiting.get(waiting_link).status_code == 200


def test_a_promotion_by_hand_keeps_the_link(app, client, login, event, owner):
    _first, _first_link = rsvp_from_the_form(app, event, "First Comer")
    waiting, waiting_link = rsvp_from_the_form(app, event, "No Email Person")
    rsvp_id = db.session.scalar(select(Rsvp.id).where(Rsvp.name == "No Email Person"))
    login(owner)
    html = client.get(f"/manage/e/{event.id}/rsvps").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    assert client.post(f"/manage/e/{event.id}/rsvps/{rsvp_id}/promote",
                       data={"csrf_token": token}).status_code == 303
    assert status_of("No Email Person") is RsvpStatus.GOING
    assert waiting.get(waiting_link).status_code == 200

