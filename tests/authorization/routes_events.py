"""Organizer pages of one event: create, its page, edit, publish, back to draft, cancel, duplicate, delete,
coverage, questions."""

from __future__ import annotations

from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Event, EventCoverage, Question
from tests import builders
from tests.authorization.rules import ORGANIZERS_UP, STAFF, Rule, only

ANON = {"anonymous": 302, "supporter_link": 302, "door_link": 302}


def _e(w) -> str:
    return f"/manage/e/{w.event.id}"


def _event_data(w):
    return {"title": "Solidarity meeting (moved)", "description": "", "starts_local": "2031-03-06T19:00",
            "ends_local": "2031-03-06T21:00", "timezone": "Europe/London", "visibility": "public",
            "email_policy": "optional", "max_guests": "2", "capacity": "10", "prompted_by": "0"}


def _empty(w) -> str:
    """An event of the campaign nobody has RSVPed to: it may go back to draft or be deleted."""
    found = db.session.scalar(select(Event).where(Event.slug == "empty-meeting"))
    return f"/manage/e/{(found or builders.make_event(w.event.campaign, slug='empty-meeting')).id}"


def _foreign_question(w) -> Question:
    found = db.session.scalar(select(Question).where(Question.event_id == w.other_event.id))
    return found or builders.make_question(w.other_event, label="Elsewhere?")


def _foreign_link(w) -> EventCoverage:
    found = db.session.scalar(select(EventCoverage).where(EventCoverage.event_id == w.other_event.id))
    if found is None:
        found = builders.link_coverage(w.other_event, builders.make_coverage(w.other_campaign))
    return found


def _question_data(w):
    return {"label": "Will you bring a banner?", "kind": "yes_no"}


ROUTES: list[Rule] = [
    Rule("events.create", "GET", lambda w: "/manage/c/syria/events/new", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("events.create", "POST", lambda w: "/manage/c/syria/events/new", only(ORGANIZERS_UP, 303, **ANON),
         data=_event_data),
    Rule("events.create", "GET", lambda w: "/manage/c/elsewhere/events/new",
         only(("other_organizer", "admin"), 200, **ANON), id_suffix=" other campaign"),
    Rule("events.detail", "GET", _e, only(STAFF, 200, **ANON)),
    Rule("events.detail", "GET", lambda w: f"/manage/e/{w.other_event.id}",
         only(("other_organizer", "admin"), 200, **ANON), id_suffix=" other campaign"),
    Rule("events.detail", "GET", lambda w: "/manage/e/999999", dict(ANON), id_suffix=" unknown"),
    Rule("events.edit", "GET", lambda w: f"{_e(w)}/edit", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("events.edit", "POST", lambda w: f"{_e(w)}/edit", only(ORGANIZERS_UP, 303, **ANON), data=_event_data),
    Rule("events.publish", "POST", lambda w: f"{_e(w)}/publish", only(ORGANIZERS_UP, 303, **ANON)),
    Rule("events.cancel", "GET", lambda w: f"{_e(w)}/cancel", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("events.cancel", "POST", lambda w: f"{_e(w)}/cancel", only(ORGANIZERS_UP, 303, **ANON)),
    Rule("events.duplicate", "POST", lambda w: f"{_e(w)}/duplicate", only(ORGANIZERS_UP, 303, **ANON)),
    # The world's event has RSVPs: organizers are sent back to it with the reason; nothing changes.
    Rule("events.unpublish", "POST", lambda w: f"{_e(w)}/unpublish", only(ORGANIZERS_UP, 303, **ANON)),
    Rule("events.unpublish", "POST", lambda w: f"{_empty(w)}/unpublish", only(ORGANIZERS_UP, 303, **ANON),
         id_suffix=" empty"),
    Rule("events.delete", "GET", lambda w: f"{_e(w)}/delete", only(ORGANIZERS_UP, 302, **ANON)),
    Rule("events.delete", "POST", lambda w: f"{_e(w)}/delete", only(ORGANIZERS_UP, 303, **ANON)),
    Rule("events.delete", "GET", lambda w: f"{_empty(w)}/delete", only(ORGANIZERS_UP, 200, **ANON),
         id_suffix=" empty"),
    Rule("events.delete", "POST", lambda w: f"{_empty(w)}/delete", only(ORGANIZERS_UP, 303, **ANON),
         id_suffix=" empty"),
    Rule("events.coverage", "GET", lambda w: f"{_e(w)}/coverage", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("events.coverage_link", "POST", lambda w: f"{_e(w)}/coverage/link", only(ORGANIZERS_UP, 303, **ANON),
         data=lambda w: {"coverage_id": str(w.coverage.id), "relation": "report", "note": ""}),
    Rule("events.coverage_new", "POST", lambda w: f"{_e(w)}/coverage/new", only(ORGANIZERS_UP, 303, **ANON),
         data=lambda w: {"new-url": "https://example.org/report", "new-headline": "Report of the meeting",
                         "new-language": "en", "new-relation": "report"}),
    Rule("events.coverage_unlink", "POST", lambda w: f"{_e(w)}/coverage/{w.event_coverage.id}/unlink",
         only(ORGANIZERS_UP, 303, **ANON)),
    Rule("events.coverage_unlink", "POST", lambda w: f"{_e(w)}/coverage/{_foreign_link(w).id}/unlink",
         dict(ANON), id_suffix=" foreign link"),
    Rule("events.questions", "GET", lambda w: f"{_e(w)}/questions", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("events.questions", "POST", lambda w: f"{_e(w)}/questions", only(ORGANIZERS_UP, 303, **ANON),
         data=_question_data),
    Rule("events.question_edit", "GET", lambda w: f"{_e(w)}/questions/{w.question.id}/edit",
         only(ORGANIZERS_UP, 200, **ANON)),
    Rule("events.question_edit", "POST", lambda w: f"{_e(w)}/questions/{w.question.id}/edit",
         only(ORGANIZERS_UP, 303, **ANON), data=_question_data),
    Rule("events.question_edit", "GET", lambda w: f"{_e(w)}/questions/{_foreign_question(w).id}/edit",
         dict(ANON), id_suffix=" foreign question"),
    Rule("events.question_delete", "GET", lambda w: f"{_e(w)}/questions/{w.question.id}/delete",
         only(ORGANIZERS_UP, 200, **ANON)),
    Rule("events.question_delete", "POST", lambda w: f"{_e(w)}/questions/{w.question.id}/delete",
         only(ORGANIZERS_UP, 303, **ANON)),
    Rule("events.question_delete", "GET", lambda w: f"{_e(w)}/questions/{_foreign_question(w).id}/delete",
         dict(ANON), id_suffix=" foreign question (confirm page)"),
    Rule("events.question_delete", "POST", lambda w: f"{_e(w)}/questions/{_foreign_question(w).id}/delete",
         dict(ANON), id_suffix=" foreign question"),
    Rule("events.question_move", "POST", lambda w: f"{_e(w)}/questions/{w.question.id}/move",
         only(ORGANIZERS_UP, 303, **ANON), data=lambda w: {"direction": "down"}),
]
