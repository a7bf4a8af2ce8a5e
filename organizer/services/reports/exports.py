"""Attendee and supporter exports (CSV and XLSX), streamed, safe to open in a spreadsheet, and audited.

* One event: its RSVPs with their check-in state (and answers, if asked for).
* The whole campaign: one row per person, people matched by normalized email (someone who gave no
  email is a row of their own), with how many events they RSVPed to and how many they attended.
  Name, email, phone and consent come from the person's most recent RSVP.

Rows are read with ``yield_per`` (a server-side cursor on PostgreSQL) and written as they come, so a
100,000-row export never sits in memory. In the CSV every cell that a spreadsheet would read as a
formula (beginning with = + - @, tab, carriage return or NUL) is prefixed with an apostrophe; the XLSX
writes text as string cells, which are never evaluated, so it shows them as typed. Before the
first byte is streamed, an ExportRecord (who, when, scope, filters, columns and the row count, by a
COUNT with the same filters) is written in the caller's transaction. On PostgreSQL the campaign CSV
counts its rows on the very cursor it then streams them from (``HeldPeople``), in a transaction of
its own that outlives the caller's commit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from organizer.extensions import db
from organizer.models import (
    AccessKind,
    Campaign,
    ExportRecord,
    User,
)
from organizer.services.privacy import access_log
from organizer.services.reports.export_queries import HeldPeople, campaign_export_query, count_rows, holds_people
from organizer.services.reports.export_spec import CAMPAIGN_COLUMNS, EVENT_COLUMNS, ExportSpec, QuestionColumn


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


def start(campaign: Campaign, user: User, spec: ExportSpec) -> PreparedExport:
    """Count the rows and write the ExportRecord (the caller commits before streaming, and closes
    the PreparedExport when the response is done with it)."""
    people = HeldPeople(campaign_export_query(campaign, spec)) if holds_people(spec) else None
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
        access_log.record_access(campaign, AccessKind.EXPORT, actor=user, event=spec.event,
                                 detail=spec.file_format, count=record.row_count, export=record)
        questions = ([QuestionColumn(question.id, question.label) for question in spec.event.questions]
                     if spec.event is not None and "answers" in spec.columns else [])
    except BaseException:
        if people is not None:
            people.close()
        raise
    return PreparedExport(campaign, spec, record, questions, people)


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
