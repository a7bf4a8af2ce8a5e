"""The message pages: compose, preview with the count, test, send once, bad input kept."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Message, OutboxMessage, RsvpStatus
from tests import builders

pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.fixture
def world():
    team = builders.make_team("coordinator", "organizer")
    event = builders.make_event(team["campaign"])
    for index in range(3):
        builders.make_rsvp(event, email=f"going{index}@example.org", consent_contact=index == 0)
    builders.make_rsvp(event, email="waiting@example.org", status=RsvpStatus.WAITLISTED)
    return {**team, "event": event}


def test_compose_preview_send_and_a_second_submit_sends_nothing(client, login, world):
    login(world["organizer"])
    url = f"/manage/e/{world['event'].id}/message"
    html = client.get(url).get_data(as_text=True)
    assert "(3 people)" in html and "(1 person)" in html
    draft = {"segments": ["going", "waitlisted"], "subject": "We moved", "body": "To **the hall** next door"}
    html = client.post(url, data={**draft, "preview": "Preview"}).get_data(as_text=True)
    assert "4 people will get this." in html and "<strong>the hall</strong>" in html
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(url, data={**draft, "idempotency_key": key, "send": "Send"})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 4
    again = client.post(url, data={**draft, "idempotency_key": key, "send": "Send"})
    assert again.status_code == 303
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 4
    assert db.session.scalar(select(func.count(Message.id))) == 1
    assert "already sent" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_test_goes_to_the_sender_and_the_draft_stays(client, login, world):
    login(world["organizer"])
    url = f"/manage/e/{world['event'].id}/message"
    html = client.post(url, data={"segments": ["going"], "subject": "Hi", "body": "Line one\nLine two",
                                  "test": "Send a test to me"}).get_data(as_text=True)
    assert "A test is on its way" in html and "3 people will get this." in html
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert [row.to_address for row in rows] == [world["organizer"].email]
    assert 'value="Line one\nLine two"' in html


def test_missing_subject_is_said_next_to_the_field_and_the_text_kept(client, login, world):
    login(world["owner"])
    url = f"/manage/e/{world['event'].id}/message"
    response = client.post(url, data={"segments": ["going"], "subject": "", "body": "Kept text",
                                      "preview": "Preview"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Write a subject." in html and "Kept text" in html
    response = client.post(url, data={"segments": ["attended"], "subject": "x", "body": "y", "preview": "Preview"})
    assert response.status_code == 400 and "once the event is over" in response.get_data(as_text=True)


def test_campaign_message_goes_to_those_who_consented(client, login, world):
    login(world["owner"])
    url = f"/manage/c/{world['campaign'].slug}/message"
    html = client.post(url, data={"segments": ["consented"], "subject": "News", "body": "Hello",
                                  "preview": "Preview"}).get_data(as_text=True)
    assert "1 person will get this." in html


def test_coordinators_and_door_may_not(client, login, world):
    login(world["coordinator"])
    assert client.get(f"/manage/e/{world['event'].id}/message").status_code == 404


def test_the_audit_page_lists_messages_beside_exports_newest_first(client, login, world, app):
    from organizer.worker import send_pending

    login(world["owner"])
    url = f"/manage/e/{world['event'].id}/message"
    for subject, key in (("First news", "first-key-0123456789"), ("Second news", "second-key-0123456789")):
        client.post(url, data={"segments": ["going"], "subject": subject, "body": "x",
                               "idempotency_key": key, "send": "Send"})
    client.post(f"/manage/c/{world['campaign'].slug}/export",
                data={"target": "campaign", "statuses": ["going"], "checked_in": "any", "preset": "names",
                      "file_format": "csv"}).close()
    send_pending(app.config, limit=4)
    html = client.get(f"/manage/c/{world['campaign'].slug}/audit").get_data(as_text=True)
    html = html[html.index("<tbody"):]  # past the flashed "Sent" messages
    assert html.index("Whole campaign") < html.index("Second news") < html.index("First news")
    assert "sent 3, failed 0, waiting 0" in html and "sent 1, failed 0, waiting 2" in html, html[:3000]
    login(world["organizer"])
    assert client.get(f"/manage/c/{world['campaign'].slug}/audit").status_code == 404
