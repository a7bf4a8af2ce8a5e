"""At the door on a phone: search, check in, undo, a failed tap retried safely, a walk-in, the crowd
counter; a door-link volunteer without an account; a coordinator downloading a CSV at a desk."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Answer, CheckIn, DoorLink, ExportRecord, Rsvp, RsvpSource
from organizer.services.common.tokens import hash_token, new_token
from organizer.services.door import checkins
from organizer.services.door import crowd as crowd_counter
from organizer.timeutil import utcnow
from tests import builders


def sign_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(builders.DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def door_world():
    campaign = builders.make_team("door", "coordinator")["campaign"]
    event = builders.make_event(campaign, title="Homs meeting", starts_at=utcnow() + timedelta(hours=1))
    people = {}
    for name in ("Amina Yusuf", "Bilal Haddad", "Carla Mendes", "Dana Cohen", "محمد الأحمد"):
        people[name], _, _ = builders.make_rsvp(event, name=name, email=None, guests=1 if name == "Amina Yusuf" else 0)
    return campaign, event, people


def fresh() -> None:
    """Forget what this test's session has read: the browser wrote through the live server."""
    db.session.rollback()
    db.session.expire_all()


def settled(page: Page) -> None:
    """Wait until the server has confirmed every tap of this phone (door.js shows taps at once)."""
    expect(page.locator("[data-door]")).to_have_attribute("data-waiting", "0")


def door_phone(browser, url: str, event, contexts: list, before_open: Callable[[Page], object] | None = None) -> Page:
    """A phone of its own (service workers off, so routes see every request), the door volunteer signed
    in and the event's door open; its context is added to ``contexts`` for the test to close.
    ``before_open`` gets the page just before the door list is opened (to set routes, say)."""
    context = browser.new_context(base_url=url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, service_workers="block")
    contexts.append(context)
    page = context.new_page()
    sign_in(page, "door@example.org")
    if before_open:
        before_open(page)
    page.goto(f"/door/e/{event.id}")
    return page


def entries_for(rsvp) -> int:
    fresh()
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.rsvp_id == rsvp.id))


