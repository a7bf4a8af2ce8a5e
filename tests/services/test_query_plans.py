"""The door's counting statement keeps a sane plan on PostgreSQL once it is prepared.

psycopg prepares a statement on the server after a connection has run it a few times, and PostgreSQL
may then plan it once for any parameters (a generic plan). Joined to each RSVP's ``max(sequence)``,
the latest check-in was estimated at one row and the generic plan compared every RSVP with every
check-in: 1.1 s a tap for 10,000 RSVPs in ``make bench``, 8 ms with a custom plan. The test counts
rows, not time: ``auto_explain`` reports the executed plan of the statement as the app sends it,
forced generic, and the rows thrown away by join filters must stay below one pass over the RSVPs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event as sa_events

from organizer.extensions import db
from organizer.services.door import checkins
from organizer.services.door import counts as door_counts
from tests import builders

pytestmark = pytest.mark.postgres_only

RSVPS = 300
CHECKED_IN = 60
OTHER_EVENTS = 20  # a campaign's other meetings, smaller, everyone came: a generic plan expects an average event


def _statement_of(call) -> tuple[str, Any]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _executemany):
        if "current_check_in" in statement:
            seen.append((statement, parameters))

    sa_events.listen(db.engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        sa_events.remove(db.engine, "before_cursor_execute", keep)
    assert seen, "the statement was not sent"
    return seen[0]


def _rows_removed_by_join_filters(plan: dict) -> int:
    removed = int(plan.get("Rows Removed by Join Filter", 0)) * int(plan.get("Actual Loops", 1))
    return removed + sum(_rows_removed_by_join_filters(child) for child in plan.get("Plans", []))


def _executed_generic_plan(statement: str, parameters: Any) -> dict:
    raw = db.engine.raw_connection()
    try:
        connection = raw.driver_connection
        notices: list[str] = []
        connection.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
        with connection.cursor() as cursor:
            for setting in ("LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                            "SET auto_explain.log_analyze = on", "SET auto_explain.log_format = json",
                            "SET auto_explain.log_level = notice", "SET plan_cache_mode = force_generic_plan"):
                cursor.execute(setting)
            notices.clear()
            cursor.execute(statement, parameters, prepare=True)
            cursor.fetchall()
        connection.rollback()
        plans = [json.loads(text[text.index("{"):]) for text in notices if "{" in text]
        assert plans, f"auto_explain reported nothing: {notices!r}"
        return plans[-1]["Plan"]
    finally:
        raw.invalidate()  # its settings must not go back to the pool


def test_counting_the_door_stays_one_pass_under_a_generic_plan():
    campaign = builders.make_campaign(owner=builders.make_user())
    event = builders.make_event(campaign)
    for _ in range(OTHER_EVENTS):
        other = builders.make_event(campaign)
        for n in range(RSVPS // OTHER_EVENTS):
            checkins.check_in(builders.make_rsvp(other, name=f"Elsewhere {n}", email=None)[0])
    people = [builders.make_rsvp(event, name=f"Person {n}", email=None)[0] for n in range(RSVPS)]
    for index, rsvp in enumerate(people[:CHECKED_IN]):
        checkins.check_in(rsvp)
        if index % 3 == 0:  # several entries for some: the latest one must be found
            checkins.undo(rsvp)
            checkins.check_in(rsvp)
    db.session.commit()
    db.session.execute(db.text("ANALYZE rsvp; ANALYZE check_in"))
    db.session.commit()

    statement, parameters = _statement_of(lambda: door_counts.attendances([event]))
    plan = _executed_generic_plan(statement, parameters)

    assert _rows_removed_by_join_filters(plan) < RSVPS, json.dumps(plan, indent=1)
    figures = door_counts.attendances([event])[event.id]
    assert (figures.going_rsvps, figures.checked_in_rsvps) == (RSVPS, CHECKED_IN)
