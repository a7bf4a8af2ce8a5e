"""The reminder settings on the event form, the reminder's links and "send the report" through HTTP."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import CoverageRelation, Event, Rsvp, RsvpStatus
from organizer.services.door import checkins
from organizer.services.reminders import followups
from organizer.services.reminders.links import reminder_token
from organizer.timeutil import utcnow
from tests import builders
from tests.security.helpers import tampered
from tests.views.test_events import event_data


def body(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def signed_in(client, login, owner):
    login(owner)
    return client


def test_new_events_have_the_reminder_and_follow_up_on(signed_in, campaign, no_csrf):
    page = body(signed_in.get(f"/manage/c/{campaign.slug}/events/new"))
    assert '<input checked id="reminder_on"' in page and '<input checked id="followup_on"' in page
    assert 'name="reminder_hours" type="number" value="24"' in page
    response = signed_in.post(f"/manage/c/{campaign.slug}/events/new", data=event_data(
        reminder_on="y", reminder_hours="24", followup_on="y", followup_hours="3", followup_text="Thanks all!"))
    assert response.status_code == 303
    event = db.session.scalar(select(Event))
    assert (event.reminder_hours, event.followup_hours, event.followup_text) == (24, 3, "Thanks all!")


def test_organizers_turn_them_off_or_change_the_hours(signed_in, campaign, no_csrf):
    event = builders.make_event(campaign)
    response = signed_in.post(f"/manage/e/{event.id}/edit", data=event_data(
        slug=event.slug, reminder_on="y", reminder_hours="48", followup_text=""))
    assert response.status_code == 303
    db.session.refresh(event)
    assert (event.reminder_hours, event.followup_hours) == (48, None)
    form = body(signed_in.get(f"/manage/e/{event.id}/edit"))
    assert 'value="48"' in form


def test_bad_hours_are_a_form_error_and_keep_what_was_typed(signed_in, campaign, no_csrf):
    event = builders.make_event(campaign)
    response = signed_in.post(f"/manage/e/{event.id}/edit", data=event_data(
        slug=event.slug, title="Typed title", reminder_on="y", reminder_hours="900"))
    assert response.status_code == 400
    page = body(response)
    assert "Enter a number of hours from 1 to 168." in page and "Typed title" in page
    db.session.refresh(event)
    assert event.reminder_hours == 24 and event.title != "Typed title"


def test_yes_i_m_coming_is_recorded_and_shown_on_the_rsvp_list(client, login, owner, campaign):
    event = builders.make_event(campaign)
    rsvp, _token, _ticket = builders.make_rsvp(event, name="Amina")
    signed = reminder_token(rsvp)
    # Opening the link (as a mail scanner does) records nothing: it is a page that sends a form.
    opened = client.get(f"/reminder/{signed}/coming")
    assert opened.status_code == 200 and "data-submit-on-load" in body(opened)
    db.session.refresh(rsvp)
    assert rsvp.confirmed_at is None
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body(opened)).group(1)
    sent = client.post(f"/reminder/{signed}/coming", data={"csrf_token": token})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/reminder/{signed}")
    page = client.get(sent.headers["Location"])
    assert "the organizers know you're coming" in body(page) and 'class="qr-code"' in body(page)
    db.session.refresh(rsvp)
    assert rsvp.confirmed_at is not None
    # The link again: nothing more to send, the page that says where things stand.
    again = client.get(f"/reminder/{signed}/coming")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/reminder/{signed}")
    assert client.post(f"/reminder/{signed}/coming", data={}).status_code == 400  # no token: refused
    login(owner)
    listing = body(client.get(f"/manage/e/{event.id}/rsvps"))
    assert "Still coming" in listing


def test_i_can_t_make_it_asks_first_then_frees_the_place(client, campaign):
    event = builders.make_event(campaign, capacity=1)
    amina, _t, _k = builders.make_rsvp(event, name="Amina")
    omar, _t, _k = builders.make_rsvp(event, name="Omar", status=RsvpStatus.WAITLISTED)
    signed = reminder_token(amina)
    page = client.get(f"/reminder/{signed}/cancel")
    assert page.status_code == 200 and "Your place goes to the next person on the waitlist." in body(page)
    db.session.refresh(amina)
    assert amina.status is RsvpStatus.GOING  # opening the link (a mail scanner) changes nothing
    assert client.post(f"/reminder/{signed}/cancel", data={}).status_code == 400  # no CSRF token
    token = body(page).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/reminder/{signed}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Rsvp, amina.id).status is RsvpStatus.CANCELLED
    assert db.session.get(Rsvp, omar.id).status is RsvpStatus.GOING


def test_a_forged_or_tampered_link_is_a_404(client, campaign):
    event = builders.make_event(campaign)
    rsvp, _t, _k = builders.make_rsvp(event)
    signed = reminder_token(rsvp)
    assert client.get(f"/reminder/{tampered(signed)}").status_code == 404
    assert client.get("/reminder/x").status_code == 404


def test_the_event_page_offers_the_report_once_it_is_linked(signed_in, campaign, owner, no_csrf):
    start = utcnow() - timedelta(days=1)
    event = builders.make_event(campaign, starts_at=start, ends_at=start + timedelta(hours=2))
    came, _t, _k = builders.make_rsvp(event, name="Came")
    checkins.check_in(came, actor_user=owner)
    db.session.commit()
    followups.run_due(start + timedelta(hours=6))
    assert "Send the report to the people who came" not in body(signed_in.get(f"/manage/e/{event.id}"))
    builders.link_coverage(event, builders.make_coverage(campaign), CoverageRelation.REPORT)
    assert "Send the report to the people who came" in body(signed_in.get(f"/manage/e/{event.id}"))
    response = signed_in.post(f"/manage/e/{event.id}/send-report", follow_redirects=True)
    assert "The report is being emailed to 1 person who came." in body(response)
    assert "The report was emailed to the people who came on" in body(response)
    again = signed_in.post(f"/manage/e/{event.id}/send-report", follow_redirects=True)
    assert "The report was already sent to the people who came." in body(again)


def test_the_event_page_says_when_the_reminder_and_follow_up_go(signed_in, campaign):
    event = builders.make_event(campaign)
    page = body(signed_in.get(f"/manage/e/{event.id}"))
    assert "24 hours before the start" in page and "3 hours after the end" in page
    event.reminder_hours = None
    event.reminder_sent_for = None
    db.session.commit()
    assert "Reminder</dt><dd>Off" in body(signed_in.get(f"/manage/e/{event.id}"))
