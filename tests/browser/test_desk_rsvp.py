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
from tests.browser.test_rsvp_answer_lost import lose_the_first_answer


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


def test_at_the_desk_pressing_again_after_a_lost_answer_adds_one_rsvp(desktop: Page):
    """The node died after saving, nginx answered 502: the organizer goes back and presses again, and
    the list has the person once. The next caller with the same name is someone else: a row of their own."""
    team = builders.make_team("organizer")
    event = builders.make_event(team["campaign"], title="Desk meeting", capacity=10, email_policy="not_asked")
    sign_in(desktop, "org@example.org")
    lost = lose_the_first_answer(desktop, f"/manage/e/{event.id}/rsvps/add")
    desktop.goto(f"/manage/e/{event.id}/rsvps/add")
    desktop.get_by_label("Name").fill("محمد الأحمد")
    desktop.get_by_role("button", name="Add the RSVP").click()
    expect(desktop.get_by_text("502 Bad Gateway")).to_be_visible()
    assert lost == [f"/manage/e/{event.id}/rsvps"]

    desktop.go_back()
    if desktop.get_by_label("Name").input_value() != "محمد الأحمد":  # a browser that doesn't restore the form
        desktop.get_by_label("Name").fill("محمد الأحمد")
    desktop.get_by_role("button", name="Add the RSVP").click()
    expect(desktop.get_by_text("محمد الأحمد is going.")).to_be_visible()
    fresh()
    assert db.session.scalars(select(Rsvp.name)).all() == ["محمد الأحمد"]

    desktop.get_by_role("link", name="Add an RSVP by hand").click()
    desktop.get_by_label("Name").fill("محمد الأحمد")
    desktop.get_by_role("button", name="Add the RSVP").click()
    expect(desktop.locator("tr", has_text="محمد الأحمد")).to_have_count(2)
