"""An organizer at a laptop, from nothing to a published meeting with the news behind it; then a
supporter on a phone finds it. Also: search-as-you-type in the coverage library."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from organizer import demo
from organizer.extensions import db
from tests.mailbox import last_link

EMAIL = "layla@example.org"
PASSWORD = "free syria free people"


def sign_up(page: Page, base_url: str) -> None:
    page.goto("/auth/signup")
    page.get_by_label("Your name").fill("Layla Darwish")
    page.get_by_label("Email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    db.session.rollback()  # see what the server committed
    page.goto(last_link(EMAIL, "/auth/signup/confirm/").replace("http://localhost", base_url))
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))


def test_sign_up_create_link_publish_and_see_it_in_public(desktop: Page, base_url):
    page = desktop
    sign_up(page, base_url)

    # No campaign yet: the empty state says what to do.
    expect(page.get_by_text("You're not part of any campaign yet.")).to_be_visible()
    page.get_by_role("link", name="Start a campaign").click()
    page.get_by_label("Campaign name").fill("Syria Solidarity")
    page.get_by_label("One-line summary").fill("Standing with Syria's revolution.")
    page.get_by_label("Usual venue").fill("London Muslim Centre")
    page.get_by_label("Street address").fill("46-92 Whitechapel Road, London E1 1JQ")
    page.get_by_label("City").fill("London")
    page.get_by_role("button", name="Create campaign").click()
    expect(page.get_by_role("heading", name="Syria Solidarity", level=1)).to_be_visible()
    expect(page.get_by_text("No upcoming events yet — create the next one.")).to_be_visible()

    # The event form starts from the campaign's usual venue and zone.
    page.get_by_role("link", name="Create event").first.click()
    expect(page.get_by_label("Venue")).to_have_value("London Muslim Centre")
    expect(page.get_by_label("Timezone")).to_have_value("Europe/London")
    page.locator("#title").fill("Solidarity with the Syrian revolution")
    page.get_by_label("Starts").fill("2030-07-04T19:00")
    page.get_by_label("Ends").fill("2030-07-04T21:30")
    page.get_by_label("Places").fill("400")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_text("Event saved as a draft.")).to_be_visible()
    expect(page.get_by_text("Draft: only the campaign team can see it.")).to_be_visible()

    # Link the news that prompted it: a new article, added to the library and linked in one step.
    page.get_by_role("link", name="Link coverage").click()
    new = page.locator("section", has=page.get_by_role("heading", name="Add a new article and link it"))
    new.get_by_label("Web address of the article").fill(
        "https://socialistworker.co.uk/art/27271/Syrians+defy+assault+on+Homs")
    new.get_by_label("Headline").fill("Syrians defy assault on Homs")
    new.get_by_label("Outlet").fill("Socialist Worker")
    new.get_by_label("Author").fill("Simon Assaf")
    new.get_by_label("Published on").fill("2012-03-06")
    new.get_by_label("Excerpt").fill("Mass executions, families butchered in their homes, checkpoints and "
                                     "disappearances.")
    expect(new.get_by_label("Prompted this meeting")).to_be_checked()
    new.get_by_role("button", name="Add and link").click()
    expect(page.get_by_text("Added “Syrians defy assault on Homs” to the library and linked it.")).to_be_visible()
    linked = page.locator("section", has=page.get_by_role("heading", name="Linked to this event"))
    expect(linked.get_by_text("Why we're meeting")).to_be_visible()
    expect(linked.get_by_role("link", name="Syrians defy assault on Homs")).to_be_visible()

    # Publish from the organizer's event page.
    page.get_by_role("link", name="Back to the event").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published.")).to_be_visible()

    # The public sees it on the home page, with the city, and on its own page with the news behind it.
    page.goto("/")
    item = page.locator(".event-item", has_text="Solidarity with the Syrian revolution")
    expect(item).to_contain_text("London")
    expect(item).to_contain_text("19:00 BST")
    item.get_by_role("link", name="Solidarity with the Syrian revolution").click()
    expect(page.get_by_role("heading", name="Solidarity with the Syrian revolution", level=1)).to_be_visible()
    expect(page.get_by_text("Times in Europe/London")).to_be_visible()
    why = page.locator("section", has=page.get_by_role("heading", name="Why we're meeting"))
    article = why.get_by_role("link", name="Syrians defy assault on Homs")
    expect(article).to_have_attribute("rel", re.compile("noreferrer"))
    expect(why).to_contain_text("Socialist Worker")
    expect(page.get_by_role("link", name="Open in a map")).to_have_attribute(
        "href", re.compile(r"^https://www\.openstreetmap\.org/search\?query=London\+Muslim\+Centre"))


def test_search_as_you_type_in_the_library_and_the_picker(desktop: Page, base_url):
    demo.load_demo()
    db.session.commit()
    page = desktop
    page.goto("/auth/login")
    page.get_by_label("Email").fill("organizer@example.org")
    page.locator("#password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto("/manage/c/syria-solidarity/coverage")
    rows = page.locator("#coverage-results .coverage-row")
    expect(rows).to_have_count(2)
    page.get_by_label("Search the library").press_sequentially("homs")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Syrians defy assault on Homs")
    page.get_by_label("Search the library").fill("nothing like this")
    page.get_by_label("Search the library").press("End")
    page.get_by_label("Search the library").press_sequentially("!")
    expect(page.locator("#coverage-results")).to_contain_text("No article matches")

    # On an event's coverage page the same search fills the picker with radio buttons.
    page.goto("/manage/c/syria-solidarity")
    page.get_by_role("link", name="Glasgow solidarity meeting: Syria's revolution", exact=True).click()
    page.get_by_role("link", name="Link coverage").click()
    picker = page.locator("#pick-results")
    expect(picker.locator("input[type=radio]")).to_have_count(2)
    page.get_by_label("Search the library").press_sequentially("pledges")
    expect(picker.locator("input[type=radio]")).to_have_count(1)
    picker.get_by_text("Solidarity meeting pledges support for Syrian revolution").click()
    page.get_by_label("Reports on this meeting").first.check()
    page.get_by_role("button", name="Link article").click()
    expect(page.get_by_text("Linked “Solidarity meeting pledges support for Syrian revolution”.")).to_be_visible()


def test_a_supporter_on_a_phone_sees_the_essentials_first(phone: Page):
    demo.load_demo()
    db.session.commit()
    page = phone
    page.goto("/")
    page.get_by_role("link", name="Manchester stands with Syria").click()
    viewport = page.viewport_size
    for locator in (page.get_by_role("heading", level=1), page.get_by_text("Times in Europe/London"),
                    page.get_by_text("Friends Meeting House"), page.get_by_role("link", name="Open in a map")):
        box = locator.bounding_box()
        assert box is not None and box["y"] + box["height"] <= viewport["height"], locator
    # Nothing is wider than the phone.
    for path in ("/", "/c/syria-solidarity", "/e/manchester-solidarity-meeting",
                 "/e/london-muslim-centre-solidarity-meeting-2012-02-29"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
    page.goto("/e/london-muslim-centre-solidarity-meeting-2012-02-29")
    expect(page.get_by_role("heading", name="Why we met")).to_be_visible()
    expect(page.get_by_text("At least 400 people came.")).to_be_visible()
    expect(page.get_by_role("heading", name="Report")).to_be_visible()
    expect(page.get_by_text("This meeting has already taken place.")).to_be_visible()


def test_an_event_made_by_mistake_goes_back_to_draft_then_is_deleted(phone: Page):
    from tests import builders
    from tests.browser.test_door_flow import sign_in

    campaign = builders.make_team("organizer")["campaign"]
    event = builders.make_event(campaign, title="Meeting set up twice")
    sign_in(phone, "org@example.org")
    phone.goto(f"/manage/e/{event.id}")
    phone.get_by_role("button", name="Back to draft").click()
    expect(phone.get_by_text("Back to draft: the public page is gone")).to_be_visible()
    expect(phone.get_by_text("Draft: only the campaign team can see it.")).to_be_visible()

    phone.get_by_role("link", name="Delete event…").click()
    expect(phone.get_by_role("heading", name="Delete “Meeting set up twice”?")).to_be_visible()
    phone.get_by_role("button", name="Yes, delete the event").click()
    expect(phone.get_by_text("“Meeting set up twice” is deleted.")).to_be_visible()
    expect(phone.get_by_role("link", name="Meeting set up twice")).to_have_count(0)
