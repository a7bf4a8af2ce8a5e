"""The questions an event asks on its RSVP form: adding, changing, ordering, deleting."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import (
    Answer,
    Event,
    Question,
    QuestionKind,
    User,
)
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict, NotFound, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.common.validation import clean_text, one_of
from organizer.services.events.events import CHOICE_MAX, CHOICES_MAX, MAX_QUESTIONS, QUESTION_LABEL_MAX
from organizer.text import without_bidi_controls


@dataclass
class QuestionInput:
    label: str
    kind: QuestionKind | str = QuestionKind.TEXT
    choices: str = ""  # one per line, for QuestionKind.CHOICE
    required: bool = False


def question_input_from(question: Question) -> QuestionInput:
    return QuestionInput(label=question.label, kind=question.kind, choices=question.choices,
                         required=question.required)


def _validated_question(data: QuestionInput) -> dict:
    label = clean_text(data.label, QUESTION_LABEL_MAX, "label", required_message=_("Write the question."))
    kind = one_of(QuestionKind, data.kind, "kind")
    choices = ""
    if kind is QuestionKind.CHOICE:
        lines = []
        for line in (data.choices or "").splitlines():
            line = without_bidi_controls(line).strip()
            if line and line not in lines:
                lines.append(line)
        if len(lines) < 2:
            raise ValidationFailed(_("Give at least two choices, one per line."), field="choices")
        if len(lines) > CHOICES_MAX:
            raise ValidationFailed(_("Give at most %(max)s choices.", max=CHOICES_MAX), field="choices")
        if any(len(line) > CHOICE_MAX for line in lines):
            raise ValidationFailed(_("Keep each choice to %(max)s characters.", max=CHOICE_MAX), field="choices")
        choices = "\n".join(lines)
    return {"label": label, "kind": kind, "choices": choices, "required": bool(data.required)}


def get_question(event: Event, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.event_id != event.id:
        raise NotFound(_("No such question."))
    return question


def add_question(actor: User, event: Event, data: QuestionInput) -> Question:
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    values = _validated_question(data)
    questions = list(event.questions)
    if len(questions) >= MAX_QUESTIONS:
        raise Conflict(_("An event can ask at most %(max)s questions. Remove one to add another.", max=MAX_QUESTIONS))
    position = max((q.position for q in questions), default=-1) + 1
    question = Question(event_id=event.id, position=position, **values)
    db.session.add(question)
    db.session.flush()
    db.session.expire(event, ["questions"])
    return question


def update_question(actor: User, event: Event, question: Question, data: QuestionInput) -> Question:
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    if question.event_id != event.id:
        raise NotFound(_("No such question."))
    for name, value in _validated_question(data).items():
        setattr(question, name, value)
    db.session.flush()
    return question


def answer_count(question: Question) -> int:
    """How many people answered ``question`` (what removing it deletes)."""
    return int(db.session.scalar(select(func.count(Answer.id)).where(Answer.question_id == question.id)) or 0)


def delete_question(actor: User, event: Event, question: Question) -> None:
    """Removes the question and the answers people gave to it."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    if question.event_id != event.id:
        raise NotFound(_("No such question."))
    db.session.delete(question)
    db.session.flush()
    db.session.expire(event, ["questions"])


def move_question(actor: User, event: Event, question: Question, offset: int) -> None:
    """Move a question one place up (-1) or down (+1)."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    if question.event_id != event.id:
        raise NotFound(_("No such question."))
    ordered = sorted(event.questions, key=lambda q: (q.position, q.id))
    index = ordered.index(question)
    target = index + (1 if offset > 0 else -1)
    if not 0 <= target < len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()
    db.session.expire(event, ["questions"])
