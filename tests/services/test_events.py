from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from organizer.extensions import db
from organizer.models import (
    Answer,
    CoverageRelation,
    EmailPolicy,
    EventCoverage,
    EventStatus,
    QuestionKind,
    Role,
    RsvpStatus,
    Visibility,
)
from organizer.services.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from organizer.services.events import events
from organizer.services.events import listings as event_listings
from organizer.services.events import questions as question_rules
from organizer.services.events.events import EventInput
from organizer.services.events.questions import QuestionInput
from organizer.timeutil import utcnow
from tests import builders


@pytest.fixture
def campaign(owner):
    return builders.make_campaign(owner=owner, default_venue_name="London Muslim Centre",
                                  default_address="46-92 Whitechapel Road", default_city="London",
                                  default_country="United Kingdom", default_timezone="Europe/London")


def event_input(**overrides) -> EventInput:
    values = dict(title="Solidarity meeting", starts_local=datetime(2030, 3, 1, 19, 0),
                  ends_local=datetime(2030, 3, 1, 21, 0), timezone="Europe/London",
                  venue_name="London Muslim Centre", city="London")
    values.update(overrides)
    return EventInput(**values)


def test_defaults_come_from_the_campaign(campaign):
    data = events.new_event_defaults(campaign, now=datetime(2030, 6, 1, 12, 0))
    assert (data.venue_name, data.address, data.city, data.country, data.timezone) == (
        "London Muslim Centre", "46-92 Whitechapel Road", "London", "United Kingdom", "Europe/London"
    )
    assert data.starts_local == datetime(2030, 6, 8, 19, 0)
    assert data.ends_local == datetime(2030, 6, 8, 21, 0)


def test_defaults_use_the_campaign_zone_for_today(owner):
    campaign = builders.make_campaign(owner=owner, default_timezone="Asia/Tokyo")
    # 20:00 UTC on 1 June is already 2 June in Tokyo.
    data = events.new_event_defaults(campaign, now=datetime(2030, 6, 1, 20, 0))
    assert data.starts_local.date().isoformat() == "2030-06-09"
    assert data.timezone == "Asia/Tokyo"


def test_create_stores_utc_and_starts_as_a_draft(owner, campaign):
    event = events.create_event(owner, campaign, event_input(
        starts_local=datetime(2030, 7, 1, 19, 0), ends_local=datetime(2030, 7, 1, 21, 0)))
    assert event.status is EventStatus.DRAFT
    # London is on BST (UTC+1) in July.
    assert event.starts_at == datetime(2030, 7, 1, 18, 0)
    assert event.ends_at == datetime(2030, 7, 1, 20, 0)
    assert event.slug == "solidarity-meeting-2030-07-01"
    assert event.local_start.hour == 19


def test_same_title_same_day_gets_a_new_slug(owner, campaign):
    first = events.create_event(owner, campaign, event_input())
    second = events.create_event(owner, campaign, event_input())
    assert first.slug != second.slug
    assert second.slug == first.slug + "-2"


