"""Attendee and supporter exports (CSV and XLSX), streamed, safe to open in a spreadsheet, and audited.

* One event: its RSVPs with their check-in state (and answers, if asked for).
* The whole campaign: one row per person, people matched by normalized email (someone who gave no
  email is a row of their own), with how many events they RSVPed to and how many they attended.
  Name, email, phone and consent come from the person's most recent RSVP.

Rows are read with ``yield_per`` (a server-side cursor on PostgreSQL) and written as they come, so a
100,000-row export never sits in memory. Every cell that a spreadsheet would read as a formula
(beginning with = + - @, tab, carriage return or NUL) is prefixed with an apostrophe. Before the
first byte is streamed, an ExportRecord (who, when, scope, filters, columns and the row count, by a
COUNT with the same filters) is written in the caller's transaction. On PostgreSQL the campaign CSV
counts its rows on the very cursor it then streams them from (``HeldPeople``), in a transaction of
its own that outlives the caller's commit.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import IO, Any, NamedTuple

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ClauseElement, Executable, String, cast, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import selectinload

from organizer.extensions import db
from organizer.models import (
    Answer,
    Campaign,
    CheckInAction,
    Event,
    ExportRecord,
    Rsvp,
    RsvpSource,
    RsvpStatus,
    User,
)
from organizer.services import checkins
from organizer.services.errors import ValidationFailed
from organizer.templating import zone_abbreviation
from organizer.timeutil import to_local

BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
_FORMULA_FIRST_CHARACTERS = frozenset(FORMULA_STARTS)  # each start is one character (tested)

EVENT_COLUMNS: dict[str, Any] = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "guests": _l("Guests"),
    "status": _l("Status"),
    "source": _l("Source"),
    "consent_contact": _l("Consent to contact"),
    "rsvp_at": _l("RSVP time"),
    "checked_in": _l("Checked in"),
    "checked_in_at": _l("Checked in at"),
    "answers": _l("Answers"),  # one column per question
}
CAMPAIGN_COLUMNS: dict[str, Any] = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "consent_contact": _l("Consent to contact"),
    "events_rsvped": _l("Events RSVPed to"),
    "events_attended": _l("Events attended"),
    "first_rsvp_at": _l("First RSVP"),
    "last_rsvp_at": _l("Latest RSVP"),
}
PRESETS: dict[str, list[str]] = {
    "names": ["name"],
    "contact": ["name", "email", "phone", "consent_contact"],
    "all": list(EVENT_COLUMNS) + [column for column in CAMPAIGN_COLUMNS if column not in EVENT_COLUMNS],
}
CHECKED_IN_CHOICES = ("any", "yes", "no")
FORMATS = ("csv", "xlsx")


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


@dataclass(frozen=True)
class ExportSpec:
    scope: str  # "event" or "campaign"
    event: Event | None = None
    statuses: tuple[RsvpStatus, ...] = (RsvpStatus.GOING,)
    checked_in: str = "any"  # any / yes / no
    consent_only: bool = False
    columns: tuple[str, ...] = ("name",)
    file_format: str = "csv"

    def filters(self) -> dict:
        return {
            "status": sorted(status.value for status in self.statuses),
            "checked_in": self.checked_in,
            "consent_to_contact": "yes" if self.consent_only else "any",
        }


class QuestionColumn(NamedTuple):
    """A question's id and label copied out of the ORM: the CSV is streamed after the request's
    session is gone, and an expired Question instance could not be read there."""

    id: int
    label: str


@dataclass
class PreparedExport:
    campaign: Campaign
    spec: ExportSpec
    record: ExportRecord
    questions: list[QuestionColumn] = field(default_factory=list)
    people: HeldPeople | None = None  # the campaign CSV's rows, already counted (PostgreSQL)

    def close(self) -> None:
        """Let go of the rows' own connection, if any; written or not (safe to call twice)."""
        if self.people is not None:
            self.people.close()

    @property
    def header(self) -> list[str]:
        names = EVENT_COLUMNS if self.spec.scope == "event" else CAMPAIGN_COLUMNS
        header = []
        for column in self.spec.columns:
            if column == "answers":
                header += [question.label for question in self.questions]
            else:
                header.append(names[column])
        return header

    @property
    def filename(self) -> str:
        stamp = self.record.created_at.strftime("%Y-%m-%d")
        what = self.spec.event.slug if self.spec.event is not None else f"{self.campaign.slug}-supporters"
        what = re.sub(r"[^A-Za-z0-9_-]+", "-", what).strip("-") or "export"
        return f"{what}-{stamp}.{self.spec.file_format}"

    def rows(self) -> Iterator[list[Any]]:
        if self.spec.scope == "event":
            return _event_rows(self)
        return _campaign_rows(self)


