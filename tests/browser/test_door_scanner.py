"""Scanning a supporter's QR ticket with the phone's camera at the door (issue 14.4).

Chromium gets a fake camera that shows a video made in the test (ffmpeg) from a screenshot of the
ticket's QR code as the supporter's own RSVP page shows it."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from organizer.services.door import checkins, scanning
from tests import builders
from tests.browser.test_door_flow import door_world, fresh, settled, sign_in
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None,
                                reason="ffmpeg missing (apt-get install -y ffmpeg; make test installs it)")


def ticket_video(page: Page, manage_token: str, folder: Path) -> Path:
    """The ticket's QR code from the supporter's page, as a y4m video a fake camera can show."""
    page.goto(f"/r/{manage_token}")
    picture = folder / "ticket.png"
    page.locator(".rsvp-ticket__code svg").screenshot(path=str(picture))
    video = folder / "ticket.y4m"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-i", str(picture), "-t", "2", "-r", "10",
                    "-vf", "scale=-2:360,pad=640:480:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p", str(video)],
                   check=True, timeout=60)
    return video


def camera_phone(browser_type, base_url: str, video: Path):
    browser = browser_type.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    return browser, context.new_page()


def test_the_camera_reads_a_ticket_and_checks_that_person_in(browser_type, base_url, desktop: Page, tmp_path):
    _campaign, event, _people = door_world()
    ticket_holder, manage_token, _ticket = builders.make_rsvp(event, name="Farah Scanned", email=None, guests=2)
    video = ticket_video(desktop, manage_token, tmp_path)
    browser, phone = camera_phone(browser_type, base_url, video)
    try:
        sign_in(phone, "door@example.org")
        response = phone.goto(f"/door/e/{event.id}")
        assert "camera=(self)" in response.headers["permissions-policy"]
        phone.get_by_text("Scan a ticket").click()
        status = phone.locator("[data-door-scan-status]")
        expect(status).to_have_text("Farah Scanned is checked in.", timeout=15000)
        expect(phone.locator(f"#rsvp-{ticket_holder.id}")).to_have_class(re.compile(r"\bis-in\b"))
        settled(phone)
        fresh()
        assert checkins.is_checked_in(ticket_holder)
        # Held in front of the camera a while longer, the same ticket is not sent again.
        phone.wait_for_timeout(1500)
        expect(phone.locator("[data-door]")).to_have_attribute("data-waiting", "0")
        phone.get_by_text("Scan a ticket").click()  # closing the scanner lets the camera go
        expect(phone.locator("[data-door-camera]")).to_be_hidden()
    finally:
        browser.close()


def test_a_ticket_of_another_event_is_refused_with_a_clear_message(browser_type, base_url, desktop: Page, tmp_path):
    campaign, event, _people = door_world()
    other = builders.make_event(campaign, title="Another meeting", slug="another-meeting",
                                starts_at=event.starts_at + timedelta(days=7))
    _stranger, manage_token, _ticket = builders.make_rsvp(other, name="Gita Elsewhere", email=None)
    video = ticket_video(desktop, manage_token, tmp_path)
    browser, phone = camera_phone(browser_type, base_url, video)
    try:
        sign_in(phone, "door@example.org")
        phone.goto(f"/door/e/{event.id}")
        phone.get_by_text("Scan a ticket").click()
        status = phone.locator("[data-door-scan-status]")
        expect(status).to_have_text("This ticket is for another event.", timeout=15000)
        expect(status).to_have_class(re.compile(r"\bis-error\b"))
        fresh()
        assert not checkins.is_checked_in(_stranger)
    finally:
        browser.close()


def test_the_code_under_the_qr_can_be_typed_by_hand(phone: Page):
    _campaign, event, _people = door_world()
    holder, _manage, _ticket = builders.make_rsvp(event, name="Hana Typed", email=None)
    code = scanning.short_code(holder.ticket_token_hash)
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")
    phone.get_by_text("Scan a ticket").click()
    phone.get_by_label("Or type the code under the QR").fill(code.lower().replace("-", " "))
    phone.get_by_label("Or type the code under the QR").press("Enter")
    expect(phone.locator("[data-door-scan-status]")).to_have_text("Hana Typed is checked in.")
    settled(phone)
    fresh()
    assert checkins.is_checked_in(holder)


def test_a_scanned_party_shows_all_in_and_one_undo_takes_them_all_back(phone: Page):
    """A ticket checks in its whole party: the row, the counts and the undo say so, as for a tap."""
    _campaign, event, _people = door_world()
    family, _manage, _ticket = builders.make_rsvp(event, name="Family Scanned", email=None, guests=2)
    code = scanning.short_code(family.ticket_token_hash)
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")
    checked_in = phone.locator("[data-count=checked_in]").first
    phone.get_by_text("Scan a ticket").click()
    phone.get_by_label("Or type the code under the QR").fill(code)
    phone.get_by_label("Or type the code under the QR").press("Enter")
    expect(phone.locator("[data-door-scan-status]")).to_have_text("Family Scanned is checked in.")
    settled(phone)
    row = phone.locator(f"#rsvp-{family.id}")
    expect(row.locator("[data-state]")).to_contain_text("3 of 3 in")
    expect(row.get_by_role("button", name="Check in")).to_be_hidden()
    expect(checked_in).to_have_text("3")
    # What the phone keeps says so too: found again without signal, from the names kept on it.
    phone.context.set_offline(True)
    search = phone.get_by_label("Find a name")
    search.fill("family")
    expect(phone.locator(".door-row")).to_have_count(1)
    expect(row.locator("[data-state]")).to_contain_text("3 of 3 in")
    phone.context.set_offline(False)
    search.fill("")
    row.get_by_role("button", name="Undo").click()  # the scan was one step: all three
    settled(phone)
    expect(row).not_to_have_class(re.compile(r"\bis-in\b"))
    expect(checked_in).to_have_text("0")
    fresh()
    assert not checkins.is_checked_in(family)


def test_the_browsers_own_barcode_detector_is_preferred(browser_type, base_url, desktop: Page, tmp_path):
    """Where the browser reads QR codes itself (Android's Chrome), jsQR is never loaded. Debian's
    Chromium has no BarcodeDetector, so one is stood in that reads another ticket than the camera
    shows: what gets checked in tells which reader ran."""
    _campaign, event, _people = door_world()
    filmed, manage_token, _ticket = builders.make_rsvp(event, name="Filmed Ticket", email=None)
    detected, _m, detected_ticket = builders.make_rsvp(event, name="Detected Ticket", email=None)
    video = ticket_video(desktop, manage_token, tmp_path)
    browser, phone = camera_phone(browser_type, base_url, video)
    try:
        phone.context.add_init_script(f"""
            window.BarcodeDetector = class {{
                static getSupportedFormats() {{ return Promise.resolve(["qr_code"]); }}
                detect() {{ return Promise.resolve([{{ rawValue: "/t/{detected_ticket}" }}]); }}
            }};""")
        sign_in(phone, "door@example.org")
        phone.goto(f"/door/e/{event.id}")
        phone.get_by_text("Scan a ticket").click()
        expect(phone.locator("[data-door-scan-status]")).to_have_text("Detected Ticket is checked in.", timeout=15000)
        settled(phone)
        assert phone.evaluate("typeof window.jsQR") == "undefined"
        fresh()
        assert checkins.is_checked_in(detected) and not checkins.is_checked_in(filmed)
    finally:
        browser.close()


def test_a_camera_that_fails_late_leaves_the_typed_codes_answer_on_screen(phone: Page):
    """A phone's camera can take seconds to refuse. A volunteer who typed a code meanwhile keeps
    the answer to that code, not news of the camera."""
    _campaign, event, _people = door_world()
    holder, _manage, _ticket = builders.make_rsvp(event, name="Hana Typed", email=None)
    code = scanning.short_code(holder.ticket_token_hash)
    phone.add_init_script("""
        navigator.mediaDevices.getUserMedia = function () {
          return new Promise(function (resolve, reject) {
            window.failCamera = function () { reject(new DOMException("slow", "NotReadableError")); };
          });
        };
    """)
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")
    phone.get_by_text("Scan a ticket").click()
    status = phone.locator("[data-door-scan-status]")
    # The camera is asked for once the scanner has opened (its toggle event), as before any person
    # could type: a code typed within the same moment was counted before the camera was asked for.
    expect(status).to_have_text("Starting the camera…")
    phone.get_by_label("Or type the code under the QR").fill(code)
    phone.get_by_label("Or type the code under the QR").press("Enter")
    expect(status).to_have_text("Hana Typed is checked in.")
    phone.evaluate("window.failCamera()")
    phone.wait_for_timeout(200)
    expect(status).to_have_text("Hana Typed is checked in.")
    settled(phone)