def test_other_zones(owner, campaign):
    event = events.create_event(owner, campaign, event_input(
        timezone="America/New_York", starts_local=datetime(2030, 1, 10, 18, 30),
        ends_local=datetime(2030, 1, 10, 20, 0)))
    assert event.starts_at == datetime(2030, 1, 10, 23, 30)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"starts_local": None}, "starts_local"),
        ({"ends_local": None}, "ends_local"),
        ({"ends_local": datetime(2030, 3, 1, 19, 0)}, "ends_local"),
        ({"ends_local": datetime(2030, 3, 1, 18, 0)}, "ends_local"),
        ({"timezone": "Nowhere/Special"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -5}, "capacity"),
        ({"capacity": 10**12}, "capacity"),
        ({"max_guests": -1}, "max_guests"),
        ({"max_guests": 21}, "max_guests"),
        ({"rsvp_deadline_local": datetime(2030, 3, 1, 21, 0)}, "rsvp_deadline_local"),
        ({"rsvp_deadline_local": datetime(2030, 3, 2, 9, 0)}, "rsvp_deadline_local"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"online_url": "ftp://example.org/file"}, "online_url"),
        ({"online_url": "//evil.example"}, "online_url"),
        ({"online_url": "https://"}, "online_url"),
        ({"online_url": "https://example.org/" + "x" * 500}, "online_url"),
        ({"visibility": "secret"}, "visibility"),
        ({"email_policy": "sometimes"}, "email_policy"),
        ({"venue_name": "x" * 161}, "venue_name"),
        ({"address": "x" * 301}, "address"),
        ({"description": "x" * 20_001}, "description"),
        ({"starts_local": datetime(1, 1, 1, 0, 0), "timezone": "Pacific/Kiritimati"}, "starts_local"),
        ({"ends_local": datetime(9999, 12, 31, 23, 0)}, "ends_local"),
        ({"rsvp_deadline_local": datetime(1850, 1, 1)}, "rsvp_deadline_local"),
    ],
)
def test_invalid_input_is_refused_with_the_field(owner, campaign, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        events.create_event(owner, campaign, event_input(**overrides))
    assert caught.value.field == field
    assert caught.value.message


def test_valid_edges(owner, campaign):
    event = events.create_event(owner, campaign, event_input(
        capacity=1, max_guests=20, online_url="https://meet.example.org/syria",
        rsvp_deadline_local=datetime(2030, 3, 1, 20, 59), visibility="unlisted", email_policy="required",
        ask_phone=True))
    assert (event.capacity, event.max_guests, event.visibility, event.email_policy, event.ask_phone) == (
        1, 20, Visibility.UNLISTED, EmailPolicy.REQUIRED, True)
    assert event.rsvp_deadline == datetime(2030, 3, 1, 20, 59)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.DOOR])
