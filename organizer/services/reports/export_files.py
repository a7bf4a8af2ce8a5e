"""The rows of an export, and the CSV they are streamed as, with every cell safe from formula injection
(the XLSX is written from the same rows by export_xlsx.py)."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import chain
from typing import IO, Any, Final

from sqlalchemy import select

from organizer.extensions import db
from organizer.formatting import zone_abbreviation
from organizer.models import (
    Answer,
    CheckInAction,
    Rsvp,
    RsvpSource,
    RsvpStatus,
)
from organizer.services.reports.export_queries import campaign_export_query, event_query
from organizer.services.reports.exports import PreparedExport
from organizer.timeutil import to_local

BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
_FORMULA_FIRST_CHARACTERS = frozenset(FORMULA_STARTS)  # each start is one character (tested)


def safe_cell(value: Any) -> Any:
    """Neutralize text a spreadsheet would run as a formula; numbers and empty cells pass through."""
    if type(value) is str:  # the common case first: one check per cell of a 100,000-row export
        if value.startswith(FORMULA_STARTS):
            value = "'" + value
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    # NUL is never legitimate text and breaks some readers: keep it visible but harmless.
    return text.replace("\x00", "\ufffd")


def _when(value: datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    local = to_local(value, timezone)
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"


_MINUTES = [timedelta(minutes=minute) for minute in range(60)]
_REST_OF_HOUR = timedelta(hours=1) - timedelta(microseconds=1)
_MAX_HOURS = 100_000  # about eleven years of hours remembered per export: beyond that, start again


class _Unseen(enum.Enum):  # a sentinel the type checker can tell apart from the values
    TOKEN = 0


_UNSEEN: Final = _Unseen.TOKEN


def _when_in(timezone: str):
    """``_when`` for one zone, for a whole export's timestamps.

    Written texts are remembered per UTC hour, as 60 slots, one per minute. Within an hour in which
    the zone keeps one offset and one name, a minute's text is the hour's start shifted by that
    offset: no zone lookup and no strftime per value, and the hour is found from ``toordinal`` and
    ``hour`` (``datetime.replace`` alone costs a microsecond). An hour in which the zone changes
    (seen by comparing its first and last microsecond: tzdata never changes a zone twice within an
    hour) takes ``_when`` itself, value by value. An offset with seconds (old local mean times)
    needs no care: the minute's start is shifted, never the value itself. Converting and formatting
    each timestamp had been a third of a 100,000-row export's time, and remembering whole minutes
    still half of what was left (bench/README.md)."""
    hours: dict[int, tuple[datetime, str, list[str | None]] | None] = {}
    last_value: datetime | None = None  # first and latest RSVP are one moment for most people
    last_text = ""

    def hour_of(value: datetime) -> tuple[datetime, str, list[str | None]] | None:
        start = value.replace(minute=0, second=0, microsecond=0)
        first, final = to_local(start, timezone), to_local(start + _REST_OF_HOUR, timezone)
        offset = first.utcoffset()
        if offset is None or offset != final.utcoffset() or first.tzname() != final.tzname() or first.year < 1000:
            return None  # (strftime does not pad years below 1000; isoformat does)
        return start + offset, " " + zone_abbreviation(first), [None] * 60

    def when(value: datetime | None) -> str:
        nonlocal last_value, last_text
        if value is None:
            return ""
        if value == last_value:
            return last_text
        key = value.toordinal() * 24 + value.hour
        hour = hours.get(key, _UNSEEN)
        if hour is _UNSEEN:
            if len(hours) >= _MAX_HOURS:
                hours.clear()
            hour = hours[key] = hour_of(value)
        if hour is None:
            text = _when(value.replace(second=0, microsecond=0), timezone)
        else:
            local_start, zone_name, minutes = hour
            minute = value.minute
            known = minutes[minute]
            if known is None:
                # isoformat to the minute is strftime's "%Y-%m-%d %H:%M" for years 1000-9999.
                text = minutes[minute] = (local_start + _MINUTES[minute]).isoformat(" ", "minutes") + zone_name
            else:
                text = known
        last_value, last_text = value, text
        return text

    return when


def local_datetimes(timezone: str):
    """For XLSX: a timestamp as the zone's wall-clock time, naive (a spreadsheet date has no zone:
    the column's header names it)."""

    def when(value: datetime | None) -> datetime | None:
        return None if value is None else to_local(value, timezone).replace(tzinfo=None)

    return when


