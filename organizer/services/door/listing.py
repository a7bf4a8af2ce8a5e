"""The door list: names to check in, searched and capped in SQL, and the current state of the rows a
phone shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, select

from organizer.database import dialect_name
from organizer.extensions import db
from organizer.models import (
    CheckIn,
    CheckInAction,
    Event,
    Rsvp,
    RsvpSource,
    RsvpStatus,
)
from organizer.services.door.log import current_entries
from organizer.text import fold_for_search

search_key = fold_for_search  # case- and accent-insensitive form of a name, as static/js/door.js folds it


@dataclass(frozen=True)
class DoorRow:
    rsvp_id: int
    name: str
    guests: int
    walk_in: bool
    checked_in: bool
    checked_in_at: datetime | None
    search_key: str
    persons_in: int = 0  # how many of the party (1 + guests) are in: a party may arrive in steps

    @property
    def party(self) -> int:
        return 1 + self.guests

    @property
    def waiting(self) -> int:
        """How many of the party are not in yet."""
        return max(self.party - self.persons_in, 0)


@dataclass(frozen=True)
class DoorPage:
    """The first ``len(rows)`` rows of the door list (or of a search), and how many there are in all."""
    rows: list[DoorRow]
    total: int

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


def _door_statement(event: Event, query: str):
    current = current_entries([event.id])
    stmt = (
        select(Rsvp.id, Rsvp.name, Rsvp.guests, Rsvp.source, current.c.action, current.c.created_at,
               Rsvp.search_name, current.c.persons_in)
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.GOING, Rsvp.forgotten_at.is_(None))
    )
    needle = search_key(query or "")
    if needle:
        # Filtered in SQL on the stored folded name: a search in 10,000 RSVPs reads only the matches.
        stmt = stmt.where(Rsvp.search_name.contains(needle, autoescape=True))
    return stmt


def _door_row(rsvp_id, name, guests, source, action, at, stored_key, persons_in=None) -> DoorRow:
    key = stored_key or search_key(name)
    checked = action is CheckInAction.CHECK_IN or action == CheckInAction.CHECK_IN.value
    party = 1 + (guests or 0)
    arrived = 0 if not checked else (party if persons_in is None else min(persons_in, party))
    return DoorRow(rsvp_id, name, guests, source is RsvpSource.WALK_IN, checked,
                   at if checked else None, key, arrived)


def door_rows(event: Event, query: str = "") -> list[DoorRow]:
    """Going RSVPs (walk-ins included) sorted by name, with their check-in state; names only."""
    result = [_door_row(*row) for row in db.session.execute(_door_statement(event, query))]
    result.sort(key=lambda row: (row.search_key, row.rsvp_id))
    return result


def door_page(event: Event, query: str = "", limit: int = 100) -> DoorPage:
    """The first ``limit`` rows of ``door_rows(event, query)`` and how many there are, in one query.

    A phone at the door of a 10,000-person event gets a page of names, not 15 MB of HTML: the
    sorting and counting happen in the database, and only the rows shown have their latest log
    entry looked up. Names sort by code point, as ``door_rows`` does (PostgreSQL is told to use the
    "C" collation; SQLite's default BINARY already does).
    """
    needle = search_key(query or "")
    parameters: dict[str, object] = {"event_id": event.id, "limit": limit}
    if needle:
        parameters["pattern"] = "%" + re.sub(r"([/%_])", r"/\1", needle) + "%"
    stmt = _door_page_statement(bool(needle), dialect_name(db.session) == "postgresql")
    rows, total = [], 0
    for *values, total in db.session.execute(stmt, parameters):  # noqa: B007 - each row carries the count
        rows.append(_door_row(*values))
    return DoorPage(rows, total)


@lru_cache(maxsize=4)
def _door_page_statement(searching: bool, postgresql: bool):
    """Built once per shape (a statement costs more to build than PostgreSQL takes to run it).

    The latest entry of each row shown is found through the (rsvp_id, sequence) index: reading the
    latest entry of every check-in of the event, as door_rows does, was most of a search's time."""
    conditions = [Rsvp.event_id == bindparam("event_id"), Rsvp.status == RsvpStatus.GOING,
                  Rsvp.forgotten_at.is_(None)]
    if searching:
        # Filtered in SQL on the stored folded name: a search in 10,000 RSVPs reads only the matches.
        conditions.append(Rsvp.search_name.like(bindparam("pattern"), escape="/"))
    shown = (
        select(Rsvp.id, Rsvp.name, Rsvp.guests, Rsvp.source, Rsvp.search_name,
               func.count().over().label("total"))
        .where(*conditions)
        .order_by(_by_code_point(Rsvp.search_name, postgresql), Rsvp.id)
        .limit(bindparam("limit"))
        .subquery("shown")
    )

    return (
        select(shown.c.id, shown.c.name, shown.c.guests, shown.c.source, _latest_entry(CheckIn.action, shown.c.id),
               _latest_entry(CheckIn.created_at, shown.c.id), shown.c.search_name,
               _latest_entry(CheckIn.persons_in, shown.c.id), shown.c.total)
        .order_by(_by_code_point(shown.c.search_name, postgresql), shown.c.id)
    )


def current_states(event: Event, rsvp_ids: list[int]) -> dict[int, datetime | None]:
    """For each of these going RSVPs of the event: when they were checked in, or None if they are
    not (now). What a door phone asks about the names on its screen, to show other phones' taps;
    ids of other events, or of people no longer going, are left out."""
    return {rsvp_id: at for rsvp_id, (at, _persons) in current_arrivals(event, rsvp_ids).items()}


def current_arrivals(event: Event, rsvp_ids: list[int]) -> dict[int, tuple[datetime | None, int]]:
    """``current_states`` with how many of each party are in (a party may arrive in steps)."""
    if not rsvp_ids:
        return {}
    states: dict[int, tuple[datetime | None, int]] = {}
    for rsvp_id, guests, action, at, persons_in in db.session.execute(
            _STATES, {"event_id": event.id, "ids": list(rsvp_ids)}):
        checked = action is CheckInAction.CHECK_IN or action == CheckInAction.CHECK_IN.value
        party = 1 + (guests or 0)
        arrived = 0 if not checked else (party if persons_in is None else min(persons_in, party))
        states[rsvp_id] = (at if checked else None, arrived)
    return states


def _latest_entry(column, rsvp_id):
    return (select(column).where(CheckIn.rsvp_id == rsvp_id)
            .order_by(CheckIn.sequence.desc()).limit(1).scalar_subquery())


_STATES = (
    select(Rsvp.id, Rsvp.guests, _latest_entry(CheckIn.action, Rsvp.id), _latest_entry(CheckIn.created_at, Rsvp.id),
           _latest_entry(CheckIn.persons_in, Rsvp.id))
    .where(Rsvp.event_id == bindparam("event_id"), Rsvp.id.in_(bindparam("ids", expanding=True)),
           Rsvp.status == RsvpStatus.GOING)
)


def _by_code_point(column, postgresql: bool):
    return column.collate("C") if postgresql else column