def test_only_organizers_and_owners_manage_events(campaign, role):
    actor = builders.make_user()
    builders.make_membership(campaign, actor, role)
    with pytest.raises(PermissionDenied):
        events.create_event(actor, campaign, event_input())
    event = builders.make_event(campaign)
    for call in (
        lambda: events.update_event(actor, event, event_input()),
        lambda: events.publish_event(actor, event),
        lambda: events.cancel_event(actor, event),
        lambda: events.duplicate_event(actor, event),
        lambda: question_rules.add_question(actor, event, QuestionInput(label="Q")),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_organizer_of_another_campaign_is_denied(campaign):
    stranger = builders.make_user()
    builders.make_campaign(owner=stranger)
    with pytest.raises(PermissionDenied):
        events.create_event(stranger, campaign, event_input())


def test_organizer_role_may_create(campaign):
    organizer = builders.make_user()
    builders.make_membership(campaign, organizer, Role.ORGANIZER)
    assert events.create_event(organizer, campaign, event_input()).id


def test_edit_round_trips_through_the_form_values(owner, campaign):
    event = events.create_event(owner, campaign, event_input(
        capacity=50, rsvp_deadline_local=datetime(2030, 3, 1, 12, 0), timezone="Asia/Damascus"))
    data = events.event_input_from(event)
    assert data.starts_local == datetime(2030, 3, 1, 19, 0)
    assert data.rsvp_deadline_local == datetime(2030, 3, 1, 12, 0)
    changes = events.update_event(owner, event, data)
    assert not changes.fields


def test_update_reports_what_changed(owner, campaign):
    event = events.create_event(owner, campaign, event_input(capacity=10))
    data = events.event_input_from(event)
    changes = events.update_event(owner, event, replace(data, capacity=20))
    assert changes.capacity_raised and not changes.notify_attendees
    changes = events.update_event(owner, event, replace(data, capacity=None))
    assert changes.capacity_raised
    changes = events.update_event(owner, event, replace(data, capacity=5))
    assert not changes.capacity_raised  # from "no limit" down to 5
    changes = events.update_event(owner, event, replace(data, capacity=5, city="Leeds"))
    assert changes.place_changed and changes.notify_attendees and not changes.time_changed
    changes = events.update_event(owner, event, replace(data, capacity=5, city="Leeds",
                                                        starts_local=datetime(2030, 3, 1, 18, 0)))
    assert changes.time_changed and not changes.place_changed
    changes = events.update_event(owner, event, replace(data, capacity=5, city="Leeds",
                                                        starts_local=datetime(2030, 3, 1, 18, 0),
                                                        title="New title"))
    assert changes.fields == {"title"} and not changes.notify_attendees


def test_invalid_update_changes_nothing(owner, campaign):
    event = events.create_event(owner, campaign, event_input())
    with pytest.raises(ValidationFailed):
        events.update_event(owner, event, event_input(title="Renamed", online_url="javascript:alert(1)"))
    assert event.title == "Solidarity meeting"


def test_publish_and_cancel(owner, campaign):
    event = events.create_event(owner, campaign, event_input())
    events.publish_event(owner, event)
    assert event.status is EventStatus.PUBLISHED
    events.cancel_event(owner, event)
    assert event.status is EventStatus.CANCELLED
    with pytest.raises(Conflict):
        events.cancel_event(owner, event)
    with pytest.raises(Conflict):
        events.publish_event(owner, event)


def test_people_to_notify_counts_going_and_waiting_with_an_email(campaign):
    event = builders.make_event(campaign)
    builders.make_rsvp(event)
    builders.make_rsvp(event, status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(event, status=RsvpStatus.CANCELLED)
    builders.make_rsvp(event, email=None)
    assert events.people_to_notify(event) == 2


@pytest.mark.parametrize("status", [EventStatus.DRAFT, EventStatus.CANCELLED])
def test_people_to_notify_is_nobody_when_cancelling_would_email_nobody(campaign, status):
    event = builders.make_event(campaign, status=status)
    builders.make_rsvp(event)
    assert events.people_to_notify(event) == 0


def test_duplicate_is_next_week_at_the_same_local_time(owner, campaign):
    # 28 March 2030, 19:00 GMT; a week later London is on BST (from 31 March), still 19:00 local.
    event = builders.make_event(campaign, starts_at=datetime(2030, 3, 28, 19, 0),
                                ends_at=datetime(2030, 3, 28, 21, 0),
                                rsvp_deadline=datetime(2030, 3, 28, 12, 0), capacity=40, title="Weekly meeting")
    builders.make_question(event, label="Access needs?")
    builders.make_question(event, label="Which group?", kind=QuestionKind.CHOICE, choices="A\nB", required=True)
    prompting = builders.make_coverage(campaign)
    report = builders.make_coverage(campaign, headline="Report")
    builders.link_coverage(event, prompting, CoverageRelation.PROMPTED_BY, note="Why")
    builders.link_coverage(event, report, CoverageRelation.REPORT)

    copy = events.duplicate_event(owner, event)
    db.session.commit()
    assert copy.id != event.id and copy.slug != event.slug
    assert copy.status is EventStatus.DRAFT
    assert copy.local_start.replace(tzinfo=None) == datetime(2030, 4, 4, 19, 0)
    assert copy.starts_at == datetime(2030, 4, 4, 18, 0)
    assert copy.ends_at == datetime(2030, 4, 4, 20, 0)
    assert copy.rsvp_deadline == datetime(2030, 4, 4, 11, 0)
    assert (copy.title, copy.capacity, copy.venue_name) == ("Weekly meeting", 40, event.venue_name)
    assert [(q.label, q.kind, q.choices, q.required) for q in copy.questions] == [
        (q.label, q.kind, q.choices, q.required) for q in event.questions
    ]
    links = db.session.scalars(db.select(EventCoverage).where(EventCoverage.event_id == copy.id)).all()
    assert [(link.coverage_id, link.relation, link.note) for link in links] == [
        (prompting.id, CoverageRelation.PROMPTED_BY, "Why")
    ]
    # The original is untouched.
    assert len(event.questions) == 2 and event.status is EventStatus.PUBLISHED


def test_questions_add_edit_move_delete(owner, campaign):
    event = builders.make_event(campaign)
    first = question_rules.add_question(owner, event, QuestionInput(label="Access needs?", kind="yes_no"))
    second = question_rules.add_question(owner, event, QuestionInput(
        label="Which city?", kind=QuestionKind.CHOICE, choices=" London \n\nLeeds\nLondon\n", required=True))
    assert second.choices == "London\nLeeds"
    assert [q.id for q in event.questions] == [first.id, second.id]
    question_rules.move_question(owner, event, second, -1)
    assert [q.id for q in event.questions] == [second.id, first.id]
    question_rules.move_question(owner, event, second, -1)  # already first: nothing happens
    assert [q.id for q in event.questions] == [second.id, first.id]
    question_rules.update_question(owner, event, first, QuestionInput(label="Anything else?", kind="text"))
    assert (first.label, first.kind, first.required) == ("Anything else?", QuestionKind.TEXT, False)
    question_rules.delete_question(owner, event, second)
    assert [q.id for q in event.questions] == [first.id]


def test_answer_count_is_what_removing_a_question_deletes(owner, campaign):
    event = builders.make_event(campaign)
    asked = builders.make_question(event, label="Branch?", kind=QuestionKind.TEXT)
    other = builders.make_question(event, label="Diet?", kind=QuestionKind.TEXT)
    for value in ("Leeds", "York"):
        rsvp, _, _ = builders.make_rsvp(event)
        db.session.add(Answer(rsvp_id=rsvp.id, question_id=asked.id, value=value))
    db.session.commit()
    assert (question_rules.answer_count(asked), question_rules.answer_count(other)) == (2, 0)
    question_rules.delete_question(owner, event, asked)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Answer.id))) == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (QuestionInput(label=""), "label"),
        (QuestionInput(label="x" * 201), "label"),
        (QuestionInput(label="Q", kind="essay"), "kind"),
        (QuestionInput(label="Q", kind="choice", choices="Only one"), "choices"),
        (QuestionInput(label="Q", kind="choice", choices="\n".join(f"c{i}" for i in range(21))), "choices"),
        (QuestionInput(label="Q", kind="choice", choices="ok\n" + "x" * 101), "choices"),
    ],
)
def test_invalid_questions(owner, campaign, data, field):
    event = builders.make_event(campaign)
    with pytest.raises(ValidationFailed) as caught:
        question_rules.add_question(owner, event, data)
    assert caught.value.field == field