DATE_COLUMNS = frozenset({"rsvp_at", "checked_in_at", "first_rsvp_at", "last_rsvp_at"})


def export_timezone(export: PreparedExport) -> str:
    """The zone every time in the export is given in: the event's own, or the campaign's."""
    return export.spec.event.timezone if export.spec.event is not None else export.campaign.default_timezone


def column_keys(export: PreparedExport) -> list[str]:
    """The export's column names as written, one per output column ("answers" repeated per question)."""
    keys: list[str] = []
    for column in export.spec.columns:
        keys += ["answers"] * len(export.questions) if column == "answers" else [column]
    return keys


def _event_getters(export: PreparedExport, timezone: str, make_when=None) -> list:
    """One function per output column (answers expand to one per question), so each row only
    computes what was asked for."""

    when = (make_when or _when_in)(timezone)

    def checked(row) -> bool:
        return row.action == CheckInAction.CHECK_IN

    simple = {
        "name": lambda row, answers: row.name,
        "email": lambda row, answers: row.email,
        "phone": lambda row, answers: row.phone,
        "guests": lambda row, answers: row.guests,
        "status": lambda row, answers: RsvpStatus(row.status).value,
        "source": lambda row, answers: RsvpSource(row.source).value,
        "consent_contact": lambda row, answers: bool(row.consent_contact),
        "rsvp_at": lambda row, answers: when(row.created_at),
        "checked_in": lambda row, answers: checked(row),
        "checked_in_at": lambda row, answers: when(row.checked_at) if checked(row) else None,
    }
    getters = []
    for column in export.spec.columns:
        if column == "answers":
            getters += [
                (lambda question_id: lambda row, answers: answers.get((row.id, question_id), ""))(question.id)
                for question in export.questions
            ]
        else:
            getters.append(simple[column])
    return getters


def _event_rows(export: PreparedExport, make_when=None) -> Iterator[list[Any]]:
    spec = export.spec
    assert spec.event is not None  # an export of scope "event" always has its event
    getters = _event_getters(export, spec.event.timezone, make_when)
    stmt = event_query(spec).order_by(Rsvp.name, Rsvp.id)
    result = db.session.execute(stmt, execution_options={"yield_per": BATCH})
    try:
        for batch in result.partitions():
            answers: dict[tuple[int, int], str] = {}
            if export.questions:
                ids = [row.id for row in batch]
                answers = {
                    (rsvp_id, question_id): value
                    for rsvp_id, question_id, value in db.session.execute(
                        select(Answer.rsvp_id, Answer.question_id, Answer.value).where(Answer.rsvp_id.in_(ids))
                    )
                }
            for row in batch:
                yield [getter(row, answers) for getter in getters]
    finally:
        result.close()


def _campaign_rows(export: PreparedExport, make_when=None) -> Iterator[list[Any]]:
    spec = export.spec
    when = (make_when or _when_in)(export.campaign.default_timezone)
    simple = {
        "name": lambda row: row.name,
        "email": lambda row: row.email,
        "phone": lambda row: row.phone,
        "consent_contact": lambda row: bool(row.consent_contact),
        "events_rsvped": lambda row: int(row.events_rsvped or 0),
        "events_attended": lambda row: int(row.events_attended or 0),
        "first_rsvp_at": lambda row: when(row.first_rsvp_at),
        "last_rsvp_at": lambda row: when(row.last_rsvp_at),
    }
    getters = [simple[column] for column in spec.columns]
    stmt = campaign_export_query(export.campaign, spec)
    # Plain Core rows (no ORM entities in this query): the ORM result layer doubled the fetch cost.
    result = db.session.connection().execute(stmt.execution_options(yield_per=BATCH))
    try:
        for row in result:
            yield [getter(row) for getter in getters]
    finally:
        result.close()


