"""Messages to a segment: exact counts on a built data set, one outbox row per address, written in bulk,
double submits, who may send, and what the worker renders."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Message, OutboxMessage, Role, RsvpStatus, Segment
from organizer.services.common.errors import PermissionDenied, ValidationFailed
from organizer.services.door import checkins
from organizer.services.mail.transport import memory_outbox
from organizer.services.messaging import messages, segments
from organizer.timeutil import utcnow
from organizer.worker import send_pending
from tests import builders


@pytest.fixture
def world(owner, campaign):
    """A past event: 4 going (2 checked in, one of them twice an address), 2 waitlisted, 1 cancelled,
    1 going without an address, 1 forgotten; an upcoming event; consent spread over both."""
    past = builders.make_event(campaign, starts_at=utcnow() - timedelta(days=2),
                               ends_at=utcnow() - timedelta(days=2) + timedelta(hours=2))
    upcoming = builders.make_event(campaign)
    came_a, *_ = builders.make_rsvp(past, email="came.a@example.org", consent_contact=True)
    came_b, *_ = builders.make_rsvp(past, email="Came.B@example.org")
    builders.make_rsvp(past, email="stayed.away@example.org", consent_contact=True)
    builders.make_rsvp(past, email="came.a@example.org", email_normalized="came.a@example.org")  # same person again
    builders.make_rsvp(past, email="wait.one@example.org", status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(past, email="wait.two@example.org", status=RsvpStatus.WAITLISTED, consent_contact=True)
    builders.make_rsvp(past, email="cancelled@example.org", status=RsvpStatus.CANCELLED, consent_contact=True)
    builders.make_rsvp(past, email=None, email_normalized=None)
    builders.make_rsvp(past, email="forgotten@example.org", forgotten_at=utcnow(), consent_contact=True)
    builders.make_rsvp(upcoming, email="CAME.A@example.org", email_normalized="came.a@example.org",
                       consent_contact=True)
    builders.make_rsvp(upcoming, email="new@example.org", consent_contact=True)
    builders.make_rsvp(upcoming, email="quiet@example.org")
    checkins.check_in(came_a, owner)
    checkins.check_in(came_b, owner)
    db.session.commit()
    return {"past": past, "upcoming": upcoming, "campaign": campaign, "owner": owner}


def _count(world, event, *chosen):
    return segments.count(segments.audience(world["campaign"], event, list(chosen)))


def test_segment_counts_are_exact(world):
    past, upcoming = world["past"], world["upcoming"]
    assert _count(world, past, "going") == 3  # came.a (twice: once), came.b, stayed.away
    assert _count(world, past, "waitlisted") == 2
    assert _count(world, past, "attended") == 2
    assert _count(world, past, "no_show") == 1
    assert _count(world, past, "going", "waitlisted") == 5
    assert _count(world, past, "attended", "no_show") == 3
    assert _count(world, upcoming, "going") == 3
    # came.a (both events, one person), stayed.away, wait.two, cancelled, new; not quiet, not forgotten
    assert _count(world, None, "consented") == 5


def test_who_came_is_known_only_after_the_event(world):
    with pytest.raises(ValidationFailed):
        segments.audience(world["campaign"], world["upcoming"], ["attended"])
    with pytest.raises(ValidationFailed):
        segments.audience(world["campaign"], world["upcoming"], ["no_show"])
    with pytest.raises(ValidationFailed):
        segments.audience(world["campaign"], world["upcoming"], ["consented"])
    with pytest.raises(ValidationFailed):
        segments.audience(world["campaign"], None, ["going"])
    with pytest.raises(ValidationFailed):
        segments.audience(world["campaign"], world["upcoming"], [])
    assert segments.available(world["upcoming"]) == [Segment.GOING, Segment.WAITLISTED]


def _send(world, event, chosen, key="k" * 20, user=None):
    target = segments.audience(world["campaign"], event, chosen)
    draft = messages.clean_draft("We moved next door", "We're in **the hall next door**.\n\n<script>x</script>")
    message, created = messages.send(user or world["owner"], target, draft, key)
    db.session.commit()
    return message, created


def test_sending_writes_one_row_per_address_and_a_second_submit_nothing(world):
    message, created = _send(world, world["past"], ["going", "waitlisted"])
    assert created and message.recipient_count == 5
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.message_id == message.id)).all()
    assert sorted(row.recipient_key for row in rows) == [
        "came.a@example.org", "came.b@example.org", "stayed.away@example.org", "wait.one@example.org",
        "wait.two@example.org"]
    assert {row.renderer for row in rows} == {messages.MESSAGE}
    assert all(json.loads(row.render_data)["message_id"] == message.id for row in rows)
    again, created = _send(world, world["past"], ["going", "waitlisted"])
    assert again.id == message.id and not created
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 5
    assert db.session.scalar(select(func.count(Message.id))) == 1


def test_the_database_refuses_a_second_row_for_an_address(world):
    message, _ = _send(world, world["past"], ["going"])
    with pytest.raises(Exception):  # noqa: B017,PT011 - IntegrityError from either database
        messages._write_outbox_rows(message, segments.audience(world["campaign"], world["past"], ["going"]))
        db.session.flush()
    db.session.rollback()


def test_an_empty_segment_sends_nothing(world):
    event = builders.make_event(world["campaign"])
    with pytest.raises(ValidationFailed):
        _send(world, event, ["going"])
    db.session.rollback()
    assert db.session.scalar(select(func.count(Message.id))) == 0


@pytest.mark.parametrize(("role", "allowed"), [(Role.OWNER, True), (Role.ORGANIZER, True),
                                              (Role.COORDINATOR, False), (Role.DOOR, False)])
def test_owners_and_organizers_may_send(world, role, allowed):
    user = builders.make_user()
    builders.make_membership(world["campaign"], user, role)
    if allowed:
        assert _send(world, world["past"], ["going"], user=user)[1]
    else:
        with pytest.raises(PermissionDenied):
            _send(world, world["past"], ["going"], user=user)


def test_the_worker_renders_sanitized_markdown_and_the_log_counts(world, app):
    memory_outbox.clear()
    _send(world, world["upcoming"], ["going"])
    entry = messages.log(world["campaign"], 10)[0]
    assert (entry.sent, entry.failed, entry.waiting) == (0, 0, 3)
    report = send_pending(app.config)
    assert report.sent == 3
    mails = list(memory_outbox)
    assert sorted(str(mail["To"]).lower() for mail in mails) == ["came.a@example.org", "new@example.org",
                                                                   "quiet@example.org"]
    html = mails[0].get_body(preferencelist=("html",)).get_content()
    assert "<strong>the hall next door</strong>" in html and "<script>" not in html
    assert "the hall next door" in mails[0].get_body(preferencelist=("plain",)).get_content()
    entry = messages.log(world["campaign"], 10)[0]
    assert (entry.sent, entry.failed, entry.waiting) == (3, 0, 0)


def test_the_worker_loads_a_messages_campaign_once_a_batch_not_once_a_mail(world, app):
    """What every mail of a message shares is read once per batch: each mail's commit used to expire
    the campaign, and the session's weak references let it go between two mails."""
    from sqlalchemy import event as sa_events

    memory_outbox.clear()
    _send(world, world["upcoming"], ["going"])
    db.session.remove()  # nothing of the test's own stays in the worker's session
    campaign_reads = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().startswith("SELECT") and "FROM campaign" in statement:
            campaign_reads.append(statement)

    sa_events.listen(db.engine, "before_cursor_execute", count)
    try:
        report = send_pending(app.config)
    finally:
        sa_events.remove(db.engine, "before_cursor_execute", count)
    assert report.sent == 3 and len(memory_outbox) == 3
    assert len(campaign_reads) == 1, campaign_reads
    memory_outbox.clear()


