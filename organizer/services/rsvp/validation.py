"""What a supporter may send: the limits, the rules and their messages, written once. The RSVP service
enforces them; rsvp/forms.py builds its fields from the same limits and messages, so the form's first
check and the service's say the same thing."""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from organizer.models import (
    EmailPolicy,
    Event,
    QuestionKind,
)
from organizer.services.common.errors import ValidationFailed
from organizer.text import address_key, without_bidi_controls

NAME_MAX = 120
EMAIL_MAX = 254
PHONE_MAX = 40
ANSWER_MAX = 500
_PHONE_PATTERN = re.compile(r"^\+?[0-9 ().\-/]{4,40}$")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
YES_NO_VALUES = ("yes", "no")

NAME_MISSING = _l("Tell us your name — a first name or nickname is fine.")
EMAIL_MISSING = _l("Enter your email address.")
EMAIL_TOO_LONG = _l("That email address is too long.")
EMAIL_INVALID = _l("Enter an email address like name@example.org.")
ANSWER_MISSING = _l("Please answer this question.")
NOT_YES_OR_NO = _l("Answer yes or no.")
NOT_AN_OPTION = _l("Choose one of the options.")


def too_long(limit: int):
    """The message for text longer than ``limit`` characters."""
    return _l("Use at most %(n)s characters.", n=limit)


def clean_name(name: str | None) -> str:
    name = without_bidi_controls(_CONTROL_CHARS.sub(" ", name or "")).strip()
    name = re.sub(r"\s+", " ", name)
    if not name:
        raise ValidationFailed(str(NAME_MISSING), field="name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(str(too_long(NAME_MAX)), field="name")
    return name


def clean_email(event: Event, email: str | None) -> tuple[str | None, str | None]:
    """(email as typed, normalized) following the event's email policy."""
    if event.email_policy is EmailPolicy.NOT_ASKED:
        return None, None  # never held, even if a client sends one
    email = (email or "").strip()
    if not email:
        if event.email_policy is EmailPolicy.REQUIRED:
            raise ValidationFailed(str(EMAIL_MISSING), field="email")
        return None, None
    if len(email) > EMAIL_MAX:
        raise ValidationFailed(str(EMAIL_TOO_LONG), field="email")
    normalized = normalized_email(email)
    if normalized is None:
        raise ValidationFailed(str(EMAIL_INVALID), field="email")
    return normalized, address_key(normalized)


@lru_cache(maxsize=256)
def normalized_email(email: str) -> str | None:
    """email_validator's normalized form of the address, or None when it is not one.

    The form's check (rsvp/forms.py) and ``clean_email`` both ask it about the same text in one RSVP,
    and each answer cost ~0.3 ms of CPU (email_validator checks every character of the domain against
    IDNA's tables): the second is now a lookup. Exact: the answer depends on nothing but the text."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def clean_phone(event: Event, phone: str | None) -> str | None:
    if not event.ask_phone:
        return None
    phone = (phone or "").strip()
    if not phone:
        return None
    if len(phone) > PHONE_MAX or not _PHONE_PATTERN.match(phone):
        raise ValidationFailed(
            _("Enter a phone number using digits, spaces and + ( ) - only."), field="phone"
        )
    return phone


def clean_guests(event: Event, guests) -> int:
    try:
        guests = int(guests or 0)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a number of guests."), field="guests") from None
    if not 0 <= guests <= event.max_guests:
        if event.max_guests == 0:
            message = _("This event doesn't take guests: RSVP for yourself only.")
        else:
            message = _("You can bring from 0 to %(n)s guests.", n=event.max_guests)
        raise ValidationFailed(message, field="guests")
    return guests


def question_field(question_id: int) -> str:
    """The form field (and error key) of a question."""
    return f"q_{question_id}"


def clean_answers(event: Event, answers: dict | None) -> dict[int, str]:
    """Answers checked against the event's questions; unanswered optional questions are left out."""
    answers = dict(answers or {})
    questions = {question.id: question for question in event.questions}
    keys = {}
    for key, value in answers.items():
        try:
            keys[int(key)] = value
        except (TypeError, ValueError):
            raise ValidationFailed(_("That question doesn't belong to this event."), field="answers") from None
    unknown = set(keys) - set(questions)
    if unknown:
        raise ValidationFailed(_("That question doesn't belong to this event."), field="answers")
    cleaned: dict[int, str] = {}
    for question in event.questions:
        raw = keys.get(question.id)
        # A choice must equal one the organizer wrote, so it is matched as sent; typed text is cleaned.
        value = _CONTROL_CHARS.sub(" ", str(raw if raw is not None else "")).strip()
        if question.kind is not QuestionKind.CHOICE:
            value = without_bidi_controls(value).strip()
        field = question_field(question.id)
        if question.kind is QuestionKind.YES_NO:
            value = value.lower()
            if value and value not in YES_NO_VALUES:
                raise ValidationFailed(str(NOT_YES_OR_NO), field=field)
        elif question.kind is QuestionKind.CHOICE:
            if value and value not in question.choice_list:
                raise ValidationFailed(str(NOT_AN_OPTION), field=field)
        elif len(value) > ANSWER_MAX:
            raise ValidationFailed(str(too_long(ANSWER_MAX)), field=field)
        if not value:
            if question.required:
                raise ValidationFailed(str(ANSWER_MISSING), field=field)
            continue
        cleaned[question.id] = value
    return cleaned
