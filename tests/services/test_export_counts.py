"""The audit record's row count always equals the rows written, however it is counted; timestamps
written from the per-export memo equal those written one by one."""

from __future__ import annotations

import csv
import io
import itertools
import random
from datetime import datetime, timedelta

import pytest

from organizer.extensions import db
from organizer.models import RsvpStatus
from organizer.services.door import checkins
from organizer.services.reports import export_files, export_queries, export_spec, exports
from tests import builders


@pytest.fixture
def campaign_world():
    owner = builders.make_user("counts-owner@example.org")
    campaign = builders.make_campaign(owner=owner)
    first = builders.make_event(campaign, starts_at=datetime(2030, 3, 1, 19, 0))
    second = builders.make_event(campaign, starts_at=datetime(2030, 4, 1, 19, 0))
    amina, _m, _t = builders.make_rsvp(first, name="Amina", email="Amina@Example.org", consent_contact=True)
    builders.make_rsvp(second, name="Amina Y", email="amina@example.org")  # the same person again
    builders.make_rsvp(first, name="Sam", email="sam@example.org", status=RsvpStatus.CANCELLED)
    builders.make_rsvp(second, name="Omar", email="omar@example.org", status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(first, name="No Email One", email=None)
    builders.make_rsvp(second, name="No Email Two", email=None, consent_contact=True)
    checkins.check_in(amina)
    db.session.commit()
    return owner, campaign


def written_rows(export) -> int:
    text = b"".join(export_files.csv_chunks(export)).decode("utf-8-sig")
    return len(list(csv.reader(io.StringIO(text, newline="")))) - 1


STATUS_SETS = [["going"], ["going", "waitlisted"], ["going", "waitlisted", "cancelled"], ["cancelled"]]


@pytest.mark.parametrize(("statuses", "checked_in", "consent_only"),
                         list(itertools.product(STATUS_SETS, ["any", "yes", "no"], [False, True])))
def test_campaign_row_count_matches_the_rows(campaign_world, statuses, checked_in, consent_only):
    owner, campaign = campaign_world
    spec = export_spec.make_spec(campaign, event=None, statuses=statuses, checked_in=checked_in,
                             consent_only=consent_only, columns=["name", "email"], file_format="csv")
    export = exports.start(campaign, owner, spec)
    db.session.commit()
    assert export.record.row_count == written_rows(export)


def test_campaign_people_are_counted_once_each(campaign_world):
    _owner, campaign = campaign_world
    spec = export_spec.make_spec(campaign, event=None, statuses=["going", "waitlisted", "cancelled"],
                             checked_in="any", consent_only=False, columns=["name"], file_format="csv")
    assert export_queries.count_rows(campaign, spec) == 5  # Amina twice counts once; no-email people apart


@pytest.mark.parametrize("timezone", ["Europe/London", "Asia/Kolkata", "America/St_Johns", "UTC"])
def test_remembered_timestamps_equal_fresh_ones(timezone):
    when = export_files._when_in(timezone)
    moments = [datetime(2030, 3, 31, 0, 59, 59, 999999), datetime(2030, 3, 31, 1, 0, 1),
               datetime(2030, 10, 27, 0, 30, 5), datetime(2030, 10, 27, 1, 30, 59), datetime(2012, 3, 3, 12, 0),
               datetime(999, 6, 1, 12, 0), datetime(1000, 6, 1, 12, 0)]  # strftime pads no year below 1000
    for moment in moments * 2:
        assert when(moment) == export_files._when(moment, timezone)
    assert when(None) == ""


def test_campaign_csv_cells_equal_safe_cells_of_the_rows(campaign_world):
    """The CSV writer's own per-column conversion writes exactly what safe_cell makes of each row
    (on PostgreSQL, of rows read from the export's own cursor against rows read in the session)."""
    owner, campaign = campaign_world
    event = builders.make_event(campaign, starts_at=datetime(2030, 5, 1, 19, 0))
    for name, phone in [("=HYPERLINK(\"http://x\")", "+44 7700 900123"), ("-minus", None), ("@at", "\t1"),
                        ("", "-1"), ("plain", ""), ("Zoë \"Z\" Ünal, jr.", "\r1"), ("line\nbreak", "=2")]:
        builders.make_rsvp(event, name=name, email=None, phone=phone)
    spec = export_spec.make_spec(campaign, event=None, statuses=["going", "waitlisted", "cancelled"], checked_in="any",
                             consent_only=False, columns=export_spec.PRESETS["all"], file_format="csv")
    assert set(spec.columns) == set(export_spec.CAMPAIGN_COLUMNS)
    export = exports.start(campaign, owner, spec)
    assert (export.people is not None) == (db.engine.dialect.name == "postgresql")
    expected = [[export_files.safe_cell(value) for value in row] for row in export_files.rows(export)]
    fast = [list(row) for batch in export_files._campaign_csv_batches(export, 3) for row in batch]
    assert fast == expected and len(fast) == 12 == export.record.row_count
    assert [type(cell) for cell in fast[0]] == [type(cell) for cell in expected[0]]
    names = [row[0] for row in fast]
    assert "'=HYPERLINK(\"http://x\")" in names and "'-minus" in names and "'@at" in names
    for text in ("@at\x00nul", "plain\x00", "\x00=1", "", None, "=1", "+1", "\r"):  # NUL: PostgreSQL stores none
        assert export_files._safe_text(text) == export_files.safe_cell(text)
    for start in export_files.FORMULA_STARTS:
        assert export_files._safe_text(start + "1") == export_files.safe_cell(start + "1") != start + "1"
    # Reordered columns too.
    spec = export_spec.make_spec(campaign, event=None, statuses=["going"], checked_in="any", consent_only=False,
                             columns=["last_rsvp_at", "events_attended", "consent_contact", "phone"],
                             file_format="csv")
    export = exports.start(campaign, owner, spec)
    assert [list(row) for batch in export_files._campaign_csv_batches(export, 500) for row in batch] == [
        [export_files.safe_cell(value) for value in row] for row in export_files.rows(export)]


ZONES_WITH_AWKWARD_CHANGES = [
    "Europe/London",  # BST/GMT, changes on the hour in UTC
    "America/St_Johns",  # -03:30/-02:30: changes at half past a UTC hour
    "Australia/Lord_Howe",  # a 30-minute summer shift
    "Asia/Kathmandu",  # +05:45
    "America/Sao_Paulo",  # named by offset: "UTC-03"
    "Africa/Monrovia",  # -00:44:30 until 1972: an offset with seconds
    "Pacific/Apia",  # skipped 30 December 2011
    "UTC",
]


def _moments(timezone: str, years: tuple[int, ...]) -> list[datetime]:
    """An odd minute and second of every hour of these years, and every minute of each hour in which
    the zone changes its offset or its name."""
    moments = []
    for year in years:
        start = datetime(year, 1, 1)
        for hour in range(366 * 24):
            at = start + timedelta(hours=hour)
            moments.append(at + timedelta(minutes=hour * 37 % 60, seconds=hour % 60, microseconds=hour % 7))
            first, last = export_files._when(at, timezone), export_files._when(at + timedelta(minutes=59), timezone)
            if first.rsplit(" ", 1)[1] != last.rsplit(" ", 1)[1] or export_files._when(
                    at + timedelta(minutes=30), timezone)[11:13] not in (first[11:13], last[11:13]):
                moments += [at + timedelta(minutes=minute, seconds=59, microseconds=999_999) for minute in range(60)]
    return moments


@pytest.mark.parametrize("timezone", ZONES_WITH_AWKWARD_CHANGES)
def test_timestamps_written_per_hour_equal_fresh_ones_around_every_change(timezone):
    years = (2011,) if timezone == "Pacific/Apia" else (1971, 2030)
    moments = _moments(timezone, years)
    assert len(moments) > len(years) * 365 * 24
    random.Random(timezone).shuffle(moments)  # hours come back in any order, as names sort them
    moments += moments[:50]  # and the same moment twice in a row
    when = export_files._when_in(timezone)
    written = [when(moment) for moment in moments]
    assert written == [export_files._when(moment.replace(second=0, microsecond=0), timezone)
                       for moment in moments]
    if timezone == "America/Sao_Paulo":
        assert any(text.endswith(" UTC-03") for text in written)
    if timezone == "Africa/Monrovia":
        assert any(text.endswith(" MMT") for text in written)  # the old offset with seconds was met


# --- PostgreSQL: the rows are counted on their own cursor ------------------------------------------


@pytest.mark.postgres_only
def test_postgresql_campaign_csv_counts_the_rows_it_streams_and_lets_go(campaign_world):
    owner, campaign = campaign_world
    pool = db.engine.pool
    spec = export_spec.make_spec(campaign, event=None, statuses=["going", "waitlisted", "cancelled"],
                             checked_in="any", consent_only=False, columns=export_spec.PRESETS["all"],
                             file_format="csv")
    db.session.commit()
    idle = pool.checkedout()

    export = exports.start(campaign, owner, spec)
    assert export.people is not None and export.record.row_count == 5
    db.session.commit()  # the audit record saved: the rows' cursor, in a transaction of its own, stays open
    assert pool.checkedout() == idle + 1
    # Someone RSVPs while the file downloads: the rows are those that were counted.
    builders.make_rsvp(builders.make_event(campaign), name="Late Comer", email="late@example.org")
    text = b"".join(export_files.csv_chunks(export)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) - 1 == export.record.row_count == 5 and "Late Comer" not in text
    db.session.commit()  # (the session reloaded the campaign's zone: its connection goes back too)
    assert pool.checkedout() == idle  # read to the end: the rows' connection went back

    unread = exports.start(campaign, owner, spec)
    assert unread.record.row_count == 6
    db.session.commit()
    assert pool.checkedout() == idle + 1
    unread.close()
    unread.close()
    assert pool.checkedout() == idle