def test_door_volunteer_searches_checks_in_undoes_adds_walk_in_and_counts(phone: Page):
    _campaign, event, people = door_world()
    bilal = people["Bilal Haddad"]
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")

    # Counts on top, the big search box, names only.
    expect(phone.locator("[data-count=checked_in]").first).to_have_text("0")
    expect(phone.locator("[data-count=going]").first).to_have_text("6")  # persons: Amina comes with a guest
    search = phone.get_by_label("Find a name")
    expect(search).to_be_in_viewport()
    expect(phone.get_by_role("button", name="Crowd plus 1", exact=True)).to_be_in_viewport()  # thumb reach
    expect(phone.get_by_text("+ Add a walk-in")).to_be_in_viewport()

    # Filter as you type (accents and case don't matter).
    search.fill("haddad")
    bilal_row = phone.locator(f"#rsvp-{bilal.id}")
    expect(bilal_row).to_be_visible()
    expect(phone.locator(f"#rsvp-{people['Amina Yusuf'].id}")).to_be_hidden()
    search.fill("محمد")
    expect(phone.locator(f"#rsvp-{people['محمد الأحمد'].id}")).to_be_visible()
    expect(bilal_row).to_be_hidden()
    search.fill("bil")

    # One tap checks in: the row turns green with Undo, the count goes up, the server agrees.
    bilal_row.get_by_role("button", name="Check in").click()
    expect(bilal_row).to_have_class(re.compile(r"\bis-in\b"))
    expect(bilal_row.get_by_role("button", name="Undo")).to_be_visible()
    expect(bilal_row.get_by_text("Checked in")).to_be_visible()
    expect(phone.locator("[data-count=checked_in]").first).to_have_text("1")
    expect(phone.locator("[data-door-live]")).to_contain_text("Bilal Haddad is checked in.")
    settled(phone)
    assert checkins.is_checked_in(bilal) and entries_for(bilal) == 1

    # Undo.
    bilal_row.get_by_role("button", name="Undo").click()
    expect(bilal_row).not_to_have_class(re.compile(r"\bis-in\b"))
    expect(bilal_row.get_by_role("button", name="Check in")).to_be_visible()
    expect(phone.locator("[data-count=checked_in]").first).to_have_text("0")
    settled(phone)
    fresh()
    assert not checkins.is_checked_in(bilal)

    # A flaky connection: the check-in reaches the server but the answer is lost. The phone keeps
    # the tap and says so; it sends it again by itself (same idempotency key) until an answer comes,
    # and the log holds one check-in more, however often it was sent.
    lost = {"count": 0}

    def lose_the_answer(route):
        lost["count"] += 1
        route.fetch()  # the server does the work...
        route.abort()  # ...but the phone never hears back

    keys: list[str] = []

    def remember_key(request):
        if request.url.endswith("/check-in"):
            keys.append(parse_qs(request.post_data)["idempotency_key"][0])  # door.js sends it urlencoded

    phone.on("request", remember_key)
    phone.route(re.compile(r".*/check-in$"), lose_the_answer)
    bilal_row.get_by_role("button", name="Check in").click()
    expect(bilal_row).to_have_class(re.compile(r"\bis-in\b"))
    expect(phone.locator("[data-door-offline]")).to_have_text(re.compile("Offline — 1 tap waiting"))
    expect(bilal_row.locator("[data-state]")).to_contain_text("waiting to be sent")
    phone.unroute(re.compile(r".*/check-in$"))
    settled(phone)
    expect(phone.locator("[data-door-offline]")).to_be_hidden()
    expect(bilal_row.locator("[data-state]")).not_to_contain_text("waiting")
    assert lost["count"] >= 1
    assert len(keys) >= 2 and len(set(keys)) == 1  # every retry carried the same idempotency key
    assert entries_for(bilal) == 3  # check-in, undo, check-in: the retries added nothing

    # A walk-in, added and checked in from the dock.
    search.fill("")
    phone.get_by_text("+ Add a walk-in").click()
    phone.get_by_role("textbox", name="Name").fill("Layla Walker")
    phone.get_by_role("button", name="Add and check in").click()
    walker_row = phone.locator(".door-row", has_text="Layla Walker")
    expect(walker_row).to_have_class(re.compile(r"\bis-in\b"))
    expect(phone.locator("[data-count=walk_ins]").first).to_have_text("1")
    expect(phone.get_by_text("Walk-in added and checked in: Layla Walker.")).to_be_visible()
    settled(phone)
    fresh()
    walker = db.session.scalar(select(Rsvp).where(Rsvp.name == "Layla Walker"))
    assert walker.source is RsvpSource.WALK_IN and checkins.is_checked_in(walker)

    # The crowd counter: +10, +1, −1, then set to what was counted.
    crowd = phone.locator("output[data-count=crowd]")
    phone.get_by_role("button", name="Crowd plus 10").click()
    expect(crowd).to_have_text("10")
    phone.get_by_role("button", name="Crowd plus 1", exact=True).click()
    expect(crowd).to_have_text("11")
    phone.get_by_role("button", name="Crowd minus 1").click()
    expect(crowd).to_have_text("10")
    phone.get_by_text("Set the count").click()
    phone.get_by_role("spinbutton", name="Crowd count").fill("250")
    phone.get_by_role("button", name="Set", exact=True).click()
    expect(crowd).to_have_text("250")
    expect(phone.locator("dd[data-count=crowd]")).to_have_text("250")
    settled(phone)
    fresh()
    assert crowd_counter.crowd_count(event) == 250


