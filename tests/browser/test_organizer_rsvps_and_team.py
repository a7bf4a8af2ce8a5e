"""An organizer at a laptop (and on a phone) works the RSVP list: totals, filter, promote by hand,
remove; runs the team (change a role, the last owner stays); copies a meeting to next week and
cancels one, knowing who will be emailed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Event, EventStatus, OutboxMessage, QuestionKind, Role
from organizer.services.rsvp import rsvps
from organizer.timeutil import utcnow
from tests import builders


def sign_in(page: Page, user) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(user.email)
    page.locator("#password").fill(builders.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))


def busy_event(owner):
    """Capacity 2: Amina and Carla going; Bilal (party of 2) and Dan waiting, in that order."""
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    event = builders.make_event(campaign, title="Briefing on Homs", capacity=2, max_guests=2,
                                starts_at=utcnow() + timedelta(days=5))
    question = builders.make_question(event, label="Which language do you need?", kind=QuestionKind.TEXT)
    for name, guests in (("Amina Hassan", 0), ("Bilal Haddad", 1), ("Carla Jaber", 0), ("Dan Dib", 0)):
        rsvps.create_rsvp(event, name=name, email=f"{name.split()[0].lower()}@example.org", guests=guests,
                          answers={question.id: "Arabic"} if name == "Amina Hassan" else {})
    db.session.commit()
    return event


def visible_inside(page: Page, locator, container) -> bool:
    box, frame = locator.bounding_box(), container.bounding_box()
    return box is not None and box["x"] >= frame["x"] - 1 and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_rsvp_list_filter_promote_and_remove(request, size, base_url):
    page: Page = request.getfixturevalue(size)
    owner = builders.make_user(name="Layla Organizer")
    event = busy_event(owner)
    sign_in(page, owner)
    page.goto(f"/manage/e/{event.id}")
    page.get_by_role("link", name="Who's coming (RSVP list)").click()

    stats = page.locator(".rsvp-stats")
    expect(stats).to_contain_text("2 / 2")
    expect(stats).to_contain_text("3 people")  # two waiting RSVPs, one with a guest
    table = page.locator(".table-wrap")
    expect(table).to_contain_text("Arabic")
    # Every button can be reached without scrolling the table sideways, at 1280 px and at 390 px.
    for button in page.locator(".rsvp-table__actions button").all():
        assert visible_inside(page, button, table), button.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    # Finding one person by part of their email, then back to everyone.
    page.get_by_label("Find someone").fill("dan@")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".rsvp-table tbody tr")).to_have_count(1)
    expect(page.locator(".rsvp-table tbody tr")).to_contain_text("Dan Dib")
    page.get_by_label("Find someone").fill("")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".rsvp-table tbody tr")).to_have_count(4)

    page.get_by_role("link", name="Waitlisted", exact=True).click()
    rows = page.locator(".rsvp-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Bilal Haddad")
    expect(rows.nth(0)).to_contain_text("#1")
    expect(rows.nth(1)).to_contain_text("#2")

    # Dan is let in by hand, over capacity, and the page says so.
    rows.filter(has_text="Dan Dib").get_by_role("button", name="Promote anyway (1 over capacity)").click()
    expect(page.get_by_text("Dan Dib is going now. The event is 1 over capacity.")).to_be_visible()
    expect(page.locator(".rsvp-table tbody tr")).to_have_count(1)  # still filtered: only Bilal waits

    # Removing asks first and says what happens.
    page.get_by_role("link", name="All", exact=True).click()
    page.locator(".rsvp-table tbody tr", has_text="Amina Hassan").get_by_role("button", name=re.compile("Remove")).click()
    expect(page.get_by_role("heading", name="Remove Amina Hassan's RSVP?")).to_be_visible()
    expect(page.get_by_text("They are not emailed.", exact=False)).to_be_visible()
    page.get_by_role("button", name="Yes, remove").click()
    expect(page.get_by_text("Amina Hassan's RSVP was removed.")).to_be_visible()
    expect(page.locator(".rsvp-table tbody tr")).to_have_count(3)
    db.session.expire_all()
    dan = [message.subject for message in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == "dan@example.org").order_by(OutboxMessage.id))]
    assert dan[-1] == "A place opened up — you're going: Briefing on Homs"


def test_the_team_change_a_role_and_the_last_owner_stays(desktop: Page):
    """Members join through invitations (tests/browser/test_team_invitations.py)."""
    page = desktop
    owner = builders.make_user(name="Layla Organizer")
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    builders.make_membership(campaign, builders.make_user("omar@example.org", name="Omar Haddad"), Role.COORDINATOR)
    sign_in(page, owner)
    page.goto("/manage/c/syria/members")

    omar = page.locator(".member-row", has_text="omar@example.org")
    omar.locator("select").select_option("organizer")
    omar.get_by_role("button", name=re.compile("Change role")).click()
    expect(page.get_by_text("Omar Haddad is now: Organizer.")).to_be_visible()

    me = page.locator(".member-row", has_text=owner.email)
    me.locator("select").select_option("door")
    me.get_by_role("button", name=re.compile("Change role")).click()
    expect(page.get_by_text("A campaign needs at least one owner.")).to_be_visible()

    omar = page.locator(".member-row", has_text="omar@example.org")
    omar.get_by_role("link", name=re.compile("Remove")).click()
    expect(page.get_by_role("heading", name="Remove Omar Haddad?")).to_be_visible()
    page.get_by_role("button", name="Yes, remove them").click()
    expect(page.get_by_text("Omar Haddad was removed from the campaign.")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("omar@example.org")


def test_same_meeting_next_week_then_cancel_with_everyone_told(desktop: Page):
    page = desktop
    owner = builders.make_user(name="Layla Organizer")
    event = busy_event(owner)
    sign_in(page, owner)
    page.goto(f"/manage/e/{event.id}")

    page.get_by_role("button", name="Same meeting next week").click()
    expect(page.get_by_text("Copied to the same time next week, as a draft.")).to_be_visible()
    expect(page.locator("#title")).to_have_value("Briefing on Homs")
    db.session.expire_all()
    copy = db.session.scalar(select(Event).where(Event.id != event.id))
    assert copy.status is EventStatus.DRAFT and copy.starts_at - event.starts_at == timedelta(days=7)

    page.goto(f"/manage/e/{event.id}")
    page.get_by_role("link", name="Cancel event…").click()
    expect(page.get_by_text("4 people will be emailed that the event is cancelled.")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel the event").click()
    expect(page.get_by_text("The event is cancelled.")).to_be_visible()
    db.session.expire_all()
    told = sorted(message.to_address for message in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject == "Cancelled: Briefing on Homs")))
    assert told == ["amina@example.org", "bilal@example.org", "carla@example.org", "dan@example.org"]

    # The public page says so, and nobody can RSVP.
    page.goto(f"/e/{event.slug}")
    expect(page.get_by_text("This event has been cancelled.")).to_be_visible()
    expect(page.get_by_text("RSVPs are closed: this event was cancelled.")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_count(0)


def test_a_coordinator_sees_the_list_but_no_buttons(desktop: Page):
    owner = builders.make_user()
    event = busy_event(owner)
    coordinator = builders.make_user(name="Carla Coordinator")
    builders.make_membership(event.campaign, coordinator, Role.COORDINATOR)
    sign_in(desktop, coordinator)
    desktop.goto(f"/manage/e/{event.id}/rsvps")
    expect(desktop.locator(".rsvp-table tbody tr")).to_have_count(4)
    expect(desktop.locator(".rsvp-table button")).to_have_count(0)
