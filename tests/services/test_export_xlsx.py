"""The XLSX export as a spreadsheet reads it: typed dates, text without the CSV's apostrophe, column
widths from the content, A4 landscape with the header row repeated (issue 13 point 6)."""

from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import update

from organizer.extensions import db
from organizer.models import CheckIn
from organizer.services.door import checkins
from organizer.services.reports import export_files, export_spec, export_xlsx, exports
from tests import builders


@pytest.fixture
def world():
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner)
    event = builders.make_event(campaign, slug="summer-meeting", starts_at=datetime(2030, 7, 1, 18, 0),
                                timezone="Europe/London")
    return owner, campaign, event


def workbook_of(export):
    with export_xlsx.write_xlsx(export) as handle:
        return openpyxl.load_workbook(handle)


def make(campaign, owner, event=None, columns=("name", "rsvp_at", "checked_in_at"), **overrides):
    spec = export_spec.make_spec(campaign, event=event, statuses=["going"], checked_in="any", consent_only=False,
                                 columns=list(columns), file_format="xlsx", **overrides)
    return exports.start(campaign, owner, spec)


def test_times_are_real_dates_in_the_events_zone_named_in_the_header(world):
    owner, campaign, event = world
    # 17:30 UTC in July is 18:30 in London (BST); in January 09:05 UTC is 09:05 GMT.
    amina, _, _ = builders.make_rsvp(event, name="Amina", created_at=datetime(2030, 6, 20, 17, 30))
    builders.make_rsvp(event, name="Bilal", created_at=datetime(2030, 1, 15, 9, 5))
    checkins.check_in(amina)
    db.session.execute(update(CheckIn).where(CheckIn.rsvp_id == amina.id).values(created_at=datetime(2030, 7, 1, 17, 2)))
    db.session.commit()
    sheet = workbook_of(make(campaign, owner, event)).active
    header = [cell.value for cell in sheet[1]]
    assert header == ["Name", "RSVP time (Europe/London)", "Checked in at (Europe/London)"]
    by_name = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert by_name["Amina"][1].is_date and by_name["Amina"][1].value == datetime(2030, 6, 20, 18, 30)
    assert by_name["Amina"][2].is_date and by_name["Amina"][2].value == datetime(2030, 7, 1, 18, 2)
    assert by_name["Bilal"][1].value == datetime(2030, 1, 15, 9, 5)
    assert by_name["Bilal"][2].value is None  # not checked in: an empty cell, not a word
    assert "yy" in by_name["Amina"][1].number_format and "hh:mm" in by_name["Amina"][1].number_format


def test_campaign_export_dates_use_the_campaigns_zone(world):
    owner, campaign, event = world
    builders.make_rsvp(event, name="Amina", email="amina@example.org", created_at=datetime(2030, 6, 20, 17, 30))
    export = make(campaign, owner, columns=["name", "first_rsvp_at", "events_rsvped"])
    sheet = workbook_of(export).active
    zone = campaign.default_timezone
    assert [cell.value for cell in sheet[1]] == ["Name", f"First RSVP ({zone})", "Events RSVPed to"]
    row = [cell.value for cell in sheet[2]]
    assert row[0] == "Amina" and row[2] == 1
    assert isinstance(row[1], datetime)


def test_text_that_looks_like_a_formula_is_text_without_apostrophe_while_csv_keeps_it(world):
    owner, campaign, event = world
    builders.make_rsvp(event, name="=HYPERLINK(\"http://evil.example\",\"x\")", email="a@example.org")
    builders.make_rsvp(event, name="+44 20 7946 0000", email="b@example.org")
    builders.make_rsvp(event, name="@SUM(A1:A2)", email="c@example.org")
    sheet = workbook_of(make(campaign, owner, event, columns=["name"])).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)
    assert sorted(cell.value for cell in cells) == sorted(
        ["=HYPERLINK(\"http://evil.example\",\"x\")", "+44 20 7946 0000", "@SUM(A1:A2)"])
    csv_text = b"".join(export_files.csv_chunks(make(campaign, owner, event, columns=["name"]))).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+44" in csv_text and "'@SUM" in csv_text


def test_columns_are_as_wide_as_their_content(world):
    owner, campaign, event = world
    long_name = "Maria-Fernanda de los Santos Ocampo"
    builders.make_rsvp(event, name=long_name, email="maria@example.org")
    builders.make_rsvp(event, name="Al", email="al@example.org", guests=2)
    sheet = workbook_of(make(campaign, owner, event, columns=["name", "guests", "rsvp_at"])).active
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABC"}
    assert widths["A"] >= len(long_name)
    assert widths["B"] < widths["A"] / 2  # a column of small numbers stays narrow
    assert widths["C"] >= len("2030-07-01 18:30")


def test_prints_on_a4_landscape_one_page_wide_with_the_header_repeated(world):
    owner, campaign, event = world
    builders.make_rsvp(event, name="Amina")
    sheet = workbook_of(make(campaign, owner, event, columns=["name", "email", "phone", "guests", "status"])).active
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.print_title_rows.replace("$", "") == "1:1"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert int(sheet.page_setup.fitToWidth or 1) == 1  # (1 is the default, left out of the file)
    assert int(sheet.page_setup.fitToHeight) == 0