def test_a_message_is_rendered_once_and_each_recipient_gets_their_own_unsubscribe_link(world, app, monkeypatch):
    from organizer.rendering import campaign_mail

    renders = []
    real = campaign_mail.render_bodies
    monkeypatch.setattr(campaign_mail, "render_bodies", lambda *a, **k: renders.append(1) or real(*a, **k))
    memory_outbox.clear()
    _send(world, world["upcoming"], ["going"])
    assert send_pending(app.config).sent == 3
    links = {}
    for mail in memory_outbox:
        text = mail.get_body(preferencelist=("plain",)).get_content()
        html = mail.get_body(preferencelist=("html",)).get_content()
        link = mail["List-Unsubscribe"].strip("<>")
        assert link in text and f'href="{link}"' in html and "organizer.invalid" not in text + html
        links[str(mail["To"]).lower()] = link
    assert len(set(links.values())) == 3 and len(renders) == 1
    memory_outbox.clear()


def test_a_test_mail_goes_to_the_sender_only(world, app):
    memory_outbox.clear()
    target = segments.audience(world["campaign"], world["upcoming"], ["going"])
    messages.send_test(world["owner"], target, messages.clean_draft("Hello", "Hi *all*"))
    db.session.commit()
    send_pending(app.config)
    assert [str(mail["To"]) for mail in memory_outbox] == [world["owner"].email]
    assert "Test: only you got this" in memory_outbox[0].get_body(preferencelist=("plain",)).get_content()
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_unsubscribed_addresses_are_left_out_of_counts_and_sends(world, app):
    from organizer.services.mail import unsubscribe

    campaign = world["campaign"]
    unsubscribe.unsubscribe(campaign, unsubscribe.address_hash(campaign.id, "Came.A@example.org"))
    db.session.commit()
    assert _count(world, world["past"], "going") == 2  # came.a (both RSVPs) gone
    assert _count(world, world["past"], "attended") == 1
    assert _count(world, None, "consented") == 4
    message, _ = _send(world, world["upcoming"], ["going"])
    assert message.recipient_count == 2
    # Another campaign's unsubscribe changes nothing here.
    other = builders.make_campaign(world["owner"])
    unsubscribe.unsubscribe(other, unsubscribe.address_hash(other.id, "new@example.org"))
    db.session.commit()
    assert _count(world, world["upcoming"], "going") == 2


def test_a_message_is_campaign_mail_and_skips_who_unsubscribed_after_it_was_written(world, app):
    from organizer.services.mail import unsubscribe

    memory_outbox.clear()
    campaign = world["campaign"]
    _send(world, world["upcoming"], ["going"])
    unsubscribe.unsubscribe(campaign, unsubscribe.address_hash(campaign.id, "new@example.org"))
    db.session.commit()
    report = send_pending(app.config)
    assert (report.sent, report.failed) == (2, 1)
    for mail in memory_outbox:
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = str(mail["List-Unsubscribe"]).strip("<>")
        assert link in mail.get_body(preferencelist=("plain",)).get_content()
        assert link in mail.get_body(preferencelist=("html",)).get_content()
    assert sorted(str(mail["To"]) for mail in memory_outbox) == ["CAME.A@example.org", "quiet@example.org"]
