"""The door search runs in SQL on each RSVP's stored folded name (Rsvp.search_name)."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event

from organizer.extensions import db
from organizer.models import Rsvp, RsvpStatus
from organizer.services.door import listing as door_listing
from organizer.text import fold_for_search
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
    assert [row.name for row in door_listing.door_rows(event, "100%")] == ["Percy 100% Sure"]
    assert [row.name for row in door_listing.door_rows(event, "%")] == ["Percy 100% Sure"]
    assert [row.name for row in door_listing.door_rows(event, "r_s")] == ["Under_score"]
    assert door_listing.door_rows(event, "_") != door_listing.door_rows(event)


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
        rows = door_listing.door_rows(event, "rosa sm")
    finally:
        sa_event.remove(engine, "after_cursor_execute", count_rows)
    assert [row.name for row in rows] == ["Rosa Smith"]
    assert rows[0].search_key == "rosa smith"
    door_queries = [statement for statement in fetched if "FROM rsvp" in statement]
    assert len(door_queries) == 1 and "search_name LIKE" in door_queries[0]


def test_door_page_is_the_first_rows_of_the_sorted_list_and_their_count(event):
    names = ["zoë Adams", "Élodie Martin", "Amina Yusuf", "amina Ahmed", "Bilal Haddad", "李小龙",
             "محمد علي", "Ölaf Berg", "Zack Young"]
    for name in names:
        builders.make_rsvp(event, name=name, email=None)
    builders.make_rsvp(event, name="Amina Twice", email=None)
    builders.make_rsvp(event, name="Amina Twice", email=None)
    builders.make_rsvp(event, name="Carla Cancelled", email=None, status=RsvpStatus.CANCELLED)
    everyone = door_listing.door_rows(event)
    assert len(everyone) == 11
    for limit in (1, 3, 4, 11, 50):
        page = door_listing.door_page(event, limit=limit)
        # The same order as the whole list (code points, then id), sorted by the database.
        assert page.rows == everyone[:limit]
        assert page.total == 11
        assert page.capped is (limit < 11)
    matches = door_listing.door_rows(event, "amina")
    assert [row.name for row in matches] == ["amina Ahmed", "Amina Twice", "Amina Twice", "Amina Yusuf"]
    page = door_listing.door_page(event, "AMINA", limit=2)
    assert page.rows == matches[:2] and page.total == 4 and page.capped
    assert door_listing.door_page(event, "nobody", limit=2) == door_listing.DoorPage([], 0)
