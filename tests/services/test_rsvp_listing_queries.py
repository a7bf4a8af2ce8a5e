"""The organizers' RSVP list reads its RSVPs and all their answers in a fixed number of queries."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select

from organizer.extensions import db
from organizer.models import Answer, Rsvp, RsvpStatus
from organizer.services import rsvps
from tests import builders

ROWS = 1200  # more than SQLAlchemy's selectin batches of 500


def test_listing_1200_rsvps_with_answers_takes_three_queries():
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
        listing = rsvps.list_for_organizers(event)
        waitlisted = rsvps.list_for_organizers(event, RsvpStatus.WAITLISTED)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)

    assert len(statements) == 6  # RSVPs, answers and counts, twice
    assert len(listing.rsvps) == ROWS and set(listing.answers) == set(ids)
    assert listing.answers[ids[0]] == {question_id: "yes" if ids[0] % 2 else "no"}
    assert listing.answers[ids[1]] == {}
    assert len(waitlisted.rsvps) == ROWS // 10
    assert set(waitlisted.answers) == {rsvp.id for rsvp in waitlisted.rsvps}
    assert list(waitlisted.positions.values()) == list(range(1, ROWS // 10 + 1))
