"""The door in a real hall (issue 14): double taps, the keyboard, no signal, the camera scanner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import CheckIn, CheckInAction, DoorLink, Rsvp
from organizer.services.common.tokens import hash_token, new_token
from organizer.services.door import checkins
from organizer.services.door import crowd as crowd_counter
from organizer.timeutil import utcnow
from tests import builders
from tests.browser.test_door_flow import door_phone, door_world, entries_for, fresh, settled, sign_in


class HeldRequests:
    """The first request of a phone to each of some URLs, held until the test answers it itself
    (``route.fetch``, ``fulfill``, ``continue_``); later requests to the same URL go through."""

    def __init__(self, **patterns: str) -> None:
        self.patterns = patterns
        self.routes: dict[str, Route] = {}
        self.page: Page | None = None

    def install(self, page: Page) -> None:
        self.page = page
        for name, pattern in self.patterns.items():
            page.route(pattern, self._hold_first(name))

    def _hold_first(self, name: str):
        def handle(route: Route) -> None:
            if name in self.routes:
                route.continue_()
            else:
                self.routes[name] = route
        return handle

    def wait_for(self, name: str) -> Route:
        assert self.page is not None
        while name not in self.routes:
            self.page.wait_for_timeout(20)
        return self.routes[name]


def actions(rsvp) -> list[CheckInAction]:
    fresh()
    return list(db.session.scalars(select(CheckIn.action).where(CheckIn.rsvp_id == rsvp.id).order_by(CheckIn.sequence)))


def freeze_the_page_clock(page: Page) -> None:
    """Stop the page's clock (installed before it loaded) where it is: the second of a double tap then
    falls inside door.js's guard however long the machine takes between the two, until run_for moves on."""
    page.clock.pause_at(page.evaluate("Date.now()"))


def test_a_double_tap_on_check_in_leaves_the_person_checked_in(phone: Page):
    _campaign, event, people = door_world()
    bilal = people["Bilal Haddad"]
    sign_in(phone, "door@example.org")
    phone.clock.install()
    phone.goto(f"/door/e/{event.id}")
    row = phone.locator(f"#rsvp-{bilal.id}")
    check_in = row.get_by_role("button", name="Check in")
    box = check_in.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    freeze_the_page_clock(phone)
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
    phone.clock.run_for(1100)
    phone.clock.resume()
    phone.touchscreen.tap(x, y)
    expect(row).not_to_have_class(re.compile(r"\bis-in\b"))
    settled(phone)
    assert actions(bilal) == [CheckInAction.CHECK_IN, CheckInAction.UNDO]


def test_the_keyboard_keeps_its_place_and_every_result_is_announced(phone: Page):
    _campaign, event, people = door_world()
    carla = people["Carla Mendes"]
    sign_in(phone, "door@example.org")
    phone.clock.install()
    phone.goto(f"/door/e/{event.id}")
    row = phone.locator(f"#rsvp-{carla.id}")
    live = phone.locator("[data-door-live]")
    expect(live).to_have_attribute("aria-live", "polite")

    row.get_by_role("button", name="Check in").focus()
    freeze_the_page_clock(phone)
    phone.keyboard.press("Enter")
    undo = row.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()  # the button that replaced the one pressed, on the same row
    expect(live).to_have_text("Carla Mendes is checked in.")
    phone.keyboard.press("Enter")  # pressed again at once: a double press, ignored
    settled(phone)
    expect(row).to_have_class(re.compile(r"\bis-in\b"))
    phone.clock.run_for(1100)
    phone.clock.resume()
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


def _kept_offline(page: Page) -> None:
    """Wait until the service worker controls the page and has kept it for reopening offline, and
    the names are kept on the phone."""
    page.wait_for_function("""async () => {
        if (!navigator.serviceWorker.controller) return false;
        if (!Object.keys(localStorage).some(k => k.endsWith('.names'))) return false;
        // Listed by keys(), not only found by match(): in Chromium, keys() has listed nothing moments
        // after match() found the page (1 look in ~10).
        const keys = await caches.open('organizer-door').then(c => c.keys());
        return keys.some(r => r.url === location.origin + location.pathname);
    }""", timeout=10000)