def test_at_most_ten_questions(owner, campaign):
    event = builders.make_event(campaign)
    for number in range(10):
        question_rules.add_question(owner, event, QuestionInput(label=f"Question {number}"))
    with pytest.raises(Conflict):
        question_rules.add_question(owner, event, QuestionInput(label="One too many"))
    assert len(event.questions) == 10


def test_questions_of_another_event_are_not_found(owner, campaign):
    event = builders.make_event(campaign)
    other = builders.make_event(campaign)
    foreign = builders.make_question(other)
    with pytest.raises(NotFound):
        question_rules.get_question(event, foreign.id)
    with pytest.raises(NotFound):
        question_rules.delete_question(owner, event, foreign)


def test_home_lists_upcoming_public_published_events_soonest_first(campaign):
    now = utcnow()
    later = builders.make_event(campaign, starts_at=now + timedelta(days=9), title="Later")
    sooner = builders.make_event(campaign, starts_at=now + timedelta(days=2), title="Sooner")
    running = builders.make_event(campaign, starts_at=now - timedelta(hours=1), title="Running now")
    builders.make_event(campaign, starts_at=now - timedelta(days=3), title="Past")
    builders.make_event(campaign, status=EventStatus.DRAFT, title="Draft")
    builders.make_event(campaign, status=EventStatus.CANCELLED, title="Cancelled")
    builders.make_event(campaign, visibility=Visibility.UNLISTED, title="Unlisted")
    assert event_listings.upcoming_public_events() == [running, sooner, later]


def test_campaign_events_splits_upcoming_drafts_and_past(campaign):
    now = utcnow()
    upcoming = builders.make_event(campaign, starts_at=now + timedelta(days=2))
    cancelled = builders.make_event(campaign, starts_at=now + timedelta(days=3), status=EventStatus.CANCELLED)
    draft = builders.make_event(campaign, status=EventStatus.DRAFT)
    old = builders.make_event(campaign, starts_at=now - timedelta(days=30))
    older = builders.make_event(campaign, starts_at=now - timedelta(days=60))
    builders.make_event(builders.make_campaign(), starts_at=now + timedelta(days=1))
    listing = event_listings.campaign_events(campaign)
    assert listing.upcoming == [upcoming, cancelled]
    assert listing.drafts == [draft]
    assert listing.past == [old, older]


def test_public_campaign_events_never_lists_drafts_or_unlisted(campaign):
    published = builders.make_event(campaign)
    cancelled = builders.make_event(campaign, status=EventStatus.CANCELLED)
    builders.make_event(campaign, status=EventStatus.DRAFT)
    builders.make_event(campaign, visibility=Visibility.UNLISTED)
    assert set(event_listings.public_campaign_events(campaign)) == {published, cancelled}


def test_still_to_come_keeps_published_events_not_over(campaign):
    coming = builders.make_event(campaign, starts_at=utcnow() + timedelta(days=1))
    on_now = builders.make_event(campaign, starts_at=utcnow() - timedelta(hours=1), ends_at=utcnow() + timedelta(hours=1))
    over = builders.make_event(campaign, starts_at=utcnow() - timedelta(days=1))
    called_off = builders.make_event(campaign, status=EventStatus.CANCELLED, starts_at=utcnow() + timedelta(days=1))
    assert event_listings.still_to_come([coming, on_now, over, called_off]) == [coming, on_now]


