"""Every email has a text and an HTML part, the HTML in the confirmation's layout (issue 10.8); the cancellation
says the calendar file marks the event cancelled and carries the organizers' note, escaped and isolated (10.4)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from organizer import worker
from organizer.extensions import db
from organizer.models import OutboxMessage, Rsvp
from organizer.services.accounts import accounts
from organizer.services.common.errors import ValidationFailed
from organizer.services.events import events as event_service
from organizer.services.mail import transport
from organizer.services.rsvp import rsvps
from tests import builders

HOUR = timedelta(hours=1)
FRAME = "max-width:560px"  # the layout every HTML mail shares (email/_base.html)
NOTE = "We've moved to the hall next door <b>tonight</b>.\n\nنلتقي في القاعة المجاورة"


@pytest.fixture
def sent(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    transport.memory_outbox.clear()

    def run():
        report = worker.send_pending(app.config, limit=1000)
        emails = list(transport.memory_outbox)
        transport.memory_outbox.clear()
        assert report.failed == 0 and report.retrying == 0
        return emails

    yield run
    transport.memory_outbox.clear()


def parts(mail):
    return mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()


def every_kind_of_mail(owner):
    """Confirmation, waitlist, "already had an RSVP", promotion, new time, cancellation, and the three account
    emails."""
    campaign = builders.make_campaign(owner=owner, contact_email="team@example.org")
    event = builders.make_event(campaign, capacity=1, title="Vigil for Homs")
    rsvps.create_rsvp(event, name="Amina", email="amina@example.org")
    rsvps.create_rsvp(event, name="Basel", email="basel@example.org")
    rsvps.create_rsvp(event, name="Someone", email="amina@example.org")
    db.session.commit()
    rsvps.cancel_rsvp(db.session.scalar(select(Rsvp).where(Rsvp.name == "Amina")))
    db.session.commit()
    data = event_service.event_input_from(event)
    data.starts_local += HOUR
    data.ends_local += HOUR
    event_service.update_event(owner, event, data)
    db.session.commit()
    event_service.cancel_event(owner, event, note=NOTE)
    db.session.commit()
    accounts.request_signup("new@example.org", "New", "a-long-password", valid_for=24 * HOUR,
                            confirm_link=lambda t: f"http://localhost/auth/signup/confirm/{t}",
                            login_link="http://localhost/auth/login", reset_link="http://localhost/auth/reset")
    accounts.request_signup(owner.email, "Again", "a-long-password", valid_for=24 * HOUR,
                            confirm_link=lambda t: f"http://localhost/auth/signup/confirm/{t}",
                            login_link="http://localhost/auth/login", reset_link="http://localhost/auth/reset")
    accounts.request_password_reset(owner.email, valid_for=HOUR,
                                    reset_link=lambda t: f"http://localhost/auth/reset/{t}")
    db.session.commit()
    return event


def test_every_mail_has_a_text_and_an_html_part_in_one_layout(owner, sent):
    every_kind_of_mail(owner)
    renderers = {message.renderer for message in db.session.scalars(select(OutboxMessage))}
    assert renderers == {"rsvp_received", "rsvp_promoted", "event_changed", "account"}
    emails = sent()
    subjects = sorted(mail["Subject"].split(":")[0] for mail in emails)
    assert subjects == sorted([
        "You're going", "You're on the waitlist", "You're on the waitlist",  # the third RSVP waits too
        "A place opened up — you're going", "New time", "New time", "Cancelled", "Cancelled",
        "Finish creating your Organizer account", "You already have an Organizer account",
        "Reset your Organizer password"]), subjects
    for mail in emails:
        text, html = parts(mail)
        assert text.strip() and FRAME in html and 'dir="ltr"' in html, mail["Subject"]
        # Every address the text gives is in the HTML too.
        for word in text.split():
            if word.startswith("http"):
                assert word.split("#")[0] in html, (mail["Subject"], word)
        is_account = "Organizer" in mail["Subject"]
        assert (mail["Reply-To"] is None) if is_account else (mail["Reply-To"] == "team@example.org")


def test_the_cancellation_marks_the_event_cancelled_and_carries_the_note(owner, sent):
    every_kind_of_mail(owner)
    cancelled = [mail for mail in sent() if mail["Subject"].startswith("Cancelled")]
    assert len(cancelled) == 2
    for mail in cancelled:
        text, html = parts(mail)
        for body in (text, html):
            assert "removes it from your calendar" not in body
            assert "marks the event as cancelled in your calendar" in body
            assert "A note from the organizers:" in body
        # Text: each line of the note isolated on its own (an isolate ends with its line); as typed, not HTML.
        assert "\u2068We've moved to the hall next door <b>tonight</b>.\u2069" in text
        assert "\u2068نلتقي في القاعة المجاورة\u2069" in text
        # HTML: escaped, each line a block of its own direction.
        assert "<b>" not in html and "&lt;b&gt;tonight&lt;/b&gt;" in html
        assert '<p dir="auto" style="margin:0">نلتقي في القاعة المجاورة</p>' in html
        assert mail.get_payload()[-1].get_content_type() == "text/calendar"


def test_the_note_is_checked_like_any_text(owner):
    event = builders.make_event(builders.make_campaign(owner=owner))
    with pytest.raises(ValidationFailed) as caught:
        event_service.cancel_event(owner, event, note="x" * (event_service.CANCEL_NOTE_MAX + 1))
    assert caught.value.field == "note"
    db.session.rollback()
    builders.make_rsvp(event, name="Amina", email="amina@example.org")
    event_service.cancel_event(owner, event, note="  \u202eevil\u202c override  ")  # bidi overrides dropped
    db.session.commit()
    data = json.loads(db.session.scalar(select(OutboxMessage.render_data)))
    assert data["note"] == "evil override"


def test_a_cancellation_without_a_note_says_nothing_of_one(owner, sent):
    event = builders.make_event(builders.make_campaign(owner=owner))
    rsvps.create_rsvp(event, name="Amina", email="amina@example.org")
    db.session.commit()
    event_service.cancel_event(owner, event)
    db.session.commit()
    cancelled = [mail for mail in sent() if mail["Subject"].startswith("Cancelled")]
    text, html = parts(cancelled[0])
    assert "A note from the organizers" not in text and "A note from the organizers" not in html
