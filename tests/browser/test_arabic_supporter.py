"""A Syrian supporter on a phone whose browser asks for Arabic: the event page and the whole RSVP flow are
right to left, never wider than the screen, a failed form puts the focus on its error summary, names
stay in their own order; the switcher goes back to English. Screenshots in test-artifacts/arabic/.

Fields are found by their names, not their (translated) labels, so this holds with or without the
Arabic catalog; `dir`, `lang`, Arabic dates and the layout are checked either way.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Rsvp
from tests import builders

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "arabic"
NAME = "محمد العلي"


def no_horizontal_scrolling(page: Page) -> None:
    wider = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert wider <= 0, f"{page.url}: {wider}px of horizontal scrolling"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_supporter_flow_in_arabic_on_a_phone(browser, base_url):
    campaign = builders.make_campaign(owner=builders.make_user(), slug="syria", name="Syria Solidarity")
    builders.make_event(campaign, slug="homs", title="وقفة تضامن مع حمص 2026", capacity=40, max_guests=2,
                        venue_name="London Muslim Centre")
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, locale="ar-SY",
                                  is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        phone.goto("/e/homs")
        expect(phone.locator("html")).to_have_attribute("dir", "rtl")
        expect(phone.locator("html")).to_have_attribute("lang", "ar")
        # The form sits on the right: its start edge is the right edge of the screen.
        box = phone.locator("input[name=name]").bounding_box()
        assert box["x"] + box["width"] > 390 - 60, box
        no_horizontal_scrolling(phone)
        shot(phone, "event-390-rtl")

        # A mistake first: the focus moves to the error summary, which links to the field.
        phone.locator("input[name=email]").fill("mohammed@")
        phone.locator(".rsvp-form button[type=submit]").click()
        expect(phone.locator(".form-errors")).to_be_focused()
        expect(phone.locator(".form-errors a[href='#name']")).to_be_visible()
        expect(phone.locator("html")).to_have_attribute("dir", "rtl")
        no_horizontal_scrolling(phone)
        shot(phone, "event-error-390-rtl")

        phone.locator("input[name=name]").fill(NAME)
        phone.locator("input[name=email]").fill("")
        phone.locator("select[name=guests]").select_option("1")
        phone.locator(".rsvp-form button[type=submit]").click()
        expect(phone.locator("#manage-url")).to_be_visible()
        expect(phone.locator("html")).to_have_attribute("dir", "rtl")
        # The name is isolated, so "محمد العلي + 1 guest" keeps its order.
        expect(phone.locator("bdi", has_text=NAME).first).to_be_attached()
        no_horizontal_scrolling(phone)
        shot(phone, "manage-390-rtl")
        db.session.expire_all()
        assert db.session.scalar(select(Rsvp.locale).where(Rsvp.name == NAME)) == "ar"

        # The switcher: a plain link, back to the same page, in English.
        phone.locator(".language-switcher a[hreflang=en]").first.click()
        expect(phone.locator("html")).to_have_attribute("dir", "ltr")
        assert "/r/" in phone.url
        no_horizontal_scrolling(phone)
        shot(phone, "manage-390-ltr")
    finally:
        context.close()


def test_the_event_page_at_desktop_width_in_both_directions(browser, base_url):
    campaign = builders.make_campaign(owner=builders.make_user(), slug="syria", name="Syria Solidarity")
    event = builders.make_event(campaign, slug="homs", title="وقفة تضامن مع حمص", capacity=40)
    news = builders.make_coverage(campaign, headline="السوريون يتحدون الحصار على حمص.", outlet="الجزيرة", language="ar")
    from organizer.models import CoverageRelation

    builders.link_coverage(event, news, CoverageRelation.PROMPTED_BY)
    for language, direction in (("en", "ltr"), ("ar", "rtl")):
        context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "lang", "value": language, "url": base_url}])
        page = context.new_page()
        try:
            page.goto("/e/homs")
            expect(page.locator("html")).to_have_attribute("dir", direction)
            no_horizontal_scrolling(page)
            shot(page, f"event-1280-{direction}")
            page.set_viewport_size({"width": 390, "height": 844})
            no_horizontal_scrolling(page)
            shot(page, f"event-390-{direction}-cookie")
        finally:
            context.close()


def test_a_visitor_in_another_zone_also_sees_their_own_time(browser, base_url):
    from datetime import datetime

    campaign = builders.make_campaign(owner=builders.make_user(), slug="syria")
    builders.make_event(campaign, slug="london", title="London", starts_at=datetime(2030, 1, 12, 19, 0),
                        timezone="Europe/London")
    for zone, expected in (("Asia/Damascus", "(that is 22:00 your time)"), ("Europe/London", None)):
        context = browser.new_context(base_url=base_url, timezone_id=zone)
        page = context.new_page()
        try:
            page.goto("/e/london")
            expect(page.locator(".event-facts__time")).to_contain_text("19:00 GMT")
            if expected:
                expect(page.locator(".event-facts__time .your-time")).to_have_text(expected)
            else:
                page.wait_for_load_state("load")
                expect(page.locator(".your-time")).to_have_count(0)
        finally:
            context.close()
