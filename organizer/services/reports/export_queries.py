"""The queries behind an export: one event's RSVPs, or a campaign's supporters deduplicated by email."""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ClauseElement, Executable, String, cast, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles

from organizer.extensions import db
from organizer.models import (
    Campaign,
    CheckInAction,
    Event,
    Rsvp,
)
from organizer.services.door import log as checkin_log
from organizer.services.reports.export_spec import ExportSpec


def event_query(spec: ExportSpec):
    event = spec.event
    assert event is not None  # an export of scope "event" always has its event
    current = checkin_log.current_entries([event.id])
    stmt = (
        select(
            Rsvp.id, Rsvp.name, Rsvp.email, Rsvp.phone, Rsvp.guests, Rsvp.status, Rsvp.source,
            Rsvp.consent_contact, Rsvp.created_at, current.c.action, current.c.created_at.label("checked_at"),
        )
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id == event.id, Rsvp.status.in_(spec.statuses),
               Rsvp.forgotten_at.is_(None))
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
    current = checkin_log.current_entries(event_ids)
    person = _person_key()
    attended = func.sum(checkin_log.checked_in_expression(current)).over(partition_by=person)
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
        .where(Rsvp.event_id.in_(event_ids), Rsvp.status.in_(spec.statuses),
               Rsvp.forgotten_at.is_(None))
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
            .where(Rsvp.event_id.in_(event_ids), Rsvp.status.in_(spec.statuses),
               Rsvp.forgotten_at.is_(None))
            .group_by(person)
            .subquery()
        )
        return int(db.session.scalar(select(func.count()).select_from(people)) or 0)
    stmt = event_query(spec) if spec.scope == "event" else _campaign_query(campaign, spec)[0]
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def campaign_export_query(campaign: Campaign, spec: ExportSpec):
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


def holds_people(spec: ExportSpec) -> bool:
    return (spec.scope == "campaign" and spec.file_format == "csv"
            and db.session.get_bind().dialect.name == "postgresql")
