"""An organizer writes to the people going to a meeting: compose, preview with the count, send; the outbox
worker sends it to a real SMTP server (aiosmtpd); the supporter opens the mail."""

from __future__ import annotations

import email
import email.policy
import os
import re

from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from organizer.extensions import db
from organizer.models import RsvpStatus
from organizer.services.messaging import segments
from organizer.worker import send_pending
from tests import builders
from tests.cluster.nodes import free_port

SHOTS = os.environ.get("SCREENSHOT_DIR")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=email.policy.default))
        return "250 Message accepted for delivery"


def sign_in(page: Page, address: str) -> None:
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(address)
    page.locator("main input[name=password]").fill(builders.DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-{page.viewport_size['width']}.png", full_page=True)


def test_compose_preview_send_and_the_mail_arrives(desktop: Page, app, base_url):
    page = desktop
    team = builders.make_team("organizer")
    event = builders.make_event(team["campaign"], title="Solidarity meeting")
    builders.make_rsvp(event, name="Amina Yusuf", email="amina@example.org")
    builders.make_rsvp(event, name="Bilal Haddad", email="bilal@example.org")
    builders.make_rsvp(event, name="Bilal again", email="BILAL@example.org", email_normalized="bilal@example.org")
    builders.make_rsvp(event, name="Carla Mendes", email="carla@example.org", status=RsvpStatus.WAITLISTED)

    sign_in(page, "org@example.org")
    page.goto(f"/manage/e/{event.id}")
    page.get_by_role("link", name="Write to these people (email)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Write to the people of")
    expect(page.get_by_role("checkbox", name=re.compile("^Going"))).to_be_checked()
    expect(page.get_by_text("(2 people)")).to_be_visible()
    page.get_by_label("Subject").fill("We've moved to the hall next door")
    page.get_by_label("Message").fill("Same time, **the hall next door**.\n\n- bring a friend\n- bring a banner")
    shot(page, "message-compose")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_text("2 people will get this.")).to_be_visible()
    expect(page.locator(".mail-preview__body strong")).to_have_text("the hall next door")
    shot(page, "message-preview")
    page.get_by_role("button", name="Send a test to me").click()
    expect(page.get_by_text("A test is on its way to org@example.org")).to_be_visible()
    page.get_by_role("button", name="Send to 2 people").click()
    expect(page.get_by_text("Sent: 2 people will get")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/manage/e/{event.id}$"))

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        db.session.rollback()
        report = send_pending({**app.config, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port})
    finally:
        controller.stop()
    assert report.sent == 3
    by_address = {str(message["To"]).lower(): message for message in inbox.messages}
    assert set(by_address) == {"org@example.org", "amina@example.org", "bilal@example.org"}
    mail = by_address["amina@example.org"]
    assert mail["Subject"] == "We've moved to the hall next door"
    html = mail.get_body(preferencelist=("html",)).get_content()

    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in mail["List-Unsubscribe"]

    # The supporter opens it, and follows its unsubscribe link.
    page.set_content(html.replace(app.config["BASE_URL"].rstrip("/"), base_url))  # the test's BASE_URL: the live server
    expect(page.locator("strong")).to_have_text("the hall next door")
    expect(page.get_by_role("link", name="Solidarity meeting")).to_be_visible()
    page.get_by_role("link", name="Unsubscribe from this campaign's emails").click()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You're unsubscribed")).to_be_visible()

    # The next message leaves her out, in the count and the send.
    page.goto(f"/manage/e/{event.id}/message")
    expect(page.get_by_text("(1 person)").first).to_be_visible()
    db.session.rollback()
    assert segments.count(segments.audience(team["campaign"], event, ["going"])) == 1
