"""The organizers' RSVP list reads a page of RSVPs with their answers and queue places in a fixed number of
queries, whatever the size of the event."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select

from organizer.extensions import db
from organizer.models import Answer, Rsvp, RsvpStatus
from organizer.services.rsvp import listing as rsvp_listing
from tests import builders

ROWS = 1200  # more than SQLAlchemy's selectin batches of 500


def test_a_page_of_1200_rsvps_with_answers_and_queue_places_takes_four_queries():
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()))
    question = builders.make_question(event)
    db.session.execute(insert(Rsvp), [
        {"event_id": event.id, "name": f"Person {index}", "search_name": f"person {index}",
         "status": RsvpStatus.WAITLISTED if index % 10 == 0 else RsvpStatus.GOING,
         "manage_token_hash": f"m{index:063d}", "ticket_token_hash": f"t{index:063d}"}
        for index in range(ROWS)
    ])
    ids = list(db.session.scalars(select(Rsvp.id).where(Rsvp.event_id == event.id).order_by(Rsvp.id)))
    db.session.execute(insert(Answer), [
        {"rsvp_id": rsvp_id, "question_id": question.id, "value": "yes" if rsvp_id % 2 else "no"}
        for rsvp_id in ids[::3]
    ])
    db.session.commit()
    db.session.expire_all()
    question_id = question.id
    assert event.capacity is None  # the event itself loaded before counting

    statements = []
    engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        first = rsvp_listing.list_for_organizers(event)
        last = rsvp_listing.list_for_organizers(event, page=12)
        waitlisted = rsvp_listing.list_for_organizers(event, RsvpStatus.WAITLISTED, page=2)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)

    assert len(statements) == 12  # the count, the page with queue places, its answers, the totals; thrice
    assert first.total == ROWS and first.pages == 12 and [r.id for r in first.rsvps] == ids[:100]
    assert set(first.answers) == set(ids[:100])
    assert first.answers[ids[0]] == {question_id: "yes" if ids[0] % 2 else "no"}
    assert first.answers[ids[1]] == {}
    assert [r.id for r in last.rsvps] == ids[1100:] and (last.first_shown, last.last_shown) == (1101, 1200)
    # Queue places count the whole waitlist, not the page: the second page starts at 101.
    assert waitlisted.total == ROWS // 10 and len(waitlisted.rsvps) == ROWS // 10 - 100
    assert [waitlisted.positions[r.id] for r in waitlisted.rsvps] == list(range(101, ROWS // 10 + 1))
    assert first.positions[ids[0]] == 1 and ids[1] not in first.positions


def test_a_page_past_the_end_shows_the_last_one_and_an_empty_list_has_one_page():
    event = builders.make_event(builders.make_campaign(owner=builders.make_user()))
    empty = rsvp_listing.list_for_organizers(event, page=5)
    assert (empty.page, empty.pages, empty.total, empty.first_shown, empty.last_shown) == (1, 1, 0, 0, 0)
    for index in range(3):
        builders.make_rsvp(event, name=f"Person {index}", email=None)
    listing = rsvp_listing.list_for_organizers(event, page=99, per_page=2)
    assert (listing.page, listing.pages, [r.name for r in listing.rsvps]) == (2, 2, ["Person 2"])
