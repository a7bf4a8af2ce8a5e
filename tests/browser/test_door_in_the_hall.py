"""The door in a real hall (issue 14): double taps, the keyboard, no signal, the camera scanner."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import CheckIn, CheckInAction
from organizer.services.door import checkins
from organizer.services.door import crowd as crowd_counter
from tests.browser.test_door_flow import door_world, entries_for, fresh, settled, sign_in


def actions(rsvp) -> list[CheckInAction]:
    fresh()
    return list(db.session.scalars(select(CheckIn.action).where(CheckIn.rsvp_id == rsvp.id).order_by(CheckIn.sequence)))


def test_a_double_tap_on_check_in_leaves_the_person_checked_in(phone: Page):
    _campaign, event, people = door_world()
    bilal = people["Bilal Haddad"]
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")
    row = phone.locator(f"#rsvp-{bilal.id}")
    check_in = row.get_by_role("button", name="Check in")
    box = check_in.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    phone.touchscreen.tap(x, y)
    phone.wait_for_timeout(120)  # a normal thumb's double tap
    # The second tap lands where Undo now is (that was the fault)...
    assert phone.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('form').dataset.doorAction",
                          [x, y]) == "undo"
    phone.touchscreen.tap(x, y)
    settled(phone)
    # ...and does nothing: one check-in, no undo.
    expect(row).to_have_class(re.compile(r"\bis-in\b"))
    assert actions(bilal) == [CheckInAction.CHECK_IN]

    # Undo is a deliberate tap of its own, once the guard time is over.
    phone.wait_for_timeout(1100)
    phone.touchscreen.tap(x, y)
    expect(row).not_to_have_class(re.compile(r"\bis-in\b"))
    settled(phone)
    assert actions(bilal) == [CheckInAction.CHECK_IN, CheckInAction.UNDO]


def test_the_keyboard_keeps_its_place_and_every_result_is_announced(phone: Page):
    _campaign, event, people = door_world()
    carla = people["Carla Mendes"]
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")
    row = phone.locator(f"#rsvp-{carla.id}")
    live = phone.locator("[data-door-live]")
    expect(live).to_have_attribute("aria-live", "polite")

    row.get_by_role("button", name="Check in").focus()
    phone.keyboard.press("Enter")
    undo = row.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()  # the button that replaced the one pressed, on the same row
    expect(live).to_have_text("Carla Mendes is checked in.")
    phone.keyboard.press("Enter")  # pressed again at once: a double press, ignored
    settled(phone)
    expect(row).to_have_class(re.compile(r"\bis-in\b"))
    phone.wait_for_timeout(1100)
    phone.keyboard.press("Enter")
    expect(row.get_by_role("button", name="Check in")).to_be_focused()
    expect(live).to_have_text("Check-in of Carla Mendes undone.")
    settled(phone)
    assert actions(carla) == [CheckInAction.CHECK_IN, CheckInAction.UNDO]

    # Each press of +1 counts, and the focus stays on it.
    plus_one = phone.get_by_role("button", name="Crowd plus 1", exact=True)
    plus_one.focus()
    phone.keyboard.press("Enter")
    phone.keyboard.press("Enter")
    expect(phone.locator("output[data-count=crowd]")).to_have_text("2")
    expect(plus_one).to_be_focused()
    expect(live).to_have_text("Crowd count: 2.")
    settled(phone)
    fresh()
    assert crowd_counter.crowd_count(event) == 2
