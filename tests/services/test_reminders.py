"""The reminder the day before, with an injectable clock: due once, never before, moved by a time change,
none for a cancelled event or after "I can't make it"; "I can't make it" promotes the waitlist."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from organizer import worker
from organizer.extensions import db
from organizer.formatting import event_datetime
from organizer.models import Event, OutboxMessage, Rsvp, RsvpStatus
from organizer.services.common.errors import Conflict
from organizer.services.events import events as event_rules
from organizer.services.reminders import reminders
from organizer.services.reminders.links import find_by_reminder_token, reminder_token
from organizer.timeutil import to_local, utcnow
from tests import builders
from tests.mailbox import all_messages
from tests.security.helpers import tampered

START = (utcnow() + timedelta(days=10)).replace(hour=18, minute=0, second=0, microsecond=0)
DUE = START - timedelta(hours=24)


@pytest.fixture
def event(campaign):
    return builders.make_event(campaign, starts_at=START, ends_at=START + timedelta(hours=2), timezone="UTC")


def going(event, name="Amina", created=DUE - timedelta(days=2), **overrides) -> Rsvp:
    rsvp, _token, _ticket = builders.make_rsvp(event, name=name, created_at=created, **overrides)
    return rsvp


def reminders_to() -> list[str]:
    return [message.to_address for message in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.renderer == reminders.REMINDER).order_by(OutboxMessage.id))]


def test_due_once_and_never_before(event):
    going(event, "Amina")
    going(event, "Omar")
    assert reminders.run_due(DUE - timedelta(minutes=1)) == 0
    assert reminders_to() == []
    assert reminders.run_due(DUE) == 2
    assert sorted(reminders_to()) == ["amina@example.org", "omar@example.org"]
    assert reminders.run_due(DUE + timedelta(hours=1)) == 0
    assert reminders.run_due(START - timedelta(minutes=1)) == 0
    assert len(reminders_to()) == 2


def test_none_once_the_event_started_and_none_when_turned_off(campaign):
    off = builders.make_event(campaign, starts_at=START, ends_at=START + timedelta(hours=2))
    off.reminder_hours = None  # turned off on the form (None passed to the constructor would take the default)
    db.session.commit()
    going(off)
    assert reminders.run_due(DUE) == 0
    assert reminders.run_due(START + timedelta(minutes=1)) == 0
    assert reminders_to() == []


def test_hours_before_are_the_event_s_setting(campaign):
    event = builders.make_event(campaign, starts_at=START, ends_at=START + timedelta(hours=2), reminder_hours=3)
    going(event)
    assert reminders.run_due(START - timedelta(hours=4)) == 0
    assert reminders.run_due(START - timedelta(hours=3)) == 1


def test_only_going_supporters_with_an_address_made_before_the_reminder_time(event):
    going(event, "Amina")
    going(event, "Late", created=DUE + timedelta(minutes=1))
    going(event, "Waiting", status=RsvpStatus.WAITLISTED)
    going(event, "Gone", status=RsvpStatus.CANCELLED)
    going(event, "Nomail", email=None)
    assert reminders.run_due(DUE + timedelta(hours=2)) == 1
    assert reminders_to() == ["amina@example.org"]


def test_a_time_change_moves_the_reminder(event, owner):
    going(event)
    later = replace(event_rules.event_input_from(event),
                    starts_local=(START + timedelta(days=2)).replace(tzinfo=None),
                    ends_local=(START + timedelta(days=2, hours=2)).replace(tzinfo=None))
    event_rules.update_event(owner, event, later)
    db.session.commit()
    assert reminders.run_due(DUE) == 0
    assert reminders.run_due(DUE + timedelta(days=2)) == 1


def test_an_event_moved_after_its_reminder_is_reminded_again_for_its_new_time(event, owner):
    going(event)
    assert reminders.run_due(DUE) == 1
    first = db.session.scalar(select(OutboxMessage).where(OutboxMessage.renderer == reminders.REMINDER))
    later = replace(event_rules.event_input_from(event),
                    starts_local=(START + timedelta(days=3)).replace(tzinfo=None),
                    ends_local=(START + timedelta(days=3, hours=2)).replace(tzinfo=None))
    event_rules.update_event(owner, event, later)
    db.session.commit()
    # The reminder written for the old time is not sent (it would say the wrong day) ...
    with pytest.raises(worker.NothingToSend):
        worker.bodies_of(first)
    # ... and one for the new time is due a day before it.
    assert reminders.run_due(DUE + timedelta(days=1)) == 0
    assert reminders.run_due(DUE + timedelta(days=3)) == 1


def test_none_for_a_cancelled_event(event, owner):
    going(event)
    event_rules.cancel_event(owner, event)
    db.session.commit()
    assert reminders.run_due(DUE) == 0
    assert reminders_to() == []


def test_a_reminder_written_before_a_cancellation_is_not_sent(event, owner):
    going(event)
    reminders.run_due(DUE)
    event_rules.cancel_event(owner, event)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.renderer == reminders.REMINDER))
    with pytest.raises(worker.NothingToSend):
        worker.bodies_of(message)


def test_the_mail_in_their_language_with_the_time_in_the_event_zone_and_both_links(campaign):
    event = builders.make_event(campaign, starts_at=START, ends_at=START + timedelta(hours=2),
                                timezone="Asia/Tokyo")
    rsvp = going(event, "Amina")
    reminders.run_due(DUE)
    [message] = all_messages()
    local = to_local(START, "Asia/Tokyo")
    assert f"{local:%H:%M}" in message.body_text
    assert event_datetime(START, "Asia/Tokyo") in message.body_text  # the time in the event's zone, named
    assert "/reminder/" in message.body_text and "/coming" in message.body_text and "/cancel" in message.body_text
    assert "I can't make it" in message.body_html and "Yes, I'm coming" in message.body_html
    assert "London Muslim Centre" in message.body_text
    assert message.subject.startswith(("See you tomorrow", "Coming up", "See you today"))
    db.session.delete(message)
    rsvp.locale = "ar"
    event.reminder_sent_for = None
    db.session.commit()
    reminders.run_due(DUE)
    [arabic] = all_messages()
    with force_locale("ar"):
        assert "Solidarity meeting" in arabic.subject and not arabic.subject.startswith("See you")


def test_yes_i_m_coming_is_recorded_once(event):
    rsvp = going(event)
    reminders.confirm_coming(rsvp, now=DUE)
    reminders.confirm_coming(rsvp, now=DUE + timedelta(hours=1))
    assert rsvp.confirmed_at == DUE
    assert find_by_reminder_token(reminder_token(rsvp)) == rsvp
    assert find_by_reminder_token(tampered(reminder_token(rsvp))) is None


def test_i_can_t_make_it_promotes_the_waitlist_and_gets_no_reminder(campaign):
    event = builders.make_event(campaign, starts_at=START, ends_at=START + timedelta(hours=2), capacity=2)
    amina = going(event, "Amina", guests=1)
    omar = going(event, "Omar", status=RsvpStatus.WAITLISTED, guests=1, created=DUE - timedelta(days=1))
    reminders.cant_make_it(amina, now=DUE - timedelta(hours=1))
    db.session.commit()
    assert amina.status is RsvpStatus.CANCELLED
    assert db.session.get(Rsvp, omar.id).status is RsvpStatus.GOING
    promoted = [m for m in all_messages() if m.to_address == "omar@example.org"]
    assert promoted and "opened up" in promoted[0].subject
    reminders.run_due(DUE)
    assert reminders_to() == ["omar@example.org"]  # going now, and RSVPed before the reminder time: not Amina
    with pytest.raises(Conflict):
        reminders.confirm_coming(amina)


def test_i_can_t_make_it_after_the_reminder_was_written_stops_it(event):
    amina = going(event)
    reminders.run_due(DUE)
    reminders.cant_make_it(amina, now=DUE + timedelta(hours=1))
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.renderer == reminders.REMINDER))
    with pytest.raises(worker.NothingToSend):
        worker.bodies_of(message)


def test_a_deleted_event_sends_none(event, owner):
    going(event)
    event_id = event.id
    db.session.delete(event)
    db.session.commit()
    assert db.session.get(Event, event_id) is None
    assert reminders.run_due(DUE) == 0


def test_the_worker_loop_finds_due_reminders_itself_and_sends_them(app, campaign, monkeypatch):
    """Nothing else to schedule: `outbox send --loop` writes the reminder that is due and sends it."""
    import time

    from organizer.services.mail import transport

    transport.memory_outbox.clear()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    start = (utcnow() + timedelta(hours=20)).replace(second=0, microsecond=0)
    event = builders.make_event(campaign, starts_at=start, ends_at=start + timedelta(hours=2))
    going(event, "Amina", created=utcnow() - timedelta(days=1))

    def sleep(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--loop", "--interval", "0.5"])
    assert result.exit_code == 0, result.output
    [mail] = transport.memory_outbox
    assert mail["To"] == "amina@example.org"
    assert mail["Subject"] in ("See you tomorrow: Solidarity meeting", "See you today: Solidarity meeting")
    transport.memory_outbox.clear()
