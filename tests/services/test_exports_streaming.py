"""Big exports never sit in memory: the CSV is streamed and the XLSX written to disk as it goes.

Measured the way that can fail: the peak memory of exporting 100,000 rows must be about the same as
exporting 5,000 (a list that was loaded whole would take twenty times as much). The campaign list and
the spreadsheet, slower to make, are compared at 5,000 and 25,000 rows.
"""

from __future__ import annotations

import tracemalloc

import pytest
from sqlalchemy import insert

from organizer.extensions import db
from organizer.models import Rsvp
from organizer.services.reports import export_files, export_spec, export_xlsx, exports
from tests import builders

SMALL = 5_000
MIDDLE = 25_000
BIG = 100_000


def _add_people(event, count: int, prefix: str) -> None:
    table = Rsvp.__table__
    rows = [
        {"event_id": event.id, "name": f"{prefix} supporter {index:06d}", "email": f"{prefix}{index}@example.org",
         "email_normalized": f"{prefix}{index}@example.org", "guests": index % 3, "status": "going",
         "source": "online", "consent_contact": False, "manage_token_hash": f"{prefix}m{index:060d}",
         "ticket_token_hash": f"{prefix}t{index:060d}"}
        for index in range(count)
    ]
    for start in range(0, count, 20_000):
        db.session.execute(insert(table), rows[start:start + 20_000])
    db.session.commit()


@pytest.fixture
def sizes():
    owner = builders.make_user()
    made = {}
    for label, count in (("s", SMALL), ("m", MIDDLE), ("b", BIG)):
        campaign = builders.make_campaign(owner=owner)
        event = builders.make_event(campaign)
        _add_people(event, count, label)
        made[label] = (campaign, event)
    return owner, made


def _peak(consume) -> tuple[int, object]:
    tracemalloc.start()
    try:
        result = consume()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def _csv(owner, campaign, event, columns):
    spec = export_spec.make_spec(campaign, event=event, statuses=["going"], checked_in="any", consent_only=False,
                             columns=columns, file_format="csv")
    export = exports.start(campaign, owner, spec)
    db.session.commit()

    def consume():
        lines = size = 0
        for chunk in export_files.csv_chunks(export):
            lines += chunk.count(b"\r\n")
            size += len(chunk)
        return export.record.row_count, lines, size

    return _peak(consume)


def test_exports_use_memory_that_does_not_grow_with_rows(sizes):
    owner, made = sizes
    (small_campaign, small_event), (middle_campaign, middle_event), (big_campaign, big_event) = (
        made["s"], made["m"], made["b"])

    # One event's attendee list.
    columns = ["name", "email", "guests", "checked_in"]
    small_peak, (small_count, small_lines, _size) = _csv(owner, small_campaign, small_event, columns)
    big_peak, (big_count, big_lines, big_size) = _csv(owner, big_campaign, big_event, columns)
    assert (small_count, small_lines) == (SMALL, SMALL + 1)
    assert (big_count, big_lines) == (BIG, BIG + 1)
    assert big_size > 4_000_000
    assert big_peak < small_peak * 1.5 + 1_000_000, (small_peak, big_peak)

    # The campaign's deduplicated supporter list (window functions, streamed the same way).
    columns = ["name", "email", "events_rsvped", "events_attended"]
    small_peak, (small_count, _lines, _size) = _csv(owner, small_campaign, None, columns)
    middle_peak, (middle_count, middle_lines, _size) = _csv(owner, middle_campaign, None, columns)
    assert (small_count, middle_count, middle_lines) == (SMALL, MIDDLE, MIDDLE + 1)
    assert middle_peak < small_peak * 1.5 + 1_000_000, (small_peak, middle_peak)

    # The spreadsheet: rows go to a temporary file as they come (XlsxWriter's constant_memory).
    def workbook(campaign, event):
        spec = export_spec.make_spec(campaign, event=event, statuses=["going"], checked_in="any", consent_only=False,
                                 columns=["name", "guests"], file_format="xlsx")
        export = exports.start(campaign, owner, spec)

        def write():
            with export_xlsx.write_xlsx(export) as handle:
                handle.seek(0, 2)
                return handle.tell()

        return _peak(write)

    small_peak, _small_size = workbook(small_campaign, small_event)
    middle_peak, middle_size = workbook(middle_campaign, middle_event)
    assert middle_size > 250_000
    assert middle_peak < small_peak * 1.5 + 1_000_000, (small_peak, middle_peak)