def test_a_long_list_is_searched_on_the_server_as_you_type(app, monkeypatch, phone: Page):
    monkeypatch.setitem(app.config, "DOOR_LIST_LIMIT", 2)
    _campaign, event, people = door_world()
    dana = people["Dana Cohen"]
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")

    # Only the first names, and what to do to find the others.
    rows = phone.locator("[data-door-list] > li")
    expect(rows).to_have_count(2)
    expect(phone.locator(f"#rsvp-{people['Amina Yusuf'].id}")).to_be_visible()
    expect(phone.locator("[data-door-capped]")).to_have_text("Showing 2 of 5. Type a name to find someone.")
    expect(phone.locator(f"#rsvp-{dana.id}")).to_have_count(0)

    # Typing asks the server: someone who was not on the page appears, accents and case aside.
    search = phone.get_by_label("Find a name")
    search.press_sequentially("COH")
    dana_row = phone.locator(f"#rsvp-{dana.id}")
    expect(dana_row).to_be_visible()
    expect(rows).to_have_count(1)
    expect(phone.locator("[data-door-capped]")).to_have_count(0)
    expect(phone).to_have_url(re.compile(rf"/door/e/{event.id}$"))  # the name searched for stays out of the URL
    search.fill("zzz")
    expect(phone.get_by_text("No one matches “zzz”.", exact=False)).to_be_visible()
    expect(rows).to_have_count(0)
    search.fill("dana")
    expect(dana_row).to_be_visible()

    # A tap on a row the search brought in works like any other, without a reload.
    dana_row.get_by_role("button", name="Check in").click()
    expect(dana_row).to_have_class(re.compile(r"\bis-in\b"))
    expect(phone.locator("[data-count=checked_in]").first).to_have_text("1")
    settled(phone)
    assert checkins.is_checked_in(dana) and entries_for(dana) == 1

    # Clearing the search brings back the first names and the note.
    search.fill("")
    expect(phone.locator("[data-door-capped]")).to_have_text("Showing 2 of 5. Type a name to find someone.")
    expect(rows).to_have_count(2)
    expect(dana_row).to_have_count(0)


def test_door_link_volunteer_without_an_account(phone: Page):
    _campaign, event, people = door_world()
    token = new_token()
    db.session.add(DoorLink(event_id=event.id, label="Side door", token_hash=hash_token(token),
                            expires_at=utcnow() + timedelta(days=1)))
    db.session.commit()
    phone.goto(f"/door/{token}")
    expect(phone).to_have_url(re.compile(rf"/door/e/{event.id}$"))
    expect(phone.get_by_text("Door link: Side door")).to_be_visible()
    row = phone.locator(f"#rsvp-{people['Dana Cohen'].id}")
    row.get_by_role("button", name="Check in").click()
    expect(row).to_have_class(re.compile(r"\bis-in\b"))
    settled(phone)
    fresh()
    entry = db.session.scalar(select(CheckIn).where(CheckIn.rsvp_id == people["Dana Cohen"].id))
    assert entry.door_link_id is not None and entry.actor_user_id is None
    # Nothing else of the campaign opens.
    phone.goto("/manage/c/syria/export")
    expect(phone).to_have_url(re.compile(r"/auth/login"))