def test_without_signal_taps_are_kept_and_sent_once_when_it_returns(browser, base_url):
    _campaign, event, people = door_world()
    amina, bilal, carla = people["Amina Yusuf"], people["Bilal Haddad"], people["Carla Mendes"]
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    try:
        phone = context.new_page()
        sign_in(phone, "door@example.org")
        phone.goto(f"/door/e/{event.id}")
        _kept_offline(phone)
        expect(phone.locator("[data-door-offline]")).to_be_hidden()
        # The worker's scope is the door lists, and it keeps this list page and static files only.
        scope = phone.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
        assert scope == f"{base_url}/door/e/"
        # A listing that holds the page: Chromium's keys() can leave out, for a moment, entries it has
        # listed before (seen 1 look in ~15, right after _kept_offline). Reopening without signal, below,
        # is what shows the page stays kept.
        for _look in range(50):
            kept = phone.evaluate("caches.open('organizer-door').then(c => c.keys()).then(k => k.map(r => r.url))")
            assert all(url == f"{base_url}/door/e/{event.id}" or url.startswith(f"{base_url}/static/") for url in kept)
            if f"{base_url}/door/e/{event.id}" in kept:
                break
            phone.wait_for_timeout(100)
        assert f"{base_url}/door/e/{event.id}" in kept

        context.set_offline(True)
        for person in (amina, bilal, carla):
            phone.locator(f"#rsvp-{person.id}").get_by_role("button", name="Check in").click()
        banner = phone.locator("[data-door-offline]")
        expect(banner).to_have_text(re.compile("Offline — 3 taps waiting"))
        phone.get_by_text("+ Add a walk-in").click()
        phone.get_by_role("textbox", name="Name").fill("Layla Walker")
        phone.get_by_role("button", name="Add and check in").click()
        expect(banner).to_have_text(re.compile("Offline — 4 taps waiting"))
        expect(phone.locator("[data-count=checked_in]").first).to_have_text("4")  # persons: Amina and her guest, Bilal, Carla
        expect(phone.locator("[data-count=walk_ins]").first).to_have_text("1")

        # Meanwhile another phone, with signal: checks Bilal in too, and checks Carla in and then
        # out again (after this phone's tap on her).
        checkins.check_in(bilal, idempotency_key="other-phone-0001")
        checkins.check_in(carla, idempotency_key="other-phone-0002")
        checkins.undo(carla, idempotency_key="other-phone-0003")
        db.session.commit()

        # Reopened without signal: the page, the names and the waiting taps are all still there.
        phone.reload()
        expect(banner).to_have_text(re.compile("Offline — 4 taps waiting"))
        expect(phone.locator(f"#rsvp-{amina.id}")).to_have_class(re.compile(r"\bis-in\b"))
        expect(phone.locator(f"#rsvp-{amina.id} [data-state]")).to_contain_text("waiting to be sent")
        expect(phone.locator(".door-row", has_text="Layla Walker")).to_be_visible()
        expect(phone.locator("[data-count=checked_in]").first).to_have_text("4")
        search = phone.get_by_label("Find a name")
        search.fill("dana")  # searching works on the names kept on the phone
        expect(phone.locator(f"#rsvp-{people['Dana Cohen'].id}")).to_be_visible()
        expect(phone.locator(".door-row")).to_have_count(1)
        search.fill("")

        context.set_offline(False)
        settled(phone)
        expect(banner).to_be_hidden()
        # Exactly those changes reached the server, once each, resolved by the rule.
        assert actions(amina) == [CheckInAction.CHECK_IN]
        assert actions(bilal) == [CheckInAction.CHECK_IN]  # the other phone's; this one's was a no-op
        assert actions(carla) == [CheckInAction.CHECK_IN, CheckInAction.UNDO]  # the later undo stands
        walkers = db.session.scalars(select(Rsvp).where(Rsvp.name == "Layla Walker")).all()
        assert len(walkers) == 1 and checkins.is_checked_in(walkers[0])
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 5
        expect(phone.locator(f"#rsvp-{carla.id}")).not_to_have_class(re.compile(r"\bis-in\b"))
        expect(phone.locator("[data-count=checked_in]").first).to_have_text("3")  # Amina and her guest, Bilal
    finally:
        context.close()


def test_leaving_the_door_wipes_what_the_phone_kept(browser, base_url):
    _campaign, event, _people = door_world()
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = context.new_page()
        sign_in(phone, "door@example.org")
        phone.goto(f"/door/e/{event.id}")
        _kept_offline(phone)
        # The names are kept once their fetch has answered: wait for it rather than read at once.
        # A function, not an expression: Playwright evaluates an expression again with eval() on every poll,
        # which the page's CSP refuses (the test failed whenever the first look came too early).
        phone.wait_for_function("() => Object.keys(localStorage).some(k => k.startsWith('organizer.door.'))",
                                timeout=5000)
        phone.get_by_role("button", name="Leave the door and wipe the list from this phone").click()
        expect(phone).to_have_url(re.compile(rf"/manage/e/{event.id}$"))
        phone.wait_for_function("""async () =>
            !Object.keys(localStorage).some(k => k.startsWith('organizer.door.'))
            && !(await caches.has('organizer-door'))
            && (await navigator.serviceWorker.getRegistrations()).length === 0""", timeout=5000)
    finally:
        context.close()


