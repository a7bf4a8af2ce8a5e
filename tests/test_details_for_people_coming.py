"""Details for people coming (issue 12.1): one walk over every route that can show an event.

Two events keep their venue, street address, online link and notes for some people: one for people
going, one (on approval) for people approved. Every GET route anyone can open without signing in —
found in the app's URL map, so a page added later is walked too — is opened with every event and
campaign address and every private link of someone who may not see the details (a request waiting,
a declined one, someone on the waitlist, a cancelled RSVP), twice, through the shared page cache; no
response, no cached page and no email to those people holds a hidden detail. Then the same details
are on the manage page, ticket, calendar file and emails of the people going or approved.
"""

from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Audience, Rsvp, RsvpStatus
from organizer.rendering import calendar
from organizer.services.rsvp import approval, rsvps
from tests import builders
from tests.mailbox import links_in, messages_to

SECRETS = {
    "going": ("Hidden Hall Alpha", "1 Secret Street", "https://meet.example.org/room-alpha", "Knock twice Alpha"),
    "approved": ("Hidden Hall Beta", "2 Quiet Lane", "https://meet.example.org/room-beta", "Ask for Huda Beta"),
}
ALL_SECRETS = [secret for secrets in SECRETS.values() for secret in secrets]
# Pieces of the secrets as they may be folded or escaped in a calendar file or a URL-encoded share link.
FRAGMENTS = ["Hidden Hall", "Secret Street", "Quiet Lane", "room-alpha", "room-beta", "Knock twice", "Huda Beta",
             "Secret%20Street", "Secret+Street", "Quiet%20Lane", "Quiet+Lane", "Hidden%20Hall", "Hidden+Hall"]


def unfold(text: str) -> str:
    return text.replace("\r\n ", "").replace("\\,", ",").replace("\\;", ";")


def leaked(text: str) -> list[str]:
    text = unfold(text)
    return [fragment for fragment in FRAGMENTS if fragment in text]


def _event(campaign, kind: str, audience: Audience, **extra):
    venue, address, online, notes = SECRETS[kind]
    return builders.make_event(campaign, slug=f"meeting-{kind}", venue_name=venue, address=address, city="Leeds",
                               online_url=online, attendee_notes=notes, address_audience=audience,
                               online_audience=audience, notes_audience=audience, capacity=3, **extra)


def token_of(email: str) -> str:
    """The private link from the first email (later ones, like an approval, don't issue a new one)."""
    for link in links_in(messages_to(email)[0]):
        found = re.search(r"/r/([A-Za-z0-9_-]{43})$", link)
        if found:
            return found.group(1)
    raise AssertionError(f"no private link was emailed to {email}")


@pytest.fixture
def world(app):
    team = builders.make_team("organizer", slug="solidarity")
    going_event = _event(team["campaign"], "going", Audience.GOING)
    approved_event = _event(team["campaign"], "approved", Audience.APPROVED, requires_approval=True)
    people = {}

    def rsvp(event, name, guests=0):
        email = f"{name.lower()}@example.org"
        rsvps.create_rsvp(event, name=name, email=email, guests=guests)
        db.session.commit()
        people[name] = email
        return db.session.scalar(select(Rsvp).where(Rsvp.name == name))

    rsvp(going_event, "Amina", guests=2)  # going: fills the event
    rsvp(going_event, "Bilal")  # waitlisted
    cancelled = rsvp(going_event, "Carla")
    rsvps.cancel_rsvp(cancelled)
    approved = rsvp(approved_event, "Dana")
    declined = rsvp(approved_event, "Elif")
    rsvp(approved_event, "Farid")  # left waiting
    approval.approve(team["organizer"], approved_event, [approved.id])
    approval.decline(team["organizer"], approved_event, [declined.id])
    db.session.commit()
    statuses = {name: db.session.scalar(select(Rsvp.status).where(Rsvp.name == name)) for name in people}
    assert statuses == {"Amina": RsvpStatus.GOING, "Bilal": RsvpStatus.WAITLISTED, "Carla": RsvpStatus.CANCELLED,
                        "Dana": RsvpStatus.GOING, "Elif": RsvpStatus.DECLINED, "Farid": RsvpStatus.PENDING}
    tokens = {name: token_of(email) for name, email in people.items()}
    return {"team": team, "people": people, "tokens": tokens, "events": (going_event, approved_event)}


