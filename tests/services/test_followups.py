"""The follow-up after the meeting, with an injectable clock: due once, some hours after the end, never
before nor long after; segments exact (thanks with the report and the next event for those checked in,
"sorry we missed you" for the no-shows, nothing for the rest); the report sent later, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import AccessEntry, AccessKind, CoverageRelation, Message, OutboxMessage, RsvpStatus, Visibility
from organizer.services.common.errors import Conflict, PermissionDenied
from organizer.services.door import checkins
from organizer.services.events import events as event_rules
from organizer.services.reminders import followups
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import all_messages

START = (utcnow() - timedelta(days=3)).replace(hour=18, minute=0, second=0, microsecond=0)
END = START + timedelta(hours=2)
DUE = END + timedelta(hours=3)


@pytest.fixture
def event(campaign):
    event = builders.make_event(campaign, starts_at=START, ends_at=END, timezone="UTC")
    event.followup_text = "We pledged to write to our MPs."
    db.session.commit()
    return event


def person(event, name, **overrides):
    rsvp, _token, _ticket = builders.make_rsvp(event, name=name, **overrides)
    return rsvp


def followups_to() -> dict[str, str]:
    return {message.to_address: message.subject for message in all_messages()}


def test_segments_exact(event, owner, campaign):
    came = person(event, "Came")
    partly = person(event, "Partly", guests=2)
    missed = person(event, "Missed")
    person(event, "Cancelled", status=RsvpStatus.CANCELLED)
    person(event, "Waiting", status=RsvpStatus.WAITLISTED)
    nomail = person(event, "Nomail", email=None)
    checkins.check_in(came, actor_user=owner)
    checkins.check_in(partly, actor_user=owner, persons=1)
    checkins.check_in(nomail, actor_user=owner)
    undone = person(event, "Undone")
    checkins.check_in(undone, actor_user=owner)
    checkins.undo(undone, actor_user=owner)
    db.session.commit()
    report = builders.make_coverage(campaign, headline="Solidarity meeting pledges support for Syrian revolution")
    builders.link_coverage(event, report, CoverageRelation.REPORT)
    upcoming = builders.make_event(campaign, title="Next week's meeting", starts_at=utcnow() + timedelta(days=7))
    builders.make_event(campaign, title="Unlisted one", visibility=Visibility.UNLISTED,
                        starts_at=utcnow() + timedelta(days=1))

    groups = followups.segments(event)
    assert [r.name for r in groups.attended] == ["Came", "Partly"]
    assert [r.name for r in groups.missed] == ["Missed", "Undone"]
    assert followups.run_due(DUE) == 4
    db.session.commit()
    sent = {m.to_address: m for m in all_messages()}
    assert set(sent) == {"came@example.org", "partly@example.org", "missed@example.org", "undone@example.org"}
    thanks, sorry = sent["came@example.org"], sent["missed@example.org"]
    assert thanks.subject.startswith("Thank you for coming")
    assert "pledges support for Syrian revolution" in thanks.body_text and report.url in thanks.body_html
    assert "Next week's meeting" in thanks.body_text and upcoming.slug in thanks.body_text
    assert "Unlisted one" not in thanks.body_text
    assert "We pledged to write to our MPs." in thanks.body_text and "We pledged" in thanks.body_html
    assert sorry.subject.startswith("Sorry we missed you")
    assert "pledges support" not in sorry.body_text and "Next week's meeting" in sorry.body_text
    assert missed.id and not followups.can_send_report(event)  # the report went with the thanks


def test_due_once_never_before_and_not_long_after(event, campaign):
    person(event, "Missed")
    assert followups.run_due(DUE - timedelta(minutes=1)) == 0
    assert followups.run_due(DUE) == 1
    assert followups.run_due(DUE + timedelta(hours=1)) == 0
    late = builders.make_event(campaign, starts_at=START, ends_at=END)
    person(late, "Late")
    assert followups.run_due(DUE + followups.GRACE + timedelta(minutes=1)) == 0
    assert len(all_messages()) == 1


def test_none_for_a_cancelled_event_or_when_turned_off(event, campaign, owner):
    person(event, "Missed")
    event_rules.cancel_event(owner, event)
    off = builders.make_event(campaign, starts_at=START, ends_at=END)
    off.followup_hours = None
    db.session.commit()
    person(off, "Off")
    before = len(all_messages())  # the cancellation notice
    assert followups.run_due(DUE) == 0
    assert len(all_messages()) == before


def test_the_delay_is_the_event_s_setting(event):
    event.followup_hours = 24
    db.session.commit()
    person(event, "Missed")
    assert followups.run_due(DUE) == 0
    assert followups.run_due(END + timedelta(hours=24)) == 1


def test_a_report_linked_later_is_sent_once_to_the_people_who_came(event, owner, campaign):
    came = person(event, "Came")
    person(event, "Missed")
    checkins.check_in(came, actor_user=owner)
    db.session.commit()
    followups.run_due(DUE)
    db.session.commit()
    assert not followups.can_send_report(event)  # no report yet
    with pytest.raises(Conflict):
        followups.send_report(owner, event)
    db.session.rollback()
    builders.link_coverage(event, builders.make_coverage(campaign, headline="The report"), CoverageRelation.REPORT)
    assert followups.can_send_report(event)
    assert followups.send_report(owner, event) == 1
    db.session.commit()
    with pytest.raises(Conflict):
        followups.send_report(owner, event)
    db.session.rollback()
    reports = [m for m in all_messages() if m.renderer == followups.REPORT]
    assert [m.to_address for m in reports] == ["came@example.org"] and "The report" in reports[0].body_text
    assert event.report_sent_by_id == owner.id and not followups.can_send_report(event)


def test_only_organizers_send_the_report(event, campaign):
    team = builders.make_team("coordinator", "door", slug="reports-team")
    person(event, "Came")
    followups.run_due(DUE)
    builders.link_coverage(event, builders.make_coverage(campaign), CoverageRelation.REPORT)
    for who in ("coordinator", "door"):
        with pytest.raises(PermissionDenied):
            followups.send_report(team[who], event)
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.renderer == followups.REPORT)) is None


def test_the_report_is_logged_as_a_message_to_the_attended(event, owner, campaign):
    came = person(event, "Came")
    twice = person(event, "Twice", email="came@example.org")  # the same address, a second RSVP
    checkins.check_in(came, actor_user=owner)
    checkins.check_in(twice, actor_user=owner)
    db.session.commit()
    followups.run_due(DUE)
    builders.link_coverage(event, builders.make_coverage(campaign, headline="The report"), CoverageRelation.REPORT)
    assert followups.send_report(owner, event) == 1
    db.session.commit()
    message = db.session.scalar(select(Message))
    assert (message.event_id, message.sender_id, message.segments, message.recipient_count) == (
        event.id, owner.id, "attended", 1)
    assert "The report" in message.body
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message.id)).all()
    assert [row.to_address for row in rows] == ["came@example.org"]
    # It shows in the owners' access log like any message sent to supporters.
    entry = db.session.scalar(select(AccessEntry).where(AccessEntry.kind == AccessKind.MESSAGE))
    assert (entry.event_id, entry.count, entry.message_id) == (event.id, 1, message.id)
