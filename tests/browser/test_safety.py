"""Supporter safety in a browser: a campaign that requires two-factor sign-in (set up, sign in with
a code, then with a recovery code), and publishing an event whose start has passed."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pyotp
from playwright.sync_api import Page, expect

from organizer.extensions import db
from organizer.models import EventStatus
from organizer.timeutil import utcnow
from tests import builders
from tests.browser.test_door_flow import sign_in

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/organizer-screenshots"))


def shoot(page: Page, name: str) -> None:
    """Pages are looked at by people too: keep a full-page picture of each new one."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You're signed out")).to_be_visible()


def test_a_campaign_requiring_two_factor_set_up_then_sign_in_with_a_code_and_a_recovery_code(desktop: Page):
    page = desktop
    team = builders.make_team("coordinator")
    campaign = team["campaign"]
    campaign.two_factor_required = True
    db.session.commit()

    # Password accepted, but the campaign's pages wait until a second step is set up.
    sign_in(page, "coord@example.org")
    page.goto(f"/manage/c/{campaign.slug}")
    expect(page).to_have_url(re.compile(r"/auth/two-factor/setup\?next="))
    expect(page.get_by_text("asks everyone who can see supporters' details")).to_be_visible()
    expect(page.locator(".two-factor-qr svg")).to_be_visible()
    shoot(page, "two-factor-setup")
    page.get_by_text("Can't scan? Type this key instead").click()
    secret = page.locator("[data-secret]").inner_text().strip()
    totp = pyotp.TOTP(secret)

    # A wrong code first: said next to the field.
    page.get_by_label("The 6-digit code your app shows").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#code-error")).to_contain_text("That code isn't right.")
    page.get_by_label("The 6-digit code your app shows").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = [code.strip() for code in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    shoot(page, "two-factor-codes")
    page.get_by_role("link", name="I've kept them, continue").click()
    expect(page).to_have_url(re.compile(rf"/manage/c/{campaign.slug}$"))

    # Next time: the password, then a code from the app (the next one: each code works once).
    sign_out(page)
    sign_in(page, "coord@example.org")
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    shoot(page, "two-factor-step")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(
        totp.at(utcnow() + timedelta(seconds=30)))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Phone lost: a recovery code instead, once.
    sign_out(page)
    sign_in(page, "coord@example.org")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    sign_out(page)
    sign_in(page, "coord@example.org")
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#code-error")).to_contain_text("That code isn't right.")
    page.goto(f"/manage/c/{campaign.slug}")
    expect(page).to_have_url(re.compile(r"/auth/login"))


def test_two_factor_pages_on_a_phone(phone: Page):
    team = builders.make_team("coordinator")
    team["campaign"].two_factor_required = True
    db.session.commit()
    sign_in(phone, "coord@example.org")
    phone.goto(f"/manage/c/{team['campaign'].slug}")
    expect(phone.locator(".two-factor-qr svg")).to_be_visible()
    shoot(phone, "two-factor-setup")
    secret = phone.locator("[data-secret]").text_content().strip()
    phone.get_by_label("The 6-digit code your app shows").fill(pyotp.TOTP(secret).now())
    phone.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(phone.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    shoot(phone, "two-factor-codes")
    phone.goto("/auth/two-factor/setup")
    expect(phone.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    shoot(phone, "two-factor-on")


def test_publishing_an_event_whose_start_has_passed_asks_first(phone: Page):
    campaign = builders.make_team("organizer")["campaign"]
    event = builders.make_event(campaign, title="Vigil last night", status=EventStatus.DRAFT,
                                starts_at=utcnow() - timedelta(hours=20))
    sign_in(phone, "org@example.org")
    phone.goto(f"/manage/e/{event.id}")
    phone.get_by_role("button", name="Publish").click()
    expect(phone.get_by_role("heading", name="Publish “Vigil last night” anyway?")).to_be_visible()
    expect(phone.get_by_text("has already passed")).to_be_visible()
    shoot(phone, "publish-confirm")
    phone.get_by_role("link", name="Keep it a draft").click()
    expect(phone.get_by_text("Draft: only the campaign team can see it.")).to_be_visible()
    phone.get_by_role("button", name="Publish").click()
    phone.get_by_role("button", name="Yes, publish it").click()
    expect(phone.get_by_text("Published. Share the link")).to_be_visible()


def test_a_supporter_forgotten_after_the_event_opens_their_link_and_is_told(phone: Page, desktop: Page):
    from organizer.services.privacy import retention

    campaign = builders.make_team("organizer")["campaign"]
    campaign.retention_days = 30
    event = builders.make_event(campaign, title="Vigil for Daraya", starts_at=utcnow() - timedelta(days=40))
    _, token, _ = builders.make_rsvp(event, name="Amina Haddad", email="amina@example.org")
    retention.run()
    db.session.commit()
    for page in (phone, desktop):
        page.goto(f"/r/{token}")
        expect(page.get_by_role("heading", name="Your details were deleted")).to_be_visible()
        expect(page.get_by_text("Amina")).to_have_count(0)
        shoot(page, "rsvp-forgotten")
    # The owner chooses the period in the campaign's settings.
    sign_in(desktop, "owner@example.org")
    desktop.goto(f"/manage/c/{campaign.slug}/edit")
    expect(desktop.get_by_label("Forget supporters' names, emails, phones and answers")).to_have_value("30")
    desktop.get_by_role("group", name="Keeping supporters safe").scroll_into_view_if_needed()
    shoot(desktop, "campaign-settings")