def test_a_turned_off_door_link_says_so_on_the_next_tap_and_on_the_page(phone: Page):
    _campaign, event, people = door_world()
    token = new_token()
    link = DoorLink(event_id=event.id, label="Side door", token_hash=hash_token(token),
                    expires_at=utcnow() + timedelta(days=1))
    db.session.add(link)
    db.session.commit()
    phone.goto(f"/door/{token}")
    expect(phone.locator("[data-door]")).to_have_attribute("data-waiting", "0")
    # The names have arrived: fetched after the link is off, they would end the door before any tap
    # (a slow machine did that once in ~12 runs).
    phone.wait_for_function("() => Object.keys(localStorage).some(k => k.endsWith('.names'))", timeout=10000)
    link.revoked_at = utcnow()  # the organizer turns the link off
    db.session.commit()

    phone.locator(f"#rsvp-{people['Dana Cohen'].id}").get_by_role("button", name="Check in").click()
    words = "This door link was turned off — ask the organizer for a new one."
    expect(phone.get_by_role("alert")).to_have_text(words)
    phone.wait_for_function("() => !Object.keys(localStorage).some(k => k.startsWith('organizer.door.'))")
    phone.reload()
    expect(phone.locator("[data-door-ended]")).to_contain_text(words)
    expect(phone).not_to_have_url(re.compile("/auth/login"))
    assert entries_for(people["Dana Cohen"]) == 0


def test_a_party_checked_in_two_now_and_two_later_and_undone_step_by_step(phone: Page):
    _campaign, event, _people = door_world()
    family, _m, _t = builders.make_rsvp(event, name="Family Party", email=None, guests=3)
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")
    row = phone.locator(f"#rsvp-{family.id}")
    checked_in = phone.locator("[data-count=checked_in]").first
    expect(checked_in).to_have_text("0")
    row.get_by_label("How many of Family Party's party are here now").select_option("2")
    row.get_by_role("button", name="Check in").click()
    expect(row.locator("[data-state]")).to_contain_text("2 of 4 in")
    expect(checked_in).to_have_text("2")
    settled(phone)
    expect(row.get_by_role("button", name="Check in")).to_be_visible()  # two still to come
    phone.wait_for_timeout(1100)
    row.get_by_role("button", name="Check in").click()  # the rest
    expect(row.locator("[data-state]")).to_contain_text("4 of 4 in")
    expect(row.get_by_role("button", name="Check in")).to_be_hidden()
    expect(checked_in).to_have_text("4")
    settled(phone)
    phone.wait_for_timeout(1100)
    row.get_by_role("button", name="Undo").click()  # the last step only
    expect(row.locator("[data-state]")).to_contain_text("2 of 4 in")
    settled(phone)
    expect(checked_in).to_have_text("2")
    fresh()
    assert checkins.is_checked_in(family)
    assert db.session.scalar(select(CheckIn.persons_in).where(CheckIn.rsvp_id == family.id)
                             .order_by(CheckIn.sequence.desc()).limit(1)) == 2


def test_a_tap_whose_answer_is_lost_counts_once_and_the_other_doors_taps_come_with_the_refresh(browser, base_url,
                                                                                                app, monkeypatch):
    """A tap's answer says what that tap changed, and the phone adds it to its figures: a retried tap
    (the first answer lost in the hall) still counts once, and what another phone did arrives with the
    next refresh."""
    _campaign, event, people = door_world()
    amina, bilal = people["Amina Yusuf"], people["Bilal Haddad"]  # Amina comes with a guest
    contexts, phones = [], []
    try:
        for refresh_seconds in (0, 1):  # the front phone never refreshes: what it shows, its taps made
            monkeypatch.setitem(app.config, "DOOR_REFRESH_SECONDS", refresh_seconds)
            phones.append(door_phone(browser, base_url, event, contexts))
        front, side = phones
        lost = []

        def lose_the_first_answer(route):
            response = route.fetch()  # the server has checked Amina in...
            if not lost:
                lost.append(response.status)
                route.abort("connectionreset")  # ...and the phone never hears of it
            else:
                route.fulfill(response=response)

        front.route(f"**/rsvps/{amina.id}/check-in", lose_the_first_answer)
        front.locator(f"#rsvp-{amina.id}").get_by_role("button", name="Check in").click()
        settled(front)
        assert lost == [200] and entries_for(amina) == 1
        checked_in = front.locator("[data-count=checked_in]").first
        expect(checked_in).to_have_text("2")  # Amina and her guest, once

        # The side phone's own tap at once, the front door's with its next refresh.
        side.locator(f"#rsvp-{bilal.id}").get_by_role("button", name="Check in").click()
        settled(side)
        expect(side.locator("[data-count=checked_in]").first).to_have_text("3", timeout=5000)
        expect(side.locator("[data-count=going]").first).to_have_text("6")
        front.reload()
        expect(checked_in).to_have_text("3")
    finally:
        for context in contexts:
            context.close()


