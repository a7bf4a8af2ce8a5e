"""An event's calendar file is reused for the same version of the event, never after an edit."""

from __future__ import annotations

from organizer.extensions import db
from organizer.models import EventStatus
from organizer.rendering import calendar
from tests import builders


def test_the_same_event_reuses_its_file_and_any_edit_makes_a_new_one(monkeypatch):
    campaign = builders.make_campaign(owner=builders.make_user())
    event = builders.make_event(campaign, title="First title")
    now = [500.0]
    monkeypatch.setattr(calendar.time, "monotonic", lambda: now[0])

    first = calendar.event_ics(event)
    assert calendar.event_ics(event) is first
    assert b"SUMMARY:First title" in first

    event.title = "Second title"
    db.session.commit()
    second = calendar.event_ics(event)
    assert b"SUMMARY:Second title" in second

    event.status = EventStatus.CANCELLED
    db.session.commit()
    assert b"STATUS:CANCELLED" in calendar.event_ics(event)

    campaign.name = "Renamed campaign"
    db.session.commit()
    assert b"Renamed campaign" in calendar.event_ics(event)

    other = builders.make_event(campaign, title="Another meeting")
    assert b"SUMMARY:Another meeting" in calendar.event_ics(other)


def test_a_reused_file_is_rebuilt_after_a_minute(monkeypatch):
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()))
    now = [1000.0]
    monkeypatch.setattr(calendar.time, "monotonic", lambda: now[0])
    first = calendar.event_ics(event)
    now[0] += calendar.ICS_REUSE_SECONDS + 1
    assert calendar.event_ics(event) is not first
