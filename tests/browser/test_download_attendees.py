"""A coordinator downloads the attendee spreadsheet with one button, from the RSVP list and from the
turnout page (issue 13 point 6), logged like every export."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import ExportRecord, Role
from organizer.timeutil import utcnow
from tests import builders

SHOTS = "/tmp/api-shots"


def sign_in(page: Page, user) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email").fill(user.email)
    page.locator("#password").fill(builders.DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))


def meeting():
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    coordinator = builders.make_user("coordinator@example.org")
    builders.make_membership(campaign, coordinator, Role.COORDINATOR)
    event = builders.make_event(campaign, title="Briefing on Homs", starts_at=utcnow() + timedelta(days=5))
    builders.make_rsvp(event, name="=Amina Hassan", email="amina@example.org", created_at=datetime(2030, 6, 20, 17, 30))
    builders.make_rsvp(event, name="محمد الأحمد", email="m@example.org", guests=2)
    return event, coordinator


def read_download(download, tmp_path):
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return openpyxl.load_workbook(path).active


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_download_attendees_from_the_rsvp_list_and_the_turnout_page(request, size, tmp_path):
    page: Page = request.getfixturevalue(size)
    event, coordinator = meeting()
    sign_in(page, coordinator)

    page.goto(f"/manage/e/{event.id}/rsvps")
    button = page.get_by_role("button", name="Download attendees")
    expect(button).to_be_visible()
    page.screenshot(path=f"{SHOTS}/rsvp-list-{size}.png", full_page=True)
    with page.expect_download() as info:
        button.click()
    sheet = read_download(info.value, tmp_path)
    assert info.value.suggested_filename.endswith(".xlsx")
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Name", "Guests", "Status"]
    assert header[3] == "RSVP time (Europe/London)"
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"=Amina Hassan", "محمد الأحمد"}  # text as typed, no apostrophe
    assert rows["=Amina Hassan"][0].data_type == "s"
    assert rows["=Amina Hassan"][3].is_date and rows["=Amina Hassan"][3].value == datetime(2030, 6, 20, 18, 30)

    page.goto(f"/manage/e/{event.id}/turnout")
    page.screenshot(path=f"{SHOTS}/turnout-{size}.png", full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download attendees").click()
    assert read_download(info.value, tmp_path).max_row == 3

    # Both downloads are in the export log, like any other export.
    db.session.expire_all()
    records = db.session.scalars(select(ExportRecord)).all()
    assert [(record.user_id, record.file_format, record.row_count) for record in records] == [
        (coordinator.id, "xlsx", 2), (coordinator.id, "xlsx", 2)]
