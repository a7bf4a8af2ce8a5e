"""A supporter opens the unsubscribe link of a campaign mail on a phone, unsubscribes, changes their mind; the
next campaign mail to them is not written. Screenshots of the page (390 and 1280 px, English and Arabic) go to
$SCREENSHOT_DIR when it is set."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer import worker
from organizer.extensions import db
from organizer.models import OutboxMessage
from organizer.services.mail import unsubscribe
from tests import builders
from tests.campaign_mail_kind import campaign_mail_kind  # noqa: F401  (fixture)

SHOTS = os.environ.get("SCREENSHOT_DIR")


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_unsubscribe_from_the_link_in_a_campaign_mail(phone: Page, desktop: Page, base_url, campaign_mail_kind):
    campaign = builders.make_campaign(owner=builders.make_user(), name="Syria Solidarity Leeds")
    assert campaign_mail_kind(campaign, "amina@example.org")
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    text = worker.bodies_of(message).body_text
    link = next(word for word in text.split() if "/unsubscribe/" in word)

    phone.goto(link.replace("http://localhost", base_url))
    expect(phone.get_by_role("heading", name="Stop emails from Syria Solidarity Leeds?")).to_be_visible()
    shot(phone, "unsubscribe-390")
    assert not unsubscribe.is_unsubscribed(campaign, "amina@example.org")  # opening it changed nothing
    phone.get_by_role("button", name="Unsubscribe").click()
    expect(phone.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    shot(phone, "unsubscribed-390")
    assert unsubscribe.is_unsubscribed(campaign, "amina@example.org")
    assert not campaign_mail_kind(campaign, "amina@example.org")  # the next send leaves her out

    phone.get_by_role("button", name="That was a mistake: keep sending them").click()
    expect(phone.get_by_text("You'll get this campaign's emails again.")).to_be_visible()
    expect(phone.get_by_role("button", name="Unsubscribe")).to_be_visible()
    assert not unsubscribe.is_unsubscribed(campaign, "amina@example.org")

    desktop.goto(link.replace("http://localhost", base_url))
    shot(desktop, "unsubscribe-1280")
    path = link.replace("http://localhost", "")
    desktop.goto(f"/language/ar?next={path}")
    expect(desktop.locator("html")).to_have_attribute("dir", "rtl")
    desktop.get_by_role("button", name="إلغاء الاشتراك").click()
    expect(desktop.get_by_role("heading", name="ألغيت اشتراكك")).to_be_visible()
    shot(desktop, "unsubscribed-1280-ar")
    phone.goto(f"/language/ar?next={path}")
    shot(phone, "unsubscribe-390-ar")
