"""An organizer adds coverage by pasting a link (with JavaScript, and without), and a supporter without
JavaScript RSVPs from a share link whose code the RSVP records. Screenshots of the new pages at 390
and 1280 px, left to right and right to left, go to test-artifacts/coverlink/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Coverage, ReferralCode, Rsvp
from organizer.services.campaigns import referrals
from tests import builders, pageserver
from tests.pageserver import page_server

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "coverlink"


@pytest.fixture
def test_server_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_FETCH_TEST_ADDRESSES", frozenset({"127.0.0.1"}))


@pytest.fixture(scope="module")
def articles():
    with page_server() as url:
        yield url


def sign_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(builders.DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_paste_a_link_fill_edit_and_save(desktop: Page, articles, test_server_allowed):
    owner = builders.make_user("owner@example.org")
    builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    sign_in(desktop, "owner@example.org")
    desktop.goto("/manage/c/syria/coverage/new")
    desktop.get_by_label("Web address of the article").fill(f"{articles}/article")
    desktop.get_by_role("button", name="Fill from link").click()
    expect(desktop.get_by_text("Filled in from the article")).to_be_visible()
    expect(desktop.get_by_label("Headline")).to_have_value(pageserver.HEADLINE)
    expect(desktop.get_by_label("Outlet")).to_have_value(pageserver.OUTLET)
    expect(desktop.get_by_label("Author")).to_have_value(pageserver.AUTHOR)
    expect(desktop.get_by_label("Published on")).to_have_value("2012-03-03")
    expect(desktop.get_by_label("Excerpt")).to_have_value(pageserver.EXCERPT)
    expect(desktop.get_by_role("textbox", name="Language")).to_have_value("en-GB")
    assert desktop.url.endswith("/coverage/new")  # filled in place, by the script
    shoot(desktop, "coverage-filled-1280")
    desktop.get_by_label("Headline").fill("Syrians defy the assault on Homs")
    desktop.get_by_role("button", name="Add to library").click()
    expect(desktop.get_by_text("Article added to the library.")).to_be_visible()
    db.session.expire_all()
    saved = db.session.scalar(select(Coverage))
    assert saved is not None
    assert (saved.headline, saved.outlet, saved.author, saved.language) == (
        "Syrians defy the assault on Homs", pageserver.OUTLET, pageserver.AUTHOR, "en-GB")
    assert saved.url == f"{articles}/article"

    # A refused address: said next to the field, the rest kept.
    desktop.goto("/manage/c/syria/coverage/new")
    desktop.get_by_label("Headline").fill("Typed first")
    desktop.get_by_label("Web address of the article").fill("http://169.254.169.254/latest/meta-data/")
    desktop.get_by_role("button", name="Fill from link").click()
    expect(desktop.get_by_text("private or local network")).to_be_visible()
    expect(desktop.get_by_label("Headline")).to_have_value("Typed first")


def test_fill_from_link_on_an_events_page_then_add_and_link(phone: Page, articles, test_server_allowed):
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    event = builders.make_event(campaign, slug="lmc", title="Solidarity with Homs")
    db.session.commit()
    sign_in(phone, "owner@example.org")
    phone.goto(f"/manage/e/{event.id}/coverage")
    new = phone.locator("section", has=phone.get_by_role("heading", name="Add a new article and link it"))
    new.get_by_label("Web address of the article").fill(f"{articles}/article")
    new.get_by_role("button", name="Fill from link").click()
    expect(new.get_by_text("Filled in from the article")).to_be_visible()
    expect(new.get_by_label("Headline")).to_have_value(pageserver.HEADLINE)
    expect(new.get_by_label("Outlet")).to_have_value(pageserver.OUTLET)
    assert phone.url.endswith(f"/manage/e/{event.id}/coverage")  # filled in place, by the script
    shoot(phone, "event-coverage-filled-390")
    new.get_by_role("button", name="Add and link").click()
    expect(phone.get_by_text("to the library and linked it")).to_be_visible()
    db.session.expire_all()
    saved = db.session.scalar(select(Coverage))
    assert saved is not None and saved.headline == pageserver.HEADLINE and saved.url == f"{articles}/article"


def test_fill_from_link_without_javascript(browser, base_url, articles, test_server_allowed):
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    builders.make_coverage(campaign, headline="السوريون يتحدون الحصار",
                           outlet="العامل الاشتراكي", language="ar")
    for width, lang in ((390, "en"), (1280, "ar"), (390, "ar")):
        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900},
                                      java_script_enabled=False)
        page = context.new_page()
        try:
            sign_in(page, "owner@example.org")
            page.goto(f"/language/{lang}?next=/manage/")
            page.goto("/manage/c/syria/coverage/new")
            page.locator("input[name=url]").fill(f"{articles}/arabic")
            page.locator("button[name=fill]").click()
            expect(page.locator("input[name=headline]")).to_have_value("السوريون يتحدون الهجوم على حمص")
            expect(page.locator("input[name=language]")).to_have_value("ar")
            expect(page.locator("input[name=published_on]")).to_have_value("2012-03-03")
            shoot(page, f"coverage-filled-nojs-{width}-{lang}")
            page.goto("/manage/c/syria/coverage")
            expect(page.locator(".coverage-row__headline[dir=rtl]")).to_be_visible()
            shoot(page, f"coverage-library-{width}-{lang}")
        finally:
            context.close()


def test_a_share_link_code_survives_the_rsvp_without_javascript(browser, base_url):
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    event = builders.make_event(campaign, slug="lmc", title="Solidarity with Homs", capacity=400)
    for code in ("mosque-newsletter", "paper-sale", "whatsapp-syria-uk"):
        referrals.create_code(owner, campaign, code)
    db.session.commit()
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/e/lmc?r=paper-sale")
        page.get_by_label("Your name").fill("Amina Haddad")
        page.get_by_label("Email (optional)").fill("amina@example.org")
        page.get_by_role("button", name="RSVP").click()
        expect(page.get_by_text("press the button again to send your RSVP")).to_be_visible()
        page.get_by_role("button", name="RSVP").click()
        expect(page.get_by_text("You're going!")).to_be_visible()
    finally:
        context.close()
    db.session.expire_all()
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.name == "Amina Haddad"))
    assert rsvp is not None and rsvp.referral_code_id is not None
    assert db.session.get(ReferralCode, rsvp.referral_code_id).code == "paper-sale"

    # The organizer sees it on the share-links page and on turnout; screenshots of both, both ways.
    for width, lang in ((1280, "en"), (390, "en"), (1280, "ar"), (390, "ar")):
        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
        page = context.new_page()
        try:
            sign_in(page, "owner@example.org")
            page.goto(f"/language/{lang}?next=/manage/")
            page.goto("/manage/c/syria/referrals")
            expect(page.locator("input[value$='/e/lmc?r=paper-sale']")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
            shoot(page, f"share-links-{width}-{lang}")
            page.goto(f"/manage/e/{event.id}/turnout")
            row = page.locator(".source-table tr", has=page.locator("code", has_text="paper-sale"))
            expect(row.locator("td").first).to_have_text("1")
            assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
            shoot(page, f"turnout-sources-{width}-{lang}")
        finally:
            context.close()


def test_a_campaign_share_link_hands_its_code_to_the_event_the_supporter_opens(phone: Page):
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    builders.make_event(campaign, slug="lmc", title="Solidarity with Homs", capacity=400)
    referrals.create_code(owner, campaign, "mosque-newsletter")
    db.session.commit()
    phone.goto("/c/syria?r=mosque-newsletter")
    links = phone.get_by_role("link", name="Solidarity with Homs")  # the upcoming list and the story so far
    expect(links).to_have_count(2)
    for index in range(2):
        expect(links.nth(index)).to_have_attribute("href", "/e/lmc?r=mosque-newsletter")
    links.first.click()
    expect(phone).to_have_url(re.compile(r"/e/lmc\?r=mosque-newsletter$"))
    phone.get_by_label("Your name").fill("Basel Idris")
    phone.get_by_role("button", name="RSVP").click()
    expect(phone.get_by_text("You're going!")).to_be_visible()
    db.session.expire_all()
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.name == "Basel Idris"))
    assert rsvp is not None and rsvp.referral_code_id is not None
    assert db.session.get(ReferralCode, rsvp.referral_code_id).code == "mosque-newsletter"