# --- validation ---------------------------------------------------------------------------------


def make_spec(campaign: Campaign, *, event: Event | None, statuses, checked_in: str, consent_only: bool,
              columns, file_format: str) -> ExportSpec:
    if event is not None and event.campaign_id != campaign.id:
        raise ValidationFailed(_("Choose an event of this campaign."), field="target")
    scope = "event" if event is not None else "campaign"
    try:
        status_set = tuple(sorted({RsvpStatus(value) for value in statuses}, key=list(RsvpStatus).index))
    except ValueError as error:
        raise ValidationFailed(_("Choose which people to include."), field="statuses") from error
    if not status_set:
        raise ValidationFailed(_("Choose at least one: going, waitlisted or cancelled."), field="statuses")
    if checked_in not in CHECKED_IN_CHOICES:
        raise ValidationFailed(_("Choose whether to include people checked in."), field="checked_in")
    if file_format not in FORMATS:
        raise ValidationFailed(_("Choose CSV or spreadsheet."), field="file_format")
    allowed = EVENT_COLUMNS if scope == "event" else CAMPAIGN_COLUMNS
    chosen = [column for column in columns if column in allowed]
    chosen = list(dict.fromkeys(chosen))  # keep order, drop repeats
    if not chosen:
        raise ValidationFailed(_("Choose at least one column that this export has."), field="columns")
    return ExportSpec(scope, event, status_set, checked_in, bool(consent_only), tuple(chosen), file_format)


# --- queries ------------------------------------------------------------------------------------


def _event_query(spec: ExportSpec):
    event = spec.event
    current = checkins.current_entries([event.id])
    stmt = (
        select(
            Rsvp.id, Rsvp.name, Rsvp.email, Rsvp.phone, Rsvp.guests, Rsvp.status, Rsvp.source,
            Rsvp.consent_contact, Rsvp.created_at, current.c.action, current.c.created_at.label("checked_at"),
        )
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id == event.id, Rsvp.status.in_(spec.statuses))
    )
    if spec.checked_in == "yes":
        stmt = stmt.where(current.c.action == CheckInAction.CHECK_IN)
    elif spec.checked_in == "no":
        stmt = stmt.where(or_(current.c.action.is_(None), current.c.action != CheckInAction.CHECK_IN))
    if spec.consent_only:
        stmt = stmt.where(Rsvp.consent_contact.is_(True))
    return stmt


def _person_key():
    """One person per normalized email; someone who gave no email is a person of their own."""
    return func.coalesce(Rsvp.email_normalized, literal("#") + cast(Rsvp.id, String))


def _campaign_query(campaign: Campaign, spec: ExportSpec):
    event_ids = select(Event.id).where(Event.campaign_id == campaign.id).scalar_subquery()
    current = checkins.current_entries(event_ids)
    person = _person_key()
    attended = func.sum(checkins.checked_in_expression(current)).over(partition_by=person)
    inner = (
        select(
            Rsvp.name, Rsvp.email, Rsvp.phone, Rsvp.consent_contact,
            person.label("person"),
            func.row_number().over(partition_by=person, order_by=(Rsvp.created_at.desc(), Rsvp.id.desc()))
            .label("position"),
            func.count().over(partition_by=person).label("events_rsvped"),
            attended.label("events_attended"),
            func.min(Rsvp.created_at).over(partition_by=person).label("first_rsvp_at"),
            func.max(Rsvp.created_at).over(partition_by=person).label("last_rsvp_at"),
        )
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id.in_(event_ids), Rsvp.status.in_(spec.statuses))
        .subquery("people")
    )
    stmt = select(inner).where(inner.c.position == 1)
    if spec.checked_in == "yes":
        stmt = stmt.where(inner.c.events_attended > 0)
    elif spec.checked_in == "no":
        stmt = stmt.where(inner.c.events_attended == 0)
    if spec.consent_only:
        stmt = stmt.where(inner.c.consent_contact.is_(True))
    return stmt, inner