def _amina_tapped_while_names_on_their_way(browser, base_url, event, amina, held: HeldRequests, contexts: list):
    """A phone opens the door with ``held``'s routes, its names held, and Amina is tapped in at
    once: (the phone, the held names request, the "checked in" figure)."""
    phone = door_phone(browser, base_url, event, contexts, before_open=held.install)
    names = held.wait_for("names")
    phone.locator(f"#rsvp-{amina.id}").get_by_role("button", name="Check in").click()
    return phone, names, phone.locator("[data-count=checked_in]").first


@pytest.mark.parametrize("read", ["before the tap", "after the tap"])
def test_figures_read_while_a_tap_is_on_its_way_count_it_once_and_are_read_again(browser, base_url, app,
                                                                                   monkeypatch, read):
    """The phone opens, and while its names (with the figures) are on their way, the volunteer taps.
    Figures the server read before the tap lack it, figures read after hold it, and the tap's answer
    adds it either way: the phone counts the tap once, then asks for the figures again and gets the
    other door's taps too, without waiting for a refresh (none here)."""
    monkeypatch.setitem(app.config, "DOOR_REFRESH_SECONDS", 0)
    _campaign, event, people = door_world()
    amina, bilal = people["Amina Yusuf"], people["Bilal Haddad"]  # Amina comes with a guest
    held = HeldRequests(names="**/names", tap=f"**/rsvps/{amina.id}/check-in")
    contexts = []
    try:
        phone, names, checked_in = _amina_tapped_while_names_on_their_way(browser, base_url, event, amina, held,
                                                                          contexts)
        expect(checked_in).to_have_text("2")  # shown at once, on the page's own figures
        tap = held.wait_for("tap")
        checkins.check_in(bilal, idempotency_key="other-door-0001")  # another door, meanwhile
        db.session.commit()
        names_kept = "() => Object.keys(localStorage).some((key) => key.endsWith('.names'))"
        if read == "before the tap":
            figures = names.fetch()  # read without Amina...
            tap.fulfill(response=tap.fetch())
            settled(phone)
            names.fulfill(response=figures)  # ...and answered after her tap's answer
        else:
            answer = tap.fetch()
            names.fulfill(response=names.fetch())  # read with Amina, answered before her tap's answer
            phone.wait_for_function(names_kept)
            tap.fulfill(response=answer)
        settled(phone)
        assert entries_for(amina) == 1
        expect(checked_in).to_have_text("3")  # Amina and her guest once, and Bilal from the other door
        phone.wait_for_timeout(300)
        expect(checked_in).to_have_text("3")
    finally:
        for context in contexts:
            context.close()


def test_a_re_read_answered_while_a_tap_is_on_its_way_is_read_again(browser, base_url, app, monkeypatch):
    """The phone's re-read of the figures (asked for because its names came while a tap was on its
    way) is itself answered while the next tap is on its way: it is set aside too and read once more,
    so the other door's taps still arrive without a refresh (none here)."""
    monkeypatch.setitem(app.config, "DOOR_REFRESH_SECONDS", 0)
    _campaign, event, people = door_world()
    amina, bilal, carla = people["Amina Yusuf"], people["Bilal Haddad"], people["Carla Mendes"]
    held = HeldRequests(names="**/names", state="**/state?*", tap=f"**/rsvps/{bilal.id}/check-in")
    contexts = []
    try:
        phone, names, checked_in = _amina_tapped_while_names_on_their_way(browser, base_url, event, amina, held,
                                                                          contexts)
        settled(phone)  # Amina's tap went while the names were on their way...
        names.continue_()  # ...so their figures are set aside and read again:
        state = held.wait_for("state")
        checkins.check_in(carla, idempotency_key="other-door-0002")  # another door, meanwhile
        db.session.commit()
        phone.locator(f"#rsvp-{bilal.id}").get_by_role("button", name="Check in").click()
        tap = held.wait_for("tap")
        state.fulfill(response=state.fetch())  # Amina and Carla, answered while Bilal's tap is on its way
        phone.wait_for_timeout(200)
        tap.continue_()
        settled(phone)
        assert entries_for(bilal) == 1
        expect(checked_in).to_have_text("4")  # Amina and her guest, Bilal, and Carla from the other door
    finally:
        for context in contexts:
            context.close()