def test_coordinator_downloads_a_csv(desktop: Page):
    _campaign, event, people = door_world()
    checkins.check_in(people["Amina Yusuf"])
    checkins.check_in(people["Carla Mendes"])
    db.session.commit()
    sign_in(desktop, "coord@example.org")
    desktop.goto(f"/manage/e/{event.id}/turnout")
    expect(desktop.get_by_role("img", name=re.compile("RSVPs over time"))).to_be_visible()
    desktop.get_by_role("link", name="Export this event's list").click()

    expect(desktop.get_by_label("Which list")).to_have_value(str(event.id))
    desktop.get_by_label("Only people checked in").check()
    desktop.get_by_label("Let me choose").check()
    desktop.get_by_text("Choose columns").click()
    desktop.get_by_label("Guests (one event)").check()
    desktop.get_by_label("Checked in (one event)").check()
    with desktop.expect_download() as download_info:
        desktop.get_by_role("button", name="Download").click()
    download = download_info.value
    assert re.fullmatch(r"[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["Name", "Guests", "Checked in"], ["Amina Yusuf", "1", "yes"], ["Carla Mendes", "0", "yes"]]
    fresh()
    record = db.session.scalar(select(ExportRecord))
    assert record.row_count == 2 and record.user_email == "coord@example.org" and record.columns == "name,guests,checked_in"


def test_coordinator_downloads_an_event_list_with_answers(desktop: Page):
    """The answers columns are written while the CSV streams, after the request's session is gone
    (this download used to end in a 500)."""
    _campaign, event, people = door_world()
    question = builders.make_question(event, label="Step-free access?")
    db.session.add(Answer(rsvp_id=people["Bilal Haddad"].id, question_id=question.id, value="Yes"))
    db.session.commit()
    sign_in(desktop, "coord@example.org")
    desktop.goto("/manage/c/syria/export")
    desktop.get_by_label("Which list").select_option(str(event.id))
    desktop.get_by_label("Let me choose").check()
    desktop.get_by_text("Choose columns").click()
    desktop.get_by_label("Answers to the event's questions (one event)").check()
    with desktop.expect_download() as download_info:
        desktop.get_by_role("button", name="Download").click()
    with open(download_info.value.path(), encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["Name", "Step-free access?"]
    assert ["Bilal Haddad", "Yes"] in rows and ["Carla Mendes", ""] in rows


def test_in_a_long_list_the_volunteer_finds_someone_through_the_server_and_checks_them_in(phone: Page, app,
                                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "DOOR_LIST_LIMIT", 2)  # the first 2 shown; the rest found by searching
    _campaign, event, people = door_world()
    dana = people["Dana Cohen"]
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")
    expect(phone.get_by_text("Showing 2 of 5. Type a name to find someone.")).to_be_visible()
    expect(phone.locator(f"#rsvp-{dana.id}")).to_have_count(0)

    asked = []
    phone.on("request", lambda request: asked.append(request.post_data or "") if request.method == "POST" else None)
    phone.get_by_label("Find a name").fill("cohen")
    row = phone.locator(f"#rsvp-{dana.id}")
    expect(row).to_be_visible()
    expect(phone.locator(".door-row")).to_have_count(1)
    assert asked and all("q=cohen" in body and "part=results" in body for body in asked[-1:])
    row.get_by_role("button", name="Check in").click()
    expect(row.locator("[data-state]")).to_contain_text("Checked in")
    expect(phone.locator("[data-count=checked_in]").first).to_have_text("1")
    settled(phone)
    assert entries_for(dana) == 1


def test_two_phones_at_two_doors_see_each_others_check_ins(browser, base_url, app, monkeypatch):
    monkeypatch.setitem(app.config, "DOOR_REFRESH_SECONDS", 1)
    _campaign, event, people = door_world()
    bilal = people["Bilal Haddad"]
    phones = []
    for _ in range(2):
        context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                      has_touch=True)
        phones.append((context, context.new_page()))
    try:
        (_, front), (_, side) = phones
        for page in (front, side):
            sign_in(page, "door@example.org")
            page.goto(f"/door/e/{event.id}")
        side.get_by_label("Find a name").fill("bil")  # the side door has typed a search
        front.locator(f"#rsvp-{bilal.id}").get_by_role("button", name="Check in").click()
        expect(front.locator(f"#rsvp-{bilal.id}")).to_have_class(re.compile(r"\bis-in\b"))

        row = side.locator(f"#rsvp-{bilal.id}")
        expect(row).to_have_class(re.compile(r"\bis-in\b"), timeout=5000)
        expect(row.locator("[data-state]")).to_contain_text("Checked in")
        expect(row.get_by_role("button", name="Undo")).to_be_visible()
        expect(side.locator("[data-count=checked_in]").first).to_have_text("1")
        expect(side.get_by_label("Find a name")).to_have_value("bil")  # nothing else on the screen moved

        front.locator(f"#rsvp-{bilal.id}").get_by_role("button", name="Undo").click()
        expect(row).not_to_have_class(re.compile(r"\bis-in\b"), timeout=5000)
        expect(side.locator("[data-count=checked_in]").first).to_have_text("0")
        settled(front)
        assert entries_for(bilal) == 2
    finally:
        for context, _page in phones:
            context.close()