def public_urls(app, world, tokens: list[str]) -> list[str]:
    """Every GET route without sign-in, filled in with every event, campaign and the private links given."""
    going_event, approved_event = world["events"]
    slugs = [going_event.slug, approved_event.slug, world["team"]["campaign"].slug]
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            if rule.rule.startswith(("/manage", "/door", "/auth", "/account", "/campaigns", "/reports")):
                continue
            arguments = set(rule.arguments)
            if not arguments <= {"slug", "token"}:
                continue
            for slug in (slugs if "slug" in arguments else [None]):
                for token in (tokens if "token" in arguments else [None]):
                    values = {key: value for key, value in (("slug", slug), ("token", token)) if value}
                    urls.append(url_for(rule.endpoint, **values))
    return sorted(set(urls))


def test_no_hidden_detail_reaches_anyone_not_coming_and_everyone_coming_gets_them(app, world, monkeypatch):
    tokens, people = world["tokens"], world["people"]

    # Those coming first: their own files are built (and kept a minute by rendering/calendar.py) before
    # anyone else asks, so a file reused for the wrong reader would show below.
    for name, kind in (("Amina", "going"), ("Dana", "approved")):
        client = app.test_client()
        page = client.get(f"/r/{tokens[name]}").get_data(as_text=True)
        ics = unfold(client.get(f"/r/{tokens[name]}/calendar.ics").get_data(as_text=True))
        mails = messages_to(people[name])
        confirmation = mails[-1]
        for secret in SECRETS[kind]:
            assert secret in page, (name, secret)
            assert secret in ics, (name, secret)
            assert secret in confirmation.body_text, (name, secret)
            assert secret in unfold(confirmation.ics_attachment), (name, secret)
        assert 'class="qr-code"' in page  # the ticket is on the same page

    # Everyone else, through the page cache as a deployment runs it.
    monkeypatch.setitem(app.config, "PUBLIC_CACHE_SECONDS", 60)
    store = app.extensions["page_cache"]
    store.clear()
    outsiders = [tokens[name] for name in ("Bilal", "Carla", "Elif", "Farid")]
    urls = public_urls(app, world, outsiders)
    assert {"/", "/c/solidarity", "/e/meeting-going", "/e/meeting-approved", "/e/meeting-going/calendar.ics",
            "/c/solidarity/calendar.ics", f"/r/{tokens['Farid']}", f"/r/{tokens['Farid']}/calendar.ics"} <= set(urls)
    opened = 0
    for _round in range(2):
        client = app.test_client()
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue
            opened += 1
            body = response.get_data().decode("utf-8", "replace")  # a route may answer with an image
            assert not leaked(body), (url, leaked(body))
    assert opened >= 14
    cached = [value[1] if isinstance(value, tuple) else value.decode() for _at, value in store._entries.values()]
    assert cached and not any(leaked(html) for html in cached)
    # The area is still said: the city, and that there is an online link.
    assert "Leeds" in app.test_client().get("/e/meeting-going").get_data(as_text=True)

    # Share links are in the page walked above; the campaign's feed and the home page list the events.
    home = app.test_client().get("/").get_data(as_text=True)
    assert "meeting-going" in home and "Leeds" in home

    # A signed-in organizer on the public page sees the public page too (it may be shown on a projector).
    organizer = app.test_client()
    organizer.post("/auth/login", data={"email": world["team"]["organizer"].email,
                                        "password": builders.DEFAULT_PASSWORD})
    assert not leaked(organizer.get("/e/meeting-approved").get_data(as_text=True))

    # Emails to people not coming: nothing hidden, in the text, the HTML or an attachment.
    for name in ("Bilal", "Carla", "Elif", "Farid"):
        for mail in messages_to(people[name]):
            for part in (mail.subject, mail.body_text, mail.body_html or "", mail.ics_attachment or ""):
                assert not leaked(part), (name, mail.subject, leaked(part))

    # The public calendar file, even right after the personal ones were built.
    going_event, _approved_event = world["events"]
    assert not leaked(calendar.event_ics(going_event).decode())


def test_the_online_link_of_an_existing_event_becomes_for_people_going(app, world):
    """The migration's default: venue and address stay public, the link is kept for people going."""
    event = builders.make_event(world["team"]["campaign"], slug="old-event", online_url="https://meet.example.org/old")
    assert event.address_audience is Audience.EVERYONE and event.online_audience is Audience.GOING
    html = app.test_client().get("/e/old-event").get_data(as_text=True)
    assert "46 Whitechapel Road" in html and "meet.example.org/old" not in html
    assert re.search(r"Online", html)