def count_rows(campaign: Campaign, spec: ExportSpec) -> int:
    """How many rows the export will hold: a COUNT over the very query the rows come from.

    A whole-campaign export without attendance or consent filters has one row per person, so it
    counts the people directly: running the window functions twice (once to count) had made it
    take twice as long as needed (bench/README.md). The people are counted as groups rather than
    with ``COUNT(DISTINCT ...)``, which PostgreSQL always sorts: grouping hashes them, in 60% of
    the time at 100,000 people."""
    if spec.scope == "campaign" and spec.checked_in == "any" and not spec.consent_only:
        event_ids = select(Event.id).where(Event.campaign_id == campaign.id).scalar_subquery()
        person = _person_key()
        people = (
            select(person.label("person"))
            .where(Rsvp.event_id.in_(event_ids), Rsvp.status.in_(spec.statuses))
            .group_by(person)
            .subquery()
        )
        return int(db.session.scalar(select(func.count()).select_from(people)) or 0)
    stmt = _event_query(spec) if spec.scope == "event" else _campaign_query(campaign, spec)[0]
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def _campaign_export_query(campaign: Campaign, spec: ExportSpec):
    stmt, inner = _campaign_query(campaign, spec)
    return stmt.order_by(inner.c.name, inner.c.person)


class _DeclareCursor(Executable, ClauseElement):
    """``DECLARE <name> SCROLL CURSOR FOR <select>``: the select's parameters bound as in any query."""

    inherit_cache = False

    def __init__(self, name: str, query) -> None:
        self.name = name
        self.query = query


@compiles(_DeclareCursor, "postgresql")
def _compile_declare_cursor(element: _DeclareCursor, compiler, **kw) -> str:
    return f"DECLARE {element.name} SCROLL CURSOR FOR {compiler.process(element.query, **kw)}"


class HeldPeople:
    """The campaign export's rows behind a scrollable cursor on a connection of their own (PostgreSQL).

    PostgreSQL runs the window functions and sorts every row before it returns the first one, so
    moving to the end and back counts the rows for the audit record almost for free: the COUNT it
    replaces was a second pass over 100,000 RSVPs, a fifth of the export's time (bench/README.md).
    The count is then the count of the very rows streamed, from one snapshot. The cursor lives in
    its own transaction so that the caller can commit the audit record before the first byte
    without closing it; ``close`` (run when the stream ends, when the response is closed, and at
    the latest when this object is garbage) ends it.
    """

    NAME = "organizer_campaign_export"

    def __init__(self, query) -> None:
        self.keys = list(query.selected_columns.keys())
        self.connection: Connection | None = db.engine.connect()
        # A response nobody read or closed (a test client's, say) must not keep a connection out of
        # the pool, nor a transaction open, for longer than the response lives.
        self._release = weakref.finalize(self, self.connection.close)
        try:
            self.connection.execute(_DeclareCursor(self.NAME, query))
            self.count = self.connection.exec_driver_sql(f"MOVE FORWARD ALL IN {self.NAME}").rowcount
            self.connection.exec_driver_sql(f"MOVE ABSOLUTE 0 IN {self.NAME}")
        except BaseException:
            self.close()
            raise

    def batches(self, size: int) -> Iterator[Sequence[Any]]:
        if self.connection is None:
            return
        # The driver's own cursor and plain tuples: SQLAlchemy's result rows, which have nothing to
        # convert here (text, booleans, integers and timestamps come as they are), were a quarter
        # of the fetching time.
        cursor = self.connection.connection.cursor()
        try:
            while True:
                cursor.execute(f"FETCH {int(size)} FROM {self.NAME}")
                rows = cursor.fetchall()
                if not rows:
                    return
                yield rows
        finally:
            cursor.close()

    def close(self) -> None:
        self.connection = None
        self._release()  # closing the connection rolls back, which closes the cursor; once only


def _holds_people(spec: ExportSpec) -> bool:
    return (spec.scope == "campaign" and spec.file_format == "csv"
            and db.session.get_bind().dialect.name == "postgresql")


# --- the audit record, then the rows --------------------------------------------------------------


def start(campaign: Campaign, user: User, spec: ExportSpec) -> PreparedExport:
    """Count the rows and write the ExportRecord (the caller commits before streaming, and closes
    the PreparedExport when the response is done with it)."""
    people = HeldPeople(_campaign_export_query(campaign, spec)) if _holds_people(spec) else None
    record = ExportRecord(
        campaign_id=campaign.id,
        event_id=spec.event.id if spec.event is not None else None,
        user_id=user.id,
        user_email=user.email,
        scope=spec.scope,
        file_format=spec.file_format,
        filters=json.dumps(spec.filters(), sort_keys=True),
        columns=",".join(spec.columns),
        row_count=people.count if people is not None else count_rows(campaign, spec),
    )
    try:
        db.session.add(record)
        db.session.flush()
        questions = ([QuestionColumn(question.id, question.label) for question in spec.event.questions]
                     if spec.event is not None and "answers" in spec.columns else [])
    except BaseException:
        if people is not None:
            people.close()
        raise
    return PreparedExport(campaign, spec, record, questions, people)


