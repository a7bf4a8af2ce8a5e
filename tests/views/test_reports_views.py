"""Turnout pages, the export form and download, the export log."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import AccessEntry, ExportRecord, RsvpStatus
from organizer.services.door import checkins, crowd
from tests import builders

# Forms are posted without a token here; test_export_needs_csrf turns the check back on.
pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.fixture
def world():
    team = builders.make_team("coordinator", "door")
    event = builders.make_event(team["campaign"], title="Homs solidarity meeting", slug="homs",
                                starts_at=datetime(2030, 3, 1, 19, 0))
    return dict(**team, event=event)


def export_form(target="campaign", **overrides):
    data = {"target": target, "statuses": ["going"], "checked_in": "any", "preset": "contact",
            "file_format": "csv"}
    data.update(overrides)
    return data


def test_event_turnout_page(client, login, world):
    event = world["event"]
    amina, _, _ = builders.make_rsvp(event, name="Amina", guests=1, created_at=datetime(2030, 2, 20, 10))
    builders.make_rsvp(event, name="Bilal", created_at=datetime(2030, 2, 22, 10))
    builders.make_rsvp(event, name="Carla", status=RsvpStatus.WAITLISTED, created_at=datetime(2030, 2, 23, 10))
    checkins.check_in(amina)
    checkins.walk_in(event, "Walker")
    crowd.add(event, 120)
    db.session.commit()
    login(world["coordinator"])
    response = client.get(f"/manage/e/{event.id}/turnout")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "67%" in html  # 2 of 3 people going were checked in
    assert '<svg class="chart"' in html and "<title id=" in html and "<desc id=" in html
    assert "style=" not in html
    assert "Show the numbers as a table" in html
    assert "Amina" not in html  # figures only, no names


def test_event_turnout_without_rsvps_says_what_to_do(client, login, world):
    login(world["coordinator"])
    html = client.get(f"/manage/e/{world['event'].id}/turnout").get_data(as_text=True)
    assert "No RSVPs yet" in html and "<svg" not in html


def test_campaign_turnout_page(client, login, world):
    event = world["event"]
    second = builders.make_event(world["campaign"], title="<b>Second</b> meeting", starts_at=datetime(2030, 4, 1, 19))
    builders.make_event(world["campaign"], title="Draft plan", status=builders.EventStatus.DRAFT)
    builders.make_rsvp(event, name="Amina")
    builders.make_rsvp(second, name="Bilal")
    login(world["coordinator"])
    response = client.get("/manage/c/syria/turnout")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Homs solidarity meeting" in html and "&lt;b&gt;Second&lt;/b&gt; meeting" in html
    assert "<b>Second</b>" not in html  # escaped inside the SVG too
    assert "Draft plan" not in html
    assert "style=" not in html


def test_door_volunteers_do_not_see_turnout_or_exports(client, login, world):
    login(world["door"])
    assert client.get(f"/manage/e/{world['event'].id}/turnout").status_code == 404
    assert client.get("/manage/c/syria/export").status_code == 404
    assert client.post("/manage/c/syria/export", data=export_form()).status_code == 404
    assert db.session.scalar(select(ExportRecord)) is None


def test_export_form_preselects_an_event(client, login, world):
    login(world["coordinator"])
    html = client.get(f"/manage/c/syria/export?event={world['event'].id}").get_data(as_text=True)
    assert f'<option selected value="{world["event"].id}">' in html


def test_export_csv_download_is_an_uncached_attachment_and_audited(client, login, world):
    event = world["event"]
    builders.make_rsvp(event, name="Amina", email="amina@example.org", phone="+44 7700 900000")
    builders.make_rsvp(event, name="محمد", email="mohammed@example.org")
    builders.make_rsvp(event, name="Carla", email="carla@example.org", status=RsvpStatus.CANCELLED)
    login(world["coordinator"])
    response = client.post("/manage/c/syria/export", data=export_form(str(event.id)))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="homs-' in disposition and disposition.endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))
    assert rows == [["Name", "Email", "Phone", "Consent to contact"],
                    ["Amina", "amina@example.org", "'+44 7700 900000", "no"],
                    ["محمد", "mohammed@example.org", "", "no"]]
    [record] = db.session.scalars(select(ExportRecord)).all()
    assert (record.user_email, record.scope, record.row_count, record.event_id) == ("coord@example.org", "event", 2,
                                                                                     event.id)
    assert json.loads(record.filters)["status"] == ["going"]


@pytest.mark.postgres_only
def test_campaign_export_closed_unread_lets_its_rows_connection_go(client, login, world):
    """On PostgreSQL the campaign CSV's rows wait on a connection of their own: a download abandoned
    before its first row must give it back when the server closes the response."""
    builders.make_rsvp(world["event"], name="Amina", email="amina@example.org")
    login(world["coordinator"])
    db.session.commit()
    idle = db.engine.pool.checkedout()
    response = client.post("/manage/c/syria/export", data=export_form(), buffered=False)
    assert response.status_code == 200
    db.session.rollback()  # (the test's session shares the request's: it read the record's time)
    assert db.engine.pool.checkedout() == idle + 1
    response.close()
    assert db.engine.pool.checkedout() == idle
    [record] = db.session.scalars(select(ExportRecord)).all()
    assert (record.scope, record.row_count) == ("campaign", 1)


def test_export_xlsx_download(client, login, world):
    event = world["event"]
    builders.make_rsvp(event, name="=Amina", email="amina@example.org")
    login(world["owner"])
    response = client.post("/manage/c/syria/export", data=export_form(file_format="xlsx", preset="names"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    # A string cell: shown as typed, never evaluated (the CSV is the one that needs the apostrophe).
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [["Name"], ["=Amina"]]
    assert sheet["A2"].data_type == "s"
    assert db.session.scalar(select(ExportRecord.file_format)) == "xlsx"


def test_export_needs_csrf(client, login, world):
    login(world["coordinator"])
    client.application.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/manage/c/syria/export", data=export_form())
    assert response.status_code == 400
    assert db.session.scalar(select(ExportRecord.id)) is None


def test_export_refuses_nothing_to_export_with_a_message(client, login, world):
    login(world["coordinator"])
    response = client.post("/manage/c/syria/export", data=export_form(statuses=[]))
    assert response.status_code == 400
    assert "Choose at least one" in response.get_data(as_text=True)
    response = client.post("/manage/c/syria/export", data=export_form(preset="custom", columns=["answers"]))
    assert response.status_code == 400  # answers belong to one event, not the whole campaign
    assert db.session.scalar(select(ExportRecord.id)) is None


def test_export_of_another_campaigns_event_is_refused(client, login, world):
    other = builders.make_event(builders.make_campaign(owner=world["owner"], slug="elsewhere"))
    builders.make_rsvp(other, name="Outsider")
    login(world["coordinator"])
    response = client.post("/manage/c/syria/export", data=export_form(str(other.id)))
    assert response.status_code == 400
    assert "Outsider" not in response.get_data(as_text=True)


def test_audit_page_owners_only_newest_first(client, login, world):
    login(world["coordinator"])
    client.post("/manage/c/syria/export", data=export_form(preset="names"))
    client.post("/manage/c/syria/export", data=export_form(str(world["event"].id), checked_in="yes",
                                                            consent_only="y"))
    assert client.get("/manage/c/syria/audit").status_code == 404
    login(world["owner"])
    response = client.get("/manage/c/syria/audit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("Homs solidarity meeting") < html.index("Whole campaign")  # newest first
    assert "checked in only" in html and "consented to contact only" in html
    assert "coord@example.org" in html


def test_audit_page_empty_state(client, login, world):
    login(world["owner"])
    assert "Nothing yet." in client.get("/manage/c/syria/audit").get_data(as_text=True)


def test_audit_page_pages_through_older_exports(client, login, world, monkeypatch):
    from organizer.services.privacy import access_log

    monkeypatch.setattr(access_log, "PAGE_SIZE", 2)
    login(world["owner"])
    for preset in ("names", "contact", "all"):
        client.post("/manage/c/syria/export", data=export_form(preset=preset))
    first = client.get("/manage/c/syria/audit").get_data(as_text=True)
    assert "Older entries" in first and "Newer entries" not in first
    second = client.get("/manage/c/syria/audit?page=2").get_data(as_text=True)
    assert "Newer entries" in second and "Older entries" not in second
    assert second.count("<tr") == 2  # header row and the oldest export
    assert client.get("/manage/c/syria/audit?page=99").status_code == 200
    assert client.get("/manage/c/syria/audit?page=-3").status_code == 200


@pytest.mark.parametrize("stored", ["not json", "", "null", "[null]", '{"status": [null]}', '{"status": "going"}', '"going"'])
def test_audit_page_shows_nothing_for_filters_it_cannot_read(client, login, world, stored):
    """Audit rows written by an older version, by hand or half-migrated must not print "None" or crash."""
    record = ExportRecord(campaign_id=world["campaign"].id, user_email="coord@example.org", scope="campaign",
                          file_format="csv", filters=stored, columns="name", row_count=3)
    db.session.add(record)
    db.session.flush()
    db.session.add(AccessEntry(campaign_id=world["campaign"].id, kind="export", actor_label="coord@example.org",
                               export_id=record.id, detail="csv", count=3))
    db.session.commit()
    login(world["owner"])
    response = client.get("/manage/c/syria/audit")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    cells = html.split('<table class="audit-table">', 1)[1]
    assert "None" not in cells and "null" not in cells
