"""An owner sets the campaign's contact address, then cancels a meeting with a note ("we've moved to…"); the
supporter's cancellation email replies to that address, carries the note, and looks like the confirmation.
Screenshots of the pages and of the email (390 and 1280 px, English and Arabic) go to $SCREENSHOT_DIR if set."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer import worker
from organizer.extensions import db
from organizer.models import Campaign, EventStatus, OutboxMessage
from tests import builders

SHOTS = os.environ.get("SCREENSHOT_DIR")
NOTE = "We've moved to the hall next door, same time.\nنلتقي في القاعة المجاورة، في الموعد نفسه."


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def sign_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(builders.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/manage/")


def test_contact_address_and_a_cancellation_note_reach_the_email(desktop: Page, browser, base_url):
    owner = builders.make_user()
    campaign = builders.make_campaign(owner=owner, slug="leeds-solidarity", name="Leeds Solidarity")
    event = builders.make_event(campaign, title="Vigil for Homs")
    builders.make_rsvp(event, name="Amina", email="amina@example.org")
    builders.make_rsvp(event, name="محمد العلي", email="mohammed@example.org", locale="ar")
    sign_in(desktop, owner.email)

    desktop.goto(f"/manage/c/{campaign.slug}/edit")
    address = desktop.get_by_label("Contact address for replies")
    address.fill("not an address")
    desktop.get_by_role("button", name="Save changes").click()
    expect(desktop.get_by_text("Enter an email address like name@example.org.").first).to_be_visible()
    expect(address).to_have_value("not an address")  # what was typed stays
    address.fill("team@leeds-solidarity.example")
    desktop.get_by_role("button", name="Save changes").click()
    expect(desktop.get_by_text("Campaign saved.")).to_be_visible()
    db.session.rollback()
    assert db.session.get(Campaign, campaign.id).contact_email == "team@leeds-solidarity.example"

    desktop.goto(f"/manage/c/{campaign.slug}/edit")
    shot(desktop, "settings-1280")
    desktop.set_viewport_size({"width": 390, "height": 844})
    desktop.goto(f"/language/ar?next=/manage/c/{campaign.slug}/edit")
    expect(desktop.get_by_label("عنوان التواصل للردود")).to_have_value("team@leeds-solidarity.example")
    shot(desktop, "settings-390-ar")
    desktop.goto(f"/manage/e/{event.id}/cancel")
    expect(desktop.get_by_label("ملاحظة تُضاف إلى الرسالة (اختيارية)")).to_be_visible()
    shot(desktop, "cancel-390-ar")
    desktop.goto(f"/language/en?next=/manage/e/{event.id}/cancel")
    shot(desktop, "cancel-390")
    desktop.set_viewport_size({"width": 1280, "height": 900})
    desktop.goto(f"/manage/e/{event.id}/cancel")
    expect(desktop.get_by_text("2 people will be emailed that the event is cancelled.")).to_be_visible()
    desktop.get_by_label("A note for the email (optional)").fill(NOTE)
    shot(desktop, "cancel-1280")
    desktop.get_by_role("button", name="Yes, cancel the event").click()
    expect(desktop.get_by_text("The event is cancelled. Its page now says so.")).to_be_visible()

    db.session.rollback()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "amina@example.org"))
    bodies = worker.bodies_of(message)
    assert bodies.reply_to == "team@leeds-solidarity.example" and bodies.unsubscribe_url == ""
    for line in NOTE.splitlines():
        assert line in bodies.body_text and line.replace("'", "&#39;") in bodies.body_html
    assert "marks the event as cancelled" in bodies.body_text
    db.session.refresh(event)
    assert event.status is EventStatus.CANCELLED
    arabic = worker.bodies_of(db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to_address == "mohammed@example.org")))
    assert 'dir="rtl"' in arabic.body_html and "ملاحظة من المنظِّمين" in arabic.body_html

    # The email as a mail program shows it: on a phone and on a laptop.
    for html, width, name in ((bodies.body_html, 390, "cancel-mail-390"), (bodies.body_html, 1280, "cancel-mail-1280"),
                              (arabic.body_html, 390, "cancel-mail-390-ar")):
        context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
        page = context.new_page()
        page.set_content(html)
        expect(page.get_by_text("نلتقي في القاعة المجاورة، في الموعد نفسه.")).to_be_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        shot(page, name)
        context.close()
