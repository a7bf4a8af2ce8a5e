"""Attendee and supporter exports (CSV and XLSX), streamed, safe to open in a spreadsheet, and audited.

* One event: its RSVPs with their check-in state (and answers, if asked for).
* The whole campaign: one row per person, people matched by normalized email (someone who gave no
  email is a row of their own), with how many events they RSVPed to and how many they attended.
  Name, email, phone and consent come from the person's most recent RSVP.

Rows are read with ``yield_per`` (a server-side cursor on PostgreSQL) and written as they come, so a
100,000-row export never sits in memory. Every cell that a spreadsheet would read as a formula
(beginning with = + - @, tab, carriage return or NUL) is prefixed with an apostrophe. Before the
first byte is streamed, an ExportRecord (who, when, scope, filters, columns and the row count, by a
COUNT with the same filters) is written in the caller's transaction.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, NamedTuple

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, literal, or_, select
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
    take twice as long as needed (bench/README.md)."""
    if spec.scope == "campaign" and spec.checked_in == "any" and not spec.consent_only:
        event_ids = select(Event.id).where(Event.campaign_id == campaign.id).scalar_subquery()
        return int(db.session.scalar(
            select(func.count(func.distinct(_person_key())))
            .where(Rsvp.event_id.in_(event_ids), Rsvp.status.in_(spec.statuses))
        ) or 0)
    stmt = _event_query(spec) if spec.scope == "event" else _campaign_query(campaign, spec)[0]
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


# --- the audit record, then the rows --------------------------------------------------------------


def start(campaign: Campaign, user: User, spec: ExportSpec) -> PreparedExport:
    """Count the rows and write the ExportRecord (the caller commits before streaming)."""
    record = ExportRecord(
        campaign_id=campaign.id,
        event_id=spec.event.id if spec.event is not None else None,
        user_id=user.id,
        user_email=user.email,
        scope=spec.scope,
        file_format=spec.file_format,
        filters=json.dumps(spec.filters(), sort_keys=True),
        columns=",".join(spec.columns),
        row_count=count_rows(campaign, spec),
    )
    db.session.add(record)
    db.session.flush()
    questions = ([QuestionColumn(question.id, question.label) for question in spec.event.questions]
                 if spec.event is not None and "answers" in spec.columns else [])
    return PreparedExport(campaign, spec, record, questions)


def _when(value: datetime | None, timezone: str) -> str:
    if value is None:
        return ""
    local = to_local(value, timezone)
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"


def _when_in(timezone: str):
    """``_when`` for one zone, remembering each minute it has written: converting and formatting
    every timestamp again was a third of a 100,000-row export's time (bench/README.md)."""
    written: dict[datetime, str] = {}
    last: list = [None, ""]  # the value just written: first and latest RSVP are one moment for most people

    def when(value: datetime | None) -> str:
        if value is None:
            return ""
        if value == last[0]:
            return last[1]
        minute = value.replace(second=0, microsecond=0)
        text = written.get(minute)
        if text is None:
            text = _when(minute, timezone)
            if len(written) < 200_000:
                written[minute] = text
        last[0], last[1] = value, text
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
    stmt, inner = _campaign_query(export.campaign, spec)
    stmt = stmt.order_by(inner.c.name, inner.c.person)
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
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    # NUL is never legitimate text and breaks some readers: keep it visible but harmless.
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _count(value) -> int:
    return int(value or 0)


def _yes_no(value) -> str:
    return "yes" if value else "no"


def _campaign_csv_batches(export: PreparedExport, size: int) -> Iterator[list[list[Any]]]:
    """The campaign rows as CSV cells, ``size`` rows at a time, each column converted by the one
    function its type needs: exactly ``[safe_cell(v) for v in row]`` of ``_campaign_rows``, without
    a getter and ``safe_cell``'s type checks for each of 800,000 cells (bench/README.md)."""
    spec = export.spec
    when = _when_in(export.campaign.default_timezone)
    convert = {
        "name": _safe_text, "email": _safe_text, "phone": _safe_text,
        "consent_contact": _yes_no,
        "events_rsvped": _count, "events_attended": _count,
        "first_rsvp_at": when, "last_rsvp_at": when,  # "2030-03-31 01:00 BST": never a formula
    }
    stmt, inner = _campaign_query(export.campaign, spec)
    stmt = stmt.order_by(inner.c.name, inner.c.person)
    result = db.session.connection().execute(stmt.execution_options(yield_per=BATCH))
    try:
        keys = list(result.keys())
        plan = [(keys.index(column), convert[column]) for column in spec.columns]
        batch: list[list[Any]] = []
        for row in result:
            batch.append([cell(row[index]) for index, cell in plan])
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        result.close()


def _safe_batches(export: PreparedExport, size: int) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in export.rows():
        batch.append([safe_cell(value) for value in row])
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_chunks(export: PreparedExport, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """RFC 4180 CSV (minimal quoting, CRLF), UTF-8 with a byte-order mark so spreadsheets read
    non-Latin names correctly; yielded a few hundred rows at a time."""
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
        sheet = workbook.add_worksheet("Export")
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
