"""Approval in a browser (issue 12.1 and 12.2): supporters ask to come to a meeting whose place is kept
for people approved; an organizer approves one from its row and two at once, and declines one; the
approved supporter's page shows the address, the link and the notes, the declined one a neutral word.
Screenshots of each page at 390 and 1280 px, in English and Arabic, go to /tmp/shots-details."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Audience, Event
from tests import builders
from tests.browser.test_door_flow import fresh, sign_in
from tests.mailbox import links_in, messages_to

SHOTS = Path("/tmp/shots-details")
ADDRESS = "12 Hidden Mews"
LINK = "https://meet.example.org/private-room"
NOTES = "Ring the bell marked Office"


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def private_link(email: str, base_url: str) -> str:
    fresh()
    for link in links_in(messages_to(email)[0]):
        if re.search(r"/r/[A-Za-z0-9_-]{43}$", link):
            return link.replace("http://localhost", base_url)
    raise AssertionError(f"no private link was emailed to {email}")


def ask(page: Page, name: str) -> None:
    page.goto("/e/safe-meeting")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email (optional)").fill(f"{name.lower()}@example.org")
    page.get_by_role("button", name="Ask to come").click()
    expect(page.get_by_text("Your request was received")).to_be_visible()


def test_requests_approved_one_and_many_declined_one(phone: Page, desktop: Page, base_url):
    team = builders.make_team("organizer")
    builders.make_event(team["campaign"], slug="safe-meeting", title="Meeting with families from Daraa",
                        capacity=20, requires_approval=True, address=ADDRESS, venue_name="Community room",
                        city="Manchester", online_url=LINK, attendee_notes=NOTES,
                        address_audience=Audience.APPROVED, online_audience=Audience.APPROVED,
                        notes_audience=Audience.APPROVED)
    phone.goto("/e/safe-meeting")
    expect(phone.get_by_text("The organizers approve each RSVP.")).to_be_visible()
    expect(phone.get_by_text("Manchester").first).to_be_visible()
    for secret in (ADDRESS, "Community room", "private-room", NOTES):
        assert secret not in phone.content()
    shoot(phone, "event-public")
    for name in ("Amina", "Bilal", "Carla", "Dana"):
        ask(phone, name)

    # The supporter's page while waiting: no address yet, and it says why.
    phone.goto(private_link("amina@example.org", base_url))
    expect(phone.locator(".rsvp-status")).to_contain_text("Request received")
    assert ADDRESS not in phone.content() and LINK not in phone.content()
    shoot(phone, "manage-pending")

    sign_in(desktop, "org@example.org")
    desktop.goto(f"/manage/e/{_event_id()}/rsvps")
    expect(desktop.get_by_text("Requests waiting")).to_be_visible()
    shoot(desktop, "rsvp-list-requests")
    # One by one, from its row.
    desktop.locator("tr", has_text="Amina").get_by_role("button", name="Approve").click()
    expect(desktop.get_by_text("1 request approved: going.")).to_be_visible()
    # Two at once, selected.
    desktop.get_by_label("Select Carla").check()
    desktop.get_by_label("Select Dana").check()
    desktop.get_by_role("button", name="Approve selected").click()
    expect(desktop.get_by_text("2 requests approved: going.")).to_be_visible()
    desktop.locator("tr", has_text="Bilal").get_by_role("button", name="Decline").click()
    expect(desktop.get_by_role("heading", name="Decline 1 request?")).to_be_visible()
    shoot(desktop, "decline-confirm")
    desktop.get_by_role("button", name="Yes, decline").click()
    expect(desktop.get_by_text("1 request declined.")).to_be_visible()
    expect(desktop.locator("tr", has_text="Dana").locator(".badge--going")).to_be_visible()
    shoot(desktop, "rsvp-list-answered")
    desktop.goto(f"/manage/e/{_event_id()}")
    expect(desktop.get_by_text("On approval")).to_be_visible()
    expect(desktop.get_by_text(NOTES)).to_be_visible()  # the team sees everything
    shoot(desktop, "event-detail")

    # Approved: the address, the link and the notes, and the ticket.
    for name in ("Amina", "Dana"):
        phone.goto(private_link(f"{name.lower()}@example.org", base_url))
        expect(phone.locator(".rsvp-status")).to_contain_text("Going")
        expect(phone.get_by_text(ADDRESS, exact=False)).to_be_visible()
        expect(phone.get_by_role("link", name=LINK)).to_be_visible()
        expect(phone.get_by_text(NOTES)).to_be_visible()
        expect(phone.locator("#ticket svg")).to_be_visible()
    shoot(phone, "manage-approved")

    # Declined: a neutral word, nothing of the place.
    phone.goto(private_link("bilal@example.org", base_url))
    expect(phone.get_by_text("could not confirm a place for you")).to_be_visible()
    assert ADDRESS not in phone.content() and LINK not in phone.content() and NOTES not in phone.content()
    shoot(phone, "manage-declined")
    declined_mail = messages_to("bilal@example.org")[-1]
    assert "could not confirm a place" in declined_mail.body_text and ADDRESS not in declined_mail.body_text

    # The same pages in Arabic, right to left.
    for page, path, name in ((phone, "/e/safe-meeting", "event-public-ar"),
                             (desktop, f"/manage/e/{_event_id()}/rsvps", "rsvp-list-ar")):
        page.goto(f"/language/ar?next={path}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        shoot(page, name)
    phone.goto(private_link("amina@example.org", base_url))
    shoot(phone, "manage-approved-ar")
    desktop.goto(f"/manage/e/{_event_id()}/edit")
    shoot(desktop, "event-form")
    desktop.set_viewport_size({"width": 390, "height": 844})
    shoot(desktop, "event-form")
    desktop.goto(f"/manage/e/{_event_id()}/rsvps")
    shoot(desktop, "rsvp-list-answered")


def _event_id() -> int:
    return db.session.scalar(select(Event.id).where(Event.slug == "safe-meeting"))
