"""Invisible reordering characters never get stored: not in names, answers, titles or walk-ins."""

from organizer.models import Rsvp
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.validation import clean_text
from organizer.services.door import checkins
from organizer.services.rsvp import rsvps
from organizer.text import without_bidi_controls
from tests import builders

SPOOF = "Amina\u202egnp.exe"


def test_without_bidi_controls_keeps_arabic_and_direction_marks():
    assert without_bidi_controls("أمينة\u200f") == "أمينة\u200f"
    assert without_bidi_controls(SPOOF) == "Aminagnp.exe"


def test_clean_text_drops_overrides_before_measuring():
    assert clean_text("\u2066Homs\u2069", 4, "title") == "Homs"
    try:
        clean_text("\u202e", 10, "title", required_message="Give a title.")
    except ValidationFailed as error:
        assert error.field == "title"
    else:
        raise AssertionError("a title of only controls is empty")


def test_rsvp_name_and_answers_are_stored_without_overrides():
    campaign = builders.make_campaign()
    event = builders.make_event(campaign)
    question = builders.make_question(event, kind="text", label="Where from?")

    rsvps.create_rsvp(event, name=SPOOF, answers={question.id: "Homs\u202e"})

    rsvp = builders.db.session.scalar(builders.db.select(Rsvp))
    assert rsvp.name == "Aminagnp.exe"
    assert rsvp.answers[0].value == "Homs"


def test_walk_in_name_is_stored_without_overrides():
    campaign = builders.make_campaign()
    event = builders.make_event(campaign)

    result = checkins.walk_in(event, SPOOF)

    assert result.rsvp.name == "Aminagnp.exe"
