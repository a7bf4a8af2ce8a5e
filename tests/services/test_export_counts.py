"""The audit record's row count always equals the rows written, however it is counted; timestamps
written from the per-export memo equal those written one by one."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime

import pytest

from organizer.extensions import db
from organizer.models import RsvpStatus
from organizer.services import checkins, exports
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
    text = b"".join(exports.csv_chunks(export)).decode("utf-8-sig")
    return len(list(csv.reader(io.StringIO(text, newline="")))) - 1


STATUS_SETS = [["going"], ["going", "waitlisted"], ["going", "waitlisted", "cancelled"], ["cancelled"]]


@pytest.mark.parametrize(("statuses", "checked_in", "consent_only"),
                         list(itertools.product(STATUS_SETS, ["any", "yes", "no"], [False, True])))
def test_campaign_row_count_matches_the_rows(campaign_world, statuses, checked_in, consent_only):
    owner, campaign = campaign_world
    spec = exports.make_spec(campaign, event=None, statuses=statuses, checked_in=checked_in,
                             consent_only=consent_only, columns=["name", "email"], file_format="csv")
    export = exports.start(campaign, owner, spec)
    db.session.commit()
    assert export.record.row_count == written_rows(export)


def test_campaign_people_are_counted_once_each(campaign_world):
    owner, campaign = campaign_world
    spec = exports.make_spec(campaign, event=None, statuses=["going", "waitlisted", "cancelled"],
                             checked_in="any", consent_only=False, columns=["name"], file_format="csv")
    assert exports.count_rows(campaign, spec) == 5  # Amina twice counts once; no-email people apart


@pytest.mark.parametrize("timezone", ["Europe/London", "Asia/Kolkata", "America/St_Johns", "UTC"])
def test_remembered_timestamps_equal_fresh_ones(timezone):
    when = exports._when_in(timezone)  # noqa: SLF001
    moments = [datetime(2030, 3, 31, 0, 59, 59, 999999), datetime(2030, 3, 31, 1, 0, 1),
               datetime(2030, 10, 27, 0, 30, 5), datetime(2030, 10, 27, 1, 30, 59), datetime(2012, 3, 3, 12, 0)]
    for moment in moments * 2:
        assert when(moment) == exports._when(moment, timezone)  # noqa: SLF001
    assert when(None) == ""


def test_campaign_csv_cells_equal_safe_cells_of_the_rows(campaign_world):
    """The CSV writer's own per-column conversion writes exactly what safe_cell makes of each row."""
    owner, campaign = campaign_world
    event = builders.make_event(campaign, starts_at=datetime(2030, 5, 1, 19, 0))
    for name, phone in [("=HYPERLINK(\"http://x\")", "+44 7700 900123"), ("-minus", None), ("@at", "\t1"),
                        ("", "-1"), ("plain", "")]:
        builders.make_rsvp(event, name=name, email=None, phone=phone)
    spec = exports.make_spec(campaign, event=None, statuses=["going", "waitlisted", "cancelled"], checked_in="any",
                             consent_only=False, columns=exports.PRESETS["all"], file_format="csv")
    assert set(spec.columns) == set(exports.CAMPAIGN_COLUMNS)
    export = exports.start(campaign, owner, spec)
    expected = [[exports.safe_cell(value) for value in row] for row in export.rows()]
    fast = [row for batch in exports._campaign_csv_batches(export, 3) for row in batch]  # noqa: SLF001
    assert fast == expected and len(fast) == 10
    assert [type(cell) for cell in fast[0]] == [type(cell) for cell in expected[0]]
    names = [row[0] for row in fast]
    assert "'=HYPERLINK(\"http://x\")" in names and "'-minus" in names and "'@at" in names
    for text in ("@at\x00nul", "plain\x00", "\x00=1", "", None, "=1", "+1", "\r"):  # NUL: PostgreSQL stores none
        assert exports._safe_text(text) == exports.safe_cell(text)  # noqa: SLF001
    # Reordered columns too.
    spec = exports.make_spec(campaign, event=None, statuses=["going"], checked_in="any", consent_only=False,
                             columns=["last_rsvp_at", "events_attended", "consent_contact", "phone"],
                             file_format="csv")
    export = exports.start(campaign, owner, spec)
    assert [row for batch in exports._campaign_csv_batches(export, 500) for row in batch] == [  # noqa: SLF001
        [exports.safe_cell(value) for value in row] for row in export.rows()]
