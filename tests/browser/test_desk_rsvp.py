"""At the desk (issue 14.7): an organizer adds someone who RSVPed by phone, and the RSVP list shows
them going, added by hand, and later checked in at the door."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Rsvp
from organizer.services.door import checkins
from tests import builders
from tests.browser.test_door_flow import fresh, sign_in


def test_an_organizer_adds_a_phoned_in_rsvp(desktop: Page):
    team = builders.make_team("organizer")
    event = builders.make_event(team["campaign"], title="Desk meeting", capacity=10, max_guests=3)
    sign_in(desktop, "org@example.org")
    desktop.goto(f"/manage/e/{event.id}/rsvps")
    desktop.get_by_role("link", name="Add an RSVP by hand").click()
    desktop.get_by_label("Name").fill("Umm Khalid")
    desktop.get_by_label("Guests").select_option(label="+ 2 guests")
    desktop.get_by_role("button", name="Add the RSVP").click()
    expect(desktop.get_by_text("Umm Khalid is going.")).to_be_visible()
    row = desktop.locator("tr", has_text="Umm Khalid")
    expect(row.get_by_text("Added by hand")).to_be_visible()
    expect(row.locator(".rsvp-table__checked")).to_have_count(0)

    fresh()
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.name == "Umm Khalid"))
    assert rsvp.guests == 2
    checkins.check_in(rsvp)
    db.session.commit()
    desktop.reload()
    expect(desktop.locator("tr", has_text="Umm Khalid").locator(".rsvp-table__checked")).to_contain_text("✓")
