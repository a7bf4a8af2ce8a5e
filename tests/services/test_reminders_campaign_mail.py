"""Reminders, follow-ups and the report are campaign mail (issue 10.7): an address unsubscribed from the
campaign gets none of them, each carries the unsubscribe link and the List-Unsubscribe headers, and one
written before its recipient unsubscribed is not sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from organizer import worker
from organizer.models import CoverageRelation
from organizer.services.door import checkins
from organizer.services.mail import transport, unsubscribe
from organizer.services.reminders import followups, reminders
from organizer.timeutil import utcnow
from tests import builders

START = (utcnow() + timedelta(days=10)).replace(hour=18, minute=0, second=0, microsecond=0)
PAST = (utcnow() - timedelta(days=3)).replace(hour=18, minute=0, second=0, microsecond=0)


@pytest.fixture
def sent(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    transport.memory_outbox.clear()

    def send():
        worker.send_pending(app.config)
        emails = {mail["To"]: mail for mail in transport.memory_outbox}
        transport.memory_outbox.clear()
        return emails

    yield send
    transport.memory_outbox.clear()


def leave(campaign, address: str) -> None:
    unsubscribe.unsubscribe(campaign, unsubscribe.address_hash(campaign.id, address))


def person(event, name, **overrides):
    rsvp, _t, _k = builders.make_rsvp(event, name=name, **overrides)
    return rsvp


def test_reminders_skip_the_unsubscribed_and_carry_the_link_and_headers(campaign, sent):
    event = builders.make_event(campaign, starts_at=START, ends_at=START + timedelta(hours=2))
    person(event, "Amina", created_at=START - timedelta(days=3))
    person(event, "Gone", created_at=START - timedelta(days=3))
    person(event, "Later", created_at=START - timedelta(days=3))
    leave(campaign, "GONE@example.org")  # however it is spelled
    assert reminders.run_due(START - timedelta(hours=24)) == 2
    leave(campaign, "later@example.org")  # after the reminder was written, before it left
    emails = sent()
    assert set(emails) == {"amina@example.org"}
    mail = emails["amina@example.org"]
    assert "/unsubscribe/" in mail["List-Unsubscribe"] and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "/unsubscribe/" in text and "/unsubscribe/" in html and "/reminder/" in text


def test_follow_ups_and_the_report_skip_the_unsubscribed(campaign, owner, sent):
    event = builders.make_event(campaign, starts_at=PAST, ends_at=PAST + timedelta(hours=2))
    came = person(event, "Came")
    gone = person(event, "Gone")
    missed = person(event, "Missed")
    for rsvp in (came, gone):
        checkins.check_in(rsvp, actor_user=owner)
    leave(campaign, "gone@example.org")
    assert [r.name for r in followups.segments(event).attended] == ["Came"]
    assert followups.run_due(PAST + timedelta(hours=5)) == 2
    emails = sent()
    assert set(emails) == {"came@example.org", "missed@example.org"} and missed.id
    assert all("/unsubscribe/" in mail["List-Unsubscribe"] for mail in emails.values())
    builders.link_coverage(event, builders.make_coverage(campaign), CoverageRelation.REPORT)
    assert followups.send_report(owner, event) == 1
    report = sent()
    assert set(report) == {"came@example.org"} and "/unsubscribe/" in report["came@example.org"]["List-Unsubscribe"]