def test_public_event_by_slug(campaign):
    published = builders.make_event(campaign, slug="published")
    builders.make_event(campaign, slug="draft", status=EventStatus.DRAFT)
    builders.make_event(campaign, slug="unlisted", visibility=Visibility.UNLISTED)
    builders.make_event(campaign, slug="cancelled", status=EventStatus.CANCELLED)
    assert event_listings.public_event_by_slug("published") == published
    assert event_listings.public_event_by_slug("draft") is None
    assert event_listings.public_event_by_slug("unlisted") is not None
    assert event_listings.public_event_by_slug("cancelled") is not None
    assert event_listings.public_event_by_slug("nothing") is None


# --- Hand-over to the RSVP rules ---------------------------------------------------------------

def _outbox_count() -> int:
    from organizer.models import OutboxMessage

    return db.session.scalar(db.select(db.func.count(OutboxMessage.id)))


def test_raising_capacity_lets_the_waitlist_in(owner, campaign):
    event = builders.make_event(campaign, capacity=1, starts_at=utcnow() + timedelta(days=3))
    builders.make_rsvp(event)
    waiting, _, _ = builders.make_rsvp(event, status=RsvpStatus.WAITLISTED)
    data = events.event_input_from(event)
    changes = events.update_event(owner, event, replace(data, capacity=2))
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status is RsvpStatus.GOING
    assert (changes.promoted, changes.notified) == (1, 0)  # what the organizer is told


