"""Automatic forgetting with an injectable clock: exactly on schedule, counts unchanged, exports and
door lists without the people, idempotent, dry runs change nothing, the command and the manage link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Answer, Campaign, OutboxMessage, OutboxStatus, QuestionKind, Rsvp, RsvpStatus
from organizer.services.door import checkins
from organizer.services.door import listing as door_listing
from organizer.services.privacy import retention
from organizer.services.reports import export_queries, turnout
from organizer.services.reports.export_spec import ExportSpec
from organizer.services.rsvp import capacity
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import messages_to


@pytest.fixture
def past_event():
    campaign = builders.make_campaign(retention_days=30)
    ends = utcnow().replace(microsecond=0) - timedelta(days=1)
    event = builders.make_event(campaign, starts_at=ends - timedelta(hours=2), capacity=50)
    event.ends_at = ends
    db.session.commit()
    return event


def people(event):
    question = builders.make_question(event, label="Diet?", kind=QuestionKind.TEXT)
    amina, token, _ = builders.make_rsvp(event, name="Amina Haddad", email="amina@example.org", phone="+44 7700 900123",
                                         guests=2, consent_contact=True)
    db.session.add(Answer(rsvp_id=amina.id, question_id=question.id, value="vegetarian"))
    builders.make_rsvp(event, name="Omar Khalil", email="omar@example.org", status=RsvpStatus.WAITLISTED)
    checkins.check_in(amina)
    db.session.commit()
    return amina, token


def test_forgotten_exactly_on_schedule_with_counts_unchanged(past_event):
    amina, _ = people(past_event)
    due = past_event.ends_at + timedelta(days=30)
    before = (capacity.summary(past_event), turnout.event_turnout(past_event), turnout.people_who_came(past_event))

    report = retention.run(now=due - timedelta(seconds=1))
    assert (report.rsvps, report.events) == (0, 0)
    db.session.refresh(amina)
    assert amina.name == "Amina Haddad"

    report = retention.run(now=due)
    db.session.commit()
    assert (report.rsvps, report.events) == (2, 1)
    db.session.refresh(amina)
    assert (amina.name, amina.email, amina.email_normalized, amina.phone, amina.search_name) == ("", None, None, None, "")
    assert amina.forgotten_at == due and not amina.consent_contact
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    assert amina.guests == 2 and amina.status is RsvpStatus.GOING
    after = (capacity.summary(past_event), turnout.event_turnout(past_event), turnout.people_who_came(past_event))
    assert after == before
    # Nobody with a name or address is left in the database for this event.
    names = db.session.scalars(select(Rsvp.name).where(Rsvp.event_id == past_event.id)).all()
    assert names == ["", ""]


def test_running_again_forgets_nothing_twice(past_event):
    people(past_event)
    due = past_event.ends_at + timedelta(days=31)
    assert retention.run(now=due).rsvps == 2
    db.session.commit()
    assert retention.run(now=due + timedelta(days=1)).rsvps == 0


def test_a_dry_run_counts_and_changes_nothing(past_event):
    amina, _ = people(past_event)
    report = retention.run(now=past_event.ends_at + timedelta(days=40), dry_run=True)
    assert report.rsvps == 2 and report.dry_run
    db.session.refresh(amina)
    assert amina.name == "Amina Haddad" and amina.forgotten_at is None


def test_never_keeps_everything_and_new_campaigns_start_at_90_days(past_event):
    people(past_event)
    past_event.campaign.retention_days = None
    db.session.commit()
    assert retention.run(now=past_event.ends_at + timedelta(days=4000)).rsvps == 0
    fresh = Campaign(slug="fresh", name="Fresh", default_timezone="Europe/London")
    db.session.add(fresh)
    db.session.flush()
    assert fresh.retention_days == retention.DEFAULT_DAYS == 90


def test_only_events_past_their_period_are_forgotten(past_event):
    people(past_event)
    recent = builders.make_event(past_event.campaign, starts_at=utcnow() + timedelta(days=3))  # 26 days in, at the run
    builders.make_rsvp(recent, name="Rania", email="rania@example.org")
    retention.run(now=past_event.ends_at + timedelta(days=30))
    db.session.commit()
    assert db.session.scalar(select(Rsvp.name).where(Rsvp.event_id == recent.id)) == "Rania"


def test_exports_and_door_lists_no_longer_have_them(past_event):
    people(past_event)
    whole_campaign = ExportSpec(scope="campaign", statuses=(RsvpStatus.GOING, RsvpStatus.WAITLISTED))
    one_event = ExportSpec(scope="event", event=past_event, statuses=(RsvpStatus.GOING, RsvpStatus.WAITLISTED))
    assert export_queries.count_rows(past_event.campaign, whole_campaign) == 2
    assert len(door_listing.door_rows(past_event)) == 1 and door_listing.door_page(past_event).rows
    retention.run(now=past_event.ends_at + timedelta(days=30))
    db.session.commit()
    assert export_queries.count_rows(past_event.campaign, whole_campaign) == 0
    assert export_queries.count_rows(past_event.campaign, one_event) == 0
    assert door_listing.door_rows(past_event) == [] and not door_listing.door_page(past_event).rows


def test_sent_mail_keeps_no_address_of_a_forgotten_person(past_event):
    _amina, _ = people(past_event)
    db.session.add(OutboxMessage(to_address="amina@example.org", subject="You're going", body_text="",
                                 status=OutboxStatus.SENT))
    db.session.commit()
    retention.run(now=past_event.ends_at + timedelta(days=30))
    db.session.commit()
    assert messages_to("amina@example.org") == []


def test_the_command_and_the_manage_link(app, client, past_event):
    _, token = people(past_event)
    runner = app.test_cli_runner()
    assert "0 RSVPs at 0 events" in runner.invoke(args=["retention", "run"]).output  # ended a day ago: kept
    past_event.ends_at = utcnow() - timedelta(days=31)
    db.session.commit()
    result = runner.invoke(args=["retention", "run", "--dry-run"])
    assert "2 RSVPs at 1 events would be forgotten" in result.output
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Rsvp).where(Rsvp.forgotten_at.is_not(None))) == 0
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0 and "2 RSVPs at 1 events forgotten" in result.output
    db.session.rollback()
    response = client.get(f"/r/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 410 and "Your details were deleted" in html and "Amina" not in html
    assert client.get(f"/r/{token}/cancel").status_code == 410
