"""Who sees an event's place, link and notes (services/events/details.py): every audience against every
kind of reader, the area that is always shown, and the settings' life (form, duplicate, emails)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Audience, Rsvp, RsvpStatus
from organizer.services.common.errors import ValidationFailed
from organizer.services.events import details
from organizer.services.events import events as event_service
from organizer.services.rsvp import changes as rsvp_changes
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import messages_to


@pytest.fixture
def team():
    return builders.make_team("organizer")


def event_for(team, audience: Audience, **extra):
    return builders.make_event(team["campaign"], online_url="https://meet.example.org/r", attendee_notes="Side door",
                               address_audience=audience, online_audience=audience, notes_audience=audience,
                               requires_approval=audience is Audience.APPROVED, **extra)


READERS = {
    "anyone": None,
    "going": dict(status=RsvpStatus.GOING),
    "going, approved": dict(status=RsvpStatus.GOING, approved_at=utcnow()),
    "waitlisted, approved": dict(status=RsvpStatus.WAITLISTED, approved_at=utcnow()),
    "waiting for approval": dict(status=RsvpStatus.PENDING),
    "declined": dict(status=RsvpStatus.DECLINED),
    "cancelled": dict(status=RsvpStatus.CANCELLED, approved_at=utcnow()),
    "forgotten": dict(status=RsvpStatus.GOING, approved_at=utcnow(), forgotten_at=utcnow()),
}
SEES = {
    Audience.EVERYONE: set(READERS),
    Audience.GOING: {"going", "going, approved"},
    Audience.APPROVED: {"going, approved"},
}


@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("reader", list(READERS))
def test_each_audience_admits_exactly_its_readers(team, audience, reader):
    event = event_for(team, audience)
    rsvp = builders.make_rsvp(event, **READERS[reader])[0] if READERS[reader] else None
    shown = details.details_for(event, rsvp)
    sees = reader in SEES[audience]
    assert (shown.address == "46 Whitechapel Road") is sees
    assert (shown.venue_name == "London Muslim Centre") is sees
    assert (shown.online_url == "https://meet.example.org/r") is sees
    assert (shown.notes == "Side door") is sees
    assert shown.withheld is not sees
    # The area, always.
    assert shown.city == "London" and shown.online


def test_each_detail_has_its_own_audience(team):
    event = builders.make_event(team["campaign"], online_url="https://meet.example.org/r", attendee_notes="Side door",
                                address_audience=Audience.EVERYONE, online_audience=Audience.GOING,
                                notes_audience=Audience.GOING)
    public = details.details_for(event)
    assert public.address == "46 Whitechapel Road" and not public.online_url and not public.notes and public.withheld
    assert public.location == "London Muslim Centre, 46 Whitechapel Road, London, United Kingdom"


def test_an_rsvp_of_another_event_admits_nothing(team):
    event = event_for(team, Audience.GOING)
    other = event_for(team, Audience.GOING)
    rsvp = builders.make_rsvp(other)[0]
    assert details.details_for(event, rsvp).address == ""


def test_an_online_only_event_says_online(team):
    event = builders.make_event(team["campaign"], venue_name="", address="", city="", country="",
                                online_url="https://meet.example.org/r")
    shown = details.details_for(event)
    assert shown.location == "online" and not shown.online_url and shown.withheld


def test_nothing_withheld_when_there_is_nothing_to_hide(team):
    event = builders.make_event(team["campaign"], address_audience=Audience.GOING)
    event.venue_name = event.address = ""
    assert not details.details_for(event).withheld


def test_new_events_keep_the_link_for_people_going(team):
    data = event_service.new_event_defaults(team["campaign"])
    data.title = "New meeting"
    event = event_service.create_event(team["organizer"], team["campaign"], data)
    assert (event.address_audience, event.online_audience, event.notes_audience) == (
        Audience.EVERYONE, Audience.GOING, Audience.GOING)
    assert not event.requires_approval


def test_the_form_saves_the_settings_and_a_duplicate_keeps_them(team):
    event = builders.make_event(team["campaign"])
    data = event_service.event_input_from(event)
    data.requires_approval = True
    data.address_audience = Audience.APPROVED
    data.attendee_notes = "  Ring twice  "
    event_service.update_event(team["organizer"], event, data)
    db.session.commit()
    assert event.address_audience is Audience.APPROVED and event.attendee_notes == "Ring twice"
    copy = event_service.duplicate_event(team["organizer"], event)
    assert details.settings_of(copy) == details.settings_of(event)


def test_notes_have_a_limit(team):
    event = builders.make_event(team["campaign"])
    data = event_service.event_input_from(event)
    data.attendee_notes = "x" * (details.NOTES_MAX + 1)
    with pytest.raises(ValidationFailed) as raised:
        event_service.update_event(team["organizer"], event, data)
    assert raised.value.field == "attendee_notes"


def test_a_new_place_is_sent_to_each_as_they_may_see_it(team):
    event = event_for(team, Audience.GOING)
    builders.make_rsvp(event, name="Amina", email="amina@example.org")
    builders.make_rsvp(event, name="Bilal", email="bilal@example.org", status=RsvpStatus.WAITLISTED)
    event.address = "9 New Road"
    db.session.commit()
    assert rsvp_changes.notify_event_changed(event, "place") == 2
    going, waiting = messages_to("amina@example.org")[-1], messages_to("bilal@example.org")[-1]
    assert "9 New Road" in going.body_text and "https://meet.example.org/r" in going.body_text
    assert "9 New Road" not in waiting.body_text and "meet.example.org" not in waiting.body_text
    assert "London" in waiting.body_text


def test_requests_hear_of_a_cancellation(team):
    event = event_for(team, Audience.APPROVED)
    builders.make_rsvp(event, name="Carla", email="carla@example.org", status=RsvpStatus.PENDING)
    event_service.cancel_event(team["owner"], event)
    db.session.commit()
    [mail] = messages_to("carla@example.org")
    assert mail.subject.startswith("Cancelled") and "Whitechapel" not in mail.body_text
    assert db.session.scalar(select(Rsvp.status).where(Rsvp.name == "Carla")) is RsvpStatus.PENDING