def test_moving_a_published_event_tells_people_and_retitling_does_not(owner, campaign):
    event = builders.make_event(campaign, starts_at=utcnow() + timedelta(days=3))
    builders.make_rsvp(event)
    builders.make_rsvp(event, status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(event, email=None)
    data = events.event_input_from(event)
    events.update_event(owner, event, replace(data, title="New title"))
    assert _outbox_count() == 0
    changes = events.update_event(owner, event, replace(data, title="New title", venue_name="Another hall"))
    assert _outbox_count() == 2 and changes.notified == 2 and changes.change == "place"
    events.update_event(owner, event, replace(data, title="New title", venue_name="Another hall",
                                              starts_local=data.starts_local + timedelta(hours=1),
                                              ends_local=data.ends_local + timedelta(hours=1)))
    assert _outbox_count() == 4


def test_cancelling_emails_exactly_the_people_the_confirmation_counted(owner, campaign):
    event = builders.make_event(campaign, starts_at=utcnow() + timedelta(days=3))
    builders.make_rsvp(event)
    builders.make_rsvp(event, status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(event, status=RsvpStatus.CANCELLED)
    builders.make_rsvp(event, email=None)
    expected = events.people_to_notify(event)
    events.cancel_event(owner, event)
    assert expected == 2 and _outbox_count() == expected


def test_cancelling_or_editing_a_draft_emails_nobody(owner, campaign):
    event = builders.make_event(campaign, status=EventStatus.DRAFT)
    builders.make_rsvp(event)
    data = events.event_input_from(event)
    events.update_event(owner, event, replace(data, city="Leeds"))
    events.cancel_event(owner, event)
    assert _outbox_count() == 0


# --- Back to draft and delete: only while nothing is recorded at the event -----------------------

def test_a_published_event_nobody_rsvped_to_goes_back_to_draft(owner, campaign):
    event = builders.make_event(campaign)
    events.unpublish_event(owner, event)
    assert event.status is EventStatus.DRAFT
    with pytest.raises(Conflict):
        events.unpublish_event(owner, event)  # already a draft


def test_once_someone_rsvped_even_if_they_cancelled_the_event_stays_public(owner, campaign):
    event = builders.make_event(campaign)
    builders.make_rsvp(event, status=RsvpStatus.CANCELLED)
    assert events.has_records(event)
    with pytest.raises(Conflict, match="cancel it"):
        events.unpublish_event(owner, event)
    with pytest.raises(Conflict, match="Cancel it instead"):
        events.delete_event(owner, event)
    assert event.status is EventStatus.PUBLISHED


def test_what_can_be_undone_follows_the_status_and_the_records(owner, campaign):
    published = builders.make_event(campaign)
    draft = builders.make_event(campaign, status=EventStatus.DRAFT)
    assert events.retraction(published) == events.Retraction(can_unpublish=True, can_delete=True)
    assert events.retraction(draft) == events.Retraction(can_unpublish=False, can_delete=True)
    events.check_deletable(published)  # no error while nothing is recorded
    builders.make_rsvp(published)
    assert events.retraction(published) == events.Retraction(can_unpublish=False, can_delete=False)
    with pytest.raises(Conflict, match="Cancel it instead"):
        events.check_deletable(published)


def test_a_crowd_count_alone_is_a_record_too(owner, campaign):
    from organizer.services.door import crowd

    event = builders.make_event(campaign)
    assert not events.has_records(event)
    crowd.add(event, 40, actor_user=owner)
    assert events.has_records(event)
    with pytest.raises(Conflict):
        events.delete_event(owner, event)


def test_deleting_an_event_takes_its_questions_links_and_door_links_and_keeps_the_library_and_the_log(
        owner, campaign):
    from organizer.models import Coverage, DoorLink, Event, ExportRecord, Question
    from organizer.services.door import door_links

    event = builders.make_event(campaign, title="Set up by mistake")
    other = builders.make_event(campaign)
    builders.make_question(event)
    article = builders.make_coverage(campaign)
    db.session.add(EventCoverage(event_id=event.id, coverage_id=article.id, relation=CoverageRelation.PROMPTED_BY))
    db.session.add(EventCoverage(event_id=other.id, coverage_id=article.id, relation=CoverageRelation.PROMPTED_BY))
    door_links.create(event, "Front door", owner)
    db.session.add(ExportRecord(campaign_id=campaign.id, event_id=event.id, user_id=owner.id, user_email=owner.email,
                                scope="event", file_format="csv", row_count=0))
    db.session.commit()
    event_id = event.id

    events.delete_event(owner, event)
    db.session.commit()

    assert db.session.get(Event, event_id) is None
    assert db.session.scalars(db.select(Question).where(Question.event_id == event_id)).all() == []
    assert db.session.scalars(db.select(DoorLink).where(DoorLink.event_id == event_id)).all() == []
    assert [link.event_id for link in db.session.scalars(db.select(EventCoverage))] == [other.id]
    assert db.session.get(Coverage, article.id) is not None  # still in the campaign's library
    record = db.session.scalar(db.select(ExportRecord))
    assert record is not None and record.event_id is None


def test_only_organizers_may_unpublish_or_delete(campaign):
    event = builders.make_event(campaign)
    coordinator, door = builders.make_user(), builders.make_user()
    builders.make_membership(campaign, coordinator, Role.COORDINATOR)
    builders.make_membership(campaign, door, Role.DOOR)
    for person in (coordinator, door, builders.make_user()):
        with pytest.raises(PermissionDenied):
            events.unpublish_event(person, event)
        with pytest.raises(PermissionDenied):
            events.delete_event(person, event)


# --- Publishing honestly: a past start or deadline is asked about first -----------------------------

def test_publishing_an_event_whose_start_has_passed_needs_confirmation(owner, campaign):
    event = builders.make_event(campaign, status=EventStatus.DRAFT, starts_at=utcnow() - timedelta(hours=1))
    with pytest.raises(events.PublishNeedsConfirmation) as raised:
        events.publish_event(owner, event)
    assert event.status is EventStatus.DRAFT
    assert len(raised.value.reasons) == 1 and "start" in raised.value.reasons[0]
    events.publish_event(owner, event, confirmed=True)
    assert event.status is EventStatus.PUBLISHED


def test_publishing_after_the_deadline_needs_confirmation_and_says_nobody_can_rsvp(owner, campaign):
    now = utcnow()
    event = builders.make_event(campaign, status=EventStatus.DRAFT, starts_at=now + timedelta(days=2),
                                rsvp_deadline=now + timedelta(days=1))
    events.publish_event(owner, event, now=now)  # deadline still ahead: no question
    assert event.status is EventStatus.PUBLISHED
    event.status = EventStatus.DRAFT
    with pytest.raises(events.PublishNeedsConfirmation) as raised:
        events.publish_event(owner, event, now=now + timedelta(days=1, seconds=1))
    assert "nobody will be able to RSVP" in raised.value.reasons[0]
    assert event.status is EventStatus.DRAFT
