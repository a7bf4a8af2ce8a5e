"""The door search runs in SQL on each RSVP's stored folded name (Rsvp.search_name)."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event

from organizer.extensions import db
from organizer.models import Rsvp
from organizer.services import checkins
from organizer.services.text import fold_for_search
from tests import builders


@pytest.fixture
def event():
    return builders.make_event(builders.make_campaign(owner=builders.make_user()))


def test_the_folded_name_follows_every_change_of_name(event):
    rsvp, _manage, _ticket = builders.make_rsvp(event, name="  José   NÚÑEZ ", email=None)
    assert rsvp.search_name == "jose nunez"
    rsvp.name = "Zoë Ångström"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Rsvp, rsvp.id).search_name == "zoe angstrom"
    assert fold_for_search("Straße") == "strasse"


def test_like_wildcards_in_a_search_are_plain_characters(event):
    builders.make_rsvp(event, name="Percy 100% Sure", email=None)
    builders.make_rsvp(event, name="Under_score", email=None)
    builders.make_rsvp(event, name="Plain Name", email=None)
    assert [row.name for row in checkins.door_rows(event, "100%")] == ["Percy 100% Sure"]
    assert [row.name for row in checkins.door_rows(event, "%")] == ["Percy 100% Sure"]
    assert [row.name for row in checkins.door_rows(event, "r_s")] == ["Under_score"]
    assert checkins.door_rows(event, "_") != checkins.door_rows(event)


def test_a_search_reads_only_the_matching_rows(event):
    for index in range(30):
        builders.make_rsvp(event, name=f"Supporter {index:02d}", email=None)
    builders.make_rsvp(event, name="Rosa Smith", email=None)
    fetched = []

    def count_rows(conn, cursor, statement, parameters, context, executemany):
        fetched.append(statement)

    engine = db.engine
    sa_event.listen(engine, "after_cursor_execute", count_rows)
    try:
        rows = checkins.door_rows(event, "rosa sm")
    finally:
        sa_event.remove(engine, "after_cursor_execute", count_rows)
    assert [row.name for row in rows] == ["Rosa Smith"]
    assert rows[0].search_key == "rosa smith"
    door_queries = [statement for statement in fetched if "FROM rsvp" in statement]
    assert len(door_queries) == 1 and "search_name LIKE" in door_queries[0]


def test_attendance_reused_for_max_age_and_dropped_by_this_process_writes(event, monkeypatch):
    from organizer.services import checkins as service

    now = [100.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: now[0])
    first, _m, _t = builders.make_rsvp(event, name="First Person", email=None)
    second, _m, _t = builders.make_rsvp(event, name="Second Person", email=None)
    assert service.attendance(event, max_age=2).going_rsvps == 2

    builders.make_rsvp(event, name="Late Arrival", email=None)  # written elsewhere: not seen yet
    assert service.attendance(event, max_age=2).going_rsvps == 2
    assert service.attendance(event).going_rsvps == 3  # without max_age: always counted
    now[0] += 2.5
    assert service.attendance(event, max_age=2).going_rsvps == 3

    service.check_in(first)  # this process's own tap: figures counted again at once
    db.session.commit()
    assert service.attendance(event, max_age=2).checked_in_rsvps == 1
    service.add(event, 5)
    db.session.commit()
    assert service.attendance(event, max_age=2).crowd == 5
