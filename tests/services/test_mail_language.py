"""The supporter's language (issue 11.3): kept with the RSVP when they RSVP, and every later email to
them (confirmation, waitlist, promotion, changes, cancellation) is written in it, subject,
text and HTML, whoever's action writes the email.

Dates are checked in Babel's Arabic formats (present without any catalog); subjects are checked
against gettext in that locale, which also proves the translation once organizer/translations/ar lands.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale, get_locale, refresh
from flask_babel import gettext as _
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import OutboxMessage, Rsvp
from organizer.services.events import events as event_service
from organizer.services.rsvp import changes as rsvp_changes
from organizer.services.rsvp import rsvps
from organizer.templating import event_datetime
from tests import builders
from tests.mailbox import as_sent

ARABIC_CATALOG = (Path(__file__).resolve().parents[2] / "organizer" / "translations" / "ar" / "LC_MESSAGES"
                  / "messages.mo").exists()


def mails_to(address) -> list[OutboxMessage]:
    return [as_sent(message) for message in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id))]


def take(app, event, name, email, language):
    """An RSVP sent from a page read in ``language`` (what the view passes: the request's locale)."""
    with request_in(app, language):
        receipt = rsvps.create_rsvp(event, name=name, email=email, locale=str(get_locale()))
    db.session.commit()
    return receipt


@contextmanager
def request_in(app, language):
    """A request from a browser asking for ``language`` (the app context, and with it Flask-Babel's
    cached locale, is shared by the whole test: refreshed here)."""
    with app.test_request_context("/", headers={"Accept-Language": language}):
        refresh()
        yield
    refresh()


def expected_subject(locale, msgid, title):
    with force_locale(locale):
        return _(msgid, title=title)


def test_every_later_email_is_in_the_language_of_the_rsvp(app, campaign, owner):
    event = builders.make_event(campaign, title="Solidarity with Homs", capacity=1)
    take(app, event, "محمد العلي", "mohammed@example.org", "ar")      # going
    take(app, event, "Rasha", "rasha@example.org", "ar")               # waitlisted
    take(app, event, "Emma", "emma@example.org", "en")                 # waitlisted, English
    assert db.session.scalar(select(Rsvp.locale).where(Rsvp.name == "Rasha")) == "ar"
    assert db.session.scalar(select(Rsvp.locale).where(Rsvp.name == "Emma")) == "en_GB"

    with force_locale("ar"):
        arabic_before = event_datetime(event.starts_at, event.timezone)
    # Everything below happens in an organizer's English request: the supporters' languages still win.
    with request_in(app, "en"):
        rsvps.cancel_rsvp(db.session.scalar(select(Rsvp).where(Rsvp.name == "محمد العلي")))  # Rasha promoted
        db.session.commit()
        data = event_service.event_input_from(event)
        data.starts_local = data.starts_local + timedelta(hours=1)
        data.ends_local = data.ends_local + timedelta(hours=1)
        event_service.update_event(owner, event, data)
        db.session.commit()
        event_service.cancel_event(owner, event)
        db.session.commit()

    title = "Solidarity with Homs"
    rasha = mails_to("rasha@example.org")
    assert [m.subject for m in rasha] == [
        expected_subject("ar", "You're on the waitlist: %(title)s", title),
        expected_subject("ar", "A place opened up — you're going: %(title)s", title),
        expected_subject("ar", "New time: %(title)s", title),
        expected_subject("ar", "Cancelled: %(title)s", title),
    ]
    assert json.loads(rasha[0].render_data)["locale"] == "ar"
    with force_locale("ar"):
        arabic_when = event_datetime(event.starts_at, event.timezone)
    assert "،" in arabic_when  # Babel's Arabic formats, not English
    assert arabic_before != arabic_when
    for message in rasha:  # the worker renders each from the rows as they are: the time now, in Arabic
        when = arabic_when
        assert when in message.body_text, message.subject
        if message.body_html:
            assert when in message.body_html
            assert '<html lang="ar" dir="rtl">' in message.body_html
    assert all("Saturday" not in m.body_text and "Sunday" not in m.body_text for m in rasha)

    emma = mails_to("emma@example.org")
    assert [m.subject for m in emma] == [
        "You're on the waitlist: Solidarity with Homs",
        "New time: Solidarity with Homs",
        "Cancelled: Solidarity with Homs",
    ]
    with force_locale("en_GB"):
        english_when = event_datetime(event.starts_at, event.timezone)
    assert all(english_when in message.body_text for message in emma)

    mohammed = mails_to("mohammed@example.org")
    assert mohammed[0].subject == expected_subject("ar", "You're going: %(title)s", title)
    assert '<html lang="ar" dir="rtl">' in mohammed[0].body_html


@pytest.mark.skipif(not ARABIC_CATALOG, reason="the Arabic catalog (issue 11.1) is not on this branch yet")
def test_with_the_catalog_the_arabic_subjects_are_arabic(app, campaign):
    event = builders.make_event(campaign, title="Homs", capacity=5)
    take(app, event, "Rasha", "rasha@example.org", "ar")
    (message,) = mails_to("rasha@example.org")
    assert not message.subject.startswith("You're going")
    assert "You're going" not in message.body_text


def test_an_rsvp_from_before_the_language_was_kept_gets_the_default(app, campaign):
    event = builders.make_event(campaign, title="Homs", capacity=5)
    _rsvp, _token, _ticket = builders.make_rsvp(event, email="old@example.org", locale="")
    with request_in(app, "ar"):
        rsvp_changes.notify_event_changed(event, "place")
        db.session.commit()
    (message,) = mails_to("old@example.org")
    assert message.subject == "New place: Homs"