def rows(export: PreparedExport, make_when=None) -> Iterator[list[Any]]:
    """The export's rows, as plain values (``safe_cell`` makes them safe to write). Times are text
    with their zone ("2030-03-01 19:00 GMT"), or what ``make_when(timezone)`` makes of them
    (``local_datetimes``: real dates for a spreadsheet)."""
    if export.spec.scope == "event":
        return _event_rows(export, make_when)
    return _campaign_rows(export, make_when)


def _safe_text(value: str | None) -> str:
    """``safe_cell`` for a text column (a string or NULL), without its type checks."""
    if not value:
        return ""
    if value[0] in _FORMULA_FIRST_CHARACTERS:  # a fifth of ``startswith`` with a tuple, per cell
        value = "'" + value
    # NUL is never legitimate text and breaks some readers: keep it visible but harmless.
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _yes_no(value) -> str:
    return "yes" if value else "no"


def _campaign_csv_batches(export: PreparedExport, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """The campaign rows as CSV cells, ``size`` rows at a time: exactly ``[safe_cell(v) for v in row]``
    of ``_campaign_rows`` (tested equal), made column by column.

    Each batch is turned into columns (``zip``, in C) and only the columns that need it are converted,
    by the one function their type needs: no per-row Python at all, and the counts, integers from
    both databases, go through untouched. Timestamps are converted row by row across their columns
    (first, latest, first, latest...) so that ``_when_in`` sees the latest RSVP right after the
    first, the same moment for most people. A loop over each row's cells had cost more than
    PostgreSQL's whole query (bench/README.md)."""
    spec = export.spec
    when = _when_in(export.campaign.default_timezone)
    text_columns = {"name", "email", "phone"}  # "_safe_text": the formula and NUL rule
    date_columns = {"first_rsvp_at", "last_rsvp_at"}  # "2030-03-31 01:00 BST": never a formula
    if export.people is not None:
        keys, batches, done = export.people.keys, export.people.batches(size), export.people.close
    else:
        # Plain Core rows (no ORM entities in this query): the ORM result layer doubled the fetch cost.
        result = db.session.connection().execute(
            campaign_export_query(export.campaign, spec).execution_options(yield_per=size))
        keys, batches, done = list(result.keys()), result.partitions(), result.close
    try:
        wanted = [keys.index(column) for column in spec.columns]
        dated = [place for place, column in enumerate(spec.columns) if column in date_columns]
        for batch in batches:
            every = list(zip(*batch, strict=True))
            columns: list[Any] = []
            for column, index in zip(spec.columns, wanted, strict=True):
                if column in text_columns:
                    columns.append(list(map(_safe_text, every[index])))
                elif column == "consent_contact":
                    columns.append(list(map(_yes_no, every[index])))
                else:
                    columns.append(every[index])
            if dated:
                texts = list(map(when, chain.from_iterable(zip(*(columns[place] for place in dated), strict=True))))
                for offset, place in enumerate(dated):
                    columns[place] = texts[offset::len(dated)]
            yield list(zip(*columns, strict=True))
    finally:
        done()


def _safe_batches(export: PreparedExport, size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows(export):
        batch.append([safe_cell(value) for value in row])
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_chunks(export: PreparedExport, rows_per_chunk: int = BATCH) -> Iterator[bytes]:
    """RFC 4180 CSV (minimal quoting, CRLF), UTF-8 with a byte-order mark so spreadsheets read
    non-Latin names correctly; yielded a thousand rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(value) for value in export.header])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    batches = (_campaign_csv_batches(export, rows_per_chunk) if export.spec.scope == "campaign"
               else _safe_batches(export, rows_per_chunk))
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")


def file_chunks(handle: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()