def _when(value: datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    local = to_local(value, timezone)
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"


_MINUTES = [timedelta(minutes=minute) for minute in range(60)]
_REST_OF_HOUR = timedelta(hours=1) - timedelta(microseconds=1)
_MAX_HOURS = 100_000  # about eleven years of hours remembered per export: beyond that, start again
_UNSEEN = object()


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
        if offset != final.utcoffset() or first.tzname() != final.tzname() or first.year < 1000:
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
            text = minutes[minute]
            if text is None:
                # isoformat to the minute is strftime's "%Y-%m-%d %H:%M" for years 1000-9999.
                text = minutes[minute] = (local_start + _MINUTES[minute]).isoformat(" ", "minutes") + zone_name
        last_value, last_text = value, text
        return text

    return when


def _event_getters(export: PreparedExport, timezone: str) -> list:
    """One function per output column (answers expand to one per question), so each row only
    computes what was asked for."""

    when = _when_in(timezone)

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
        "checked_in_at": lambda row, answers: when(row.checked_at) if checked(row) else "",
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


def _event_rows(export: PreparedExport) -> Iterator[list[Any]]:
    spec = export.spec
    getters = _event_getters(export, spec.event.timezone)
    stmt = _event_query(spec).order_by(Rsvp.name, Rsvp.id)
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


def _campaign_rows(export: PreparedExport) -> Iterator[list[Any]]:
    spec = export.spec
    when = _when_in(export.campaign.default_timezone)
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
    stmt = _campaign_export_query(export.campaign, spec)
    # Plain Core rows (no ORM entities in this query): the ORM result layer doubled the fetch cost.
    result = db.session.connection().execute(stmt.execution_options(yield_per=BATCH))
    try:
        for row in result:
            yield [getter(row) for getter in getters]
    finally:
        result.close()


# --- writers ------------------------------------------------------------------------------------


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
            _campaign_export_query(export.campaign, spec).execution_options(yield_per=size))
        keys, batches, done = list(result.keys()), result.partitions(), result.close
    try:
        wanted = [keys.index(column) for column in spec.columns]
        dated = [place for place, column in enumerate(spec.columns) if column in date_columns]
        for batch in batches:
            every = list(zip(*batch))
            columns: list[Any] = []
            for column, index in zip(spec.columns, wanted):
                if column in text_columns:
                    columns.append(list(map(_safe_text, every[index])))
                elif column == "consent_contact":
                    columns.append(list(map(_yes_no, every[index])))
                else:
                    columns.append(every[index])
            if dated:
                texts = list(map(when, chain.from_iterable(zip(*(columns[place] for place in dated)))))
                for offset, place in enumerate(dated):
                    columns[place] = texts[offset::len(dated)]
            yield list(zip(*columns))
    finally:
        done()


def _safe_batches(export: PreparedExport, size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in export.rows():
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


def write_xlsx(export: PreparedExport) -> IO[bytes]:
    """Write the workbook to a temporary file (constant memory: rows go to disk as they come) and
    return it rewound. Text is always written as text, never as a formula, number or link."""
    handle = tempfile.TemporaryFile(prefix="organizer-export-", suffix=".xlsx")
    workbook = xlsxwriter.Workbook(handle, {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "tmpdir": tempfile.gettempdir(),
    })
    try:
        sheet = workbook.add_worksheet(_("Export"))  # the tab name people see
        bold = workbook.add_format({"bold": True})
        header = export.header
        for index, title in enumerate(header):
            sheet.set_column(index, index, max(12, min(40, len(title) + 4)))
        for index, title in enumerate(header):
            sheet.write_string(0, index, safe_cell(title), bold)
        sheet.freeze_panes(1, 0)
        for row_index, row in enumerate(export.rows(), start=1):
            for column_index, value in enumerate(row):
                cell = safe_cell(value)
                if isinstance(cell, int | float):
                    sheet.write_number(row_index, column_index, cell)
                elif cell != "":
                    sheet.write_string(row_index, column_index, cell)
    finally:
        workbook.close()
    handle.seek(0)
    return handle


def file_chunks(handle: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()


# --- the audit page -----------------------------------------------------------------------------


AUDIT_PAGE = 100


def records(campaign: Campaign, page: int = 1, per_page: int = AUDIT_PAGE) -> tuple[list[ExportRecord], bool]:
    """One page of the campaign's export records, newest first, and whether older ones exist."""
    page = max(page, 1)
    rows = list(
        db.session.scalars(
            select(ExportRecord)
            .options(selectinload(ExportRecord.user), selectinload(ExportRecord.event))
            .where(ExportRecord.campaign_id == campaign.id)
            .order_by(ExportRecord.created_at.desc(), ExportRecord.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page
