"""RSVP forms, built per event: they ask only what the event needs (email per its policy, phone only
when turned on, guests only when allowed, its own questions)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields import EmailField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from organizer.forms_common import FlaskForm
from organizer.models import EmailPolicy, Event, Question, QuestionKind
from organizer.services.rsvp.validation import (
    ANSWER_MAX,
    ANSWER_MISSING,
    EMAIL_INVALID,
    EMAIL_MAX,
    EMAIL_MISSING,
    EMAIL_TOO_LONG,
    NAME_MAX,
    NAME_MISSING,
    NOT_AN_OPTION,
    NOT_YES_OR_NO,
    PHONE_MAX,
    normalized_email,
    question_field,
    too_long,
)


def guests_field(max_guests: int = 0):
    """0..max_guests as a select; anything else posted gets one clear message."""
    choices = [SelectChoice("0", _l("Just me"))]
    for count in range(1, max_guests + 1):
        choices.append(SelectChoice(str(count), lazy_ngettext("Me + %(num)s guest", "Me + %(num)s guests", count)))
    message = _l("Choose from 0 to %(n)s guests.", n=max_guests)
    return SelectField(_l("Are you bringing anyone?"), coerce=int, default=0, choices=choices,
                       invalid_value_message=message, invalid_choice_message=message)


def question_form_field(question: Question):
    """The field for one of the event's questions (named q_<id> on the form)."""
    presence = InputRequired(message=ANSWER_MISSING) if question.required else Optional()
    if question.kind is QuestionKind.YES_NO:
        return RadioField(question.label, choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
                          validators=[presence], invalid_choice_message=NOT_YES_OR_NO)
    if question.kind is QuestionKind.CHOICE:
        choices = [SelectChoice(choice, choice) for choice in question.choice_list]
        return RadioField(question.label, choices=choices, validators=[presence],
                          invalid_choice_message=NOT_AN_OPTION)
    return StringField(
        question.label,
        validators=[presence, Length(max=ANSWER_MAX, message=too_long(ANSWER_MAX))],
        render_kw={"maxlength": ANSWER_MAX},
    )


class RsvpForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[InputRequired(message=NAME_MISSING),
                    Length(max=NAME_MAX, message=too_long(NAME_MAX))],
        render_kw={"autocomplete": "name", "maxlength": NAME_MAX},
    )
    email = EmailField(_l("Email"), render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX,
                                               "inputmode": "email"})
    phone = TelField(
        _l("Phone (optional)"),
        validators=[Optional(), Length(max=PHONE_MAX, message=too_long(PHONE_MAX))],
        render_kw={"autocomplete": "tel", "maxlength": PHONE_MAX},
    )
    guests = guests_field()  # replaced per event (or removed when the event takes no guests)
    consent = BooleanField(_l("The organizers may contact me about future events"), default=False)
    # Honeypot: hidden from people (CSS and aria-hidden), bots fill it in.
    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})
    # Made by static/js/rsvp.js for each filled-in form, else the page's own (organizer/pagecache.py): the same
    # form sent again gets the first answer.
    submission_key = HiddenField()
    # The key a refused sending came with, for its page to send again (rsvp/views.py); None: a fresh one.
    key_to_send_again: str | None = None

    def question_fields(self):
        return [self[name] for name in self._question_names]


class _ValidEmail:
    """wtforms' ``Email`` validator (email_validator, no deliverability check) through the function the
    RSVP service checks with, so that an address is parsed once per RSVP, not twice."""

    def __call__(self, form, field) -> None:
        if field.data is None or normalized_email(field.data) is None:
            raise ValidationError(EMAIL_INVALID)


def _email_field(event: Event):
    if event.email_policy is EmailPolicy.NOT_ASKED:
        return None
    validity = _ValidEmail()
    length = Length(max=EMAIL_MAX, message=EMAIL_TOO_LONG)
    if event.email_policy is EmailPolicy.REQUIRED:
        return EmailField(_l("Email"), validators=[InputRequired(message=EMAIL_MISSING),
                                                   length, validity],
                          render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX})
    return EmailField(_l("Email (optional)"), validators=[Optional(), length, validity],
                      render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX})


def _per_event_fields(event: Event) -> dict:
    """Guests (only when the event takes them) and one field per question, named q_<id>."""
    attrs: dict = {"guests": guests_field(event.max_guests) if event.max_guests > 0 else None}
    names = []
    for question in event.questions:
        name = question_field(question.id)
        attrs[name] = question_form_field(question)
        names.append(name)
    attrs["_question_names"] = names
    return attrs


def _shape(event: Event) -> tuple:
    """Everything the per-event form classes are built from: two events with the same shape get the
    same class, and an organizer's change to any of it makes a new one."""
    return (event.email_policy, event.max_guests, event.ask_phone,
            tuple((q.id, q.label, q.kind, q.required, q.choices) for q in event.questions))


_FORM_CLASSES: dict[tuple, type] = {}


def _form_class(event: Event, build) -> type:
    """The form class ``build`` makes for the event's shape, built once per process. Building it per
    request (a new class, whose fields wtforms then sorts on first use) was ~15% of an RSVP's CPU.
    Exact: keyed on everything it is built from."""
    key = (build, _shape(event))
    form_class = _FORM_CLASSES.get(key)
    if form_class is None:
        if len(_FORM_CLASSES) >= 256:  # organizers editing forms all day never grow it without bound
            _FORM_CLASSES.clear()
        form_class = _FORM_CLASSES[key] = build(event)
    return form_class


def _build_rsvp_form(event: Event) -> type[RsvpForm]:
    attrs: dict = {"email": _email_field(event), **_per_event_fields(event)}
    if not event.ask_phone:
        attrs["phone"] = None
    return type("EventRsvpForm", (RsvpForm,), attrs)


def rsvp_form_for(event: Event, **kwargs) -> RsvpForm:
    """The form for this event; pass formdata=None for a fresh one (the public page's GET)."""
    return _form_class(event, _build_rsvp_form)(**kwargs)


class ManageForm(FlaskForm):
    """What a supporter can change later: guests and answers."""

    guests = guests_field()

    def question_fields(self):
        return [self[name] for name in self._question_names]


def _build_manage_form(event: Event) -> type[ManageForm]:
    return type("EventManageForm", (ManageForm,), _per_event_fields(event))


def manage_form_for(event: Event, **kwargs) -> ManageForm:
    return _form_class(event, _build_manage_form)(**kwargs)


def answers_from(form, event: Event) -> dict[int, str]:
    return {question.id: form[question_field(question.id)].data or "" for question in event.questions}


class ConfirmForm(FlaskForm):
    """A POST that acts only with confirm=yes; without it, the view shows what would happen."""

    confirm = HiddenField(default="yes")


class ManualRsvpForm(FlaskForm):
    """An organizer adds an RSVP that came by phone or at the desk: a name, contact if given, guests."""

    name = StringField(_l("Name"), validators=[InputRequired(message=NAME_MISSING),
                                               Length(max=NAME_MAX, message=too_long(NAME_MAX))],
                       render_kw={"maxlength": NAME_MAX, "autocomplete": "off"})
    email = EmailField(_l("Email (optional)"),
                       validators=[Optional(), Length(max=EMAIL_MAX, message=EMAIL_TOO_LONG), _ValidEmail()],
                       description=_l("They get the confirmation and their private link, "
                                      "as if they had RSVPed themselves."),
                       render_kw={"maxlength": EMAIL_MAX, "autocomplete": "off"})
    phone = TelField(_l("Phone (optional)"),
                     validators=[Optional(), Length(max=PHONE_MAX, message=too_long(PHONE_MAX))],
                     render_kw={"maxlength": PHONE_MAX, "autocomplete": "off"})
    guests = guests_field()
    submission_key = HiddenField()  # as on the public form (static/js/rsvp.js)


def manual_rsvp_form_for(event: Event, **kwargs) -> ManualRsvpForm:
    """Guests as the event allows; the phone only when the event asks for one."""
    attrs: dict = {"guests": guests_field(event.max_guests) if event.max_guests > 0 else None}
    if not event.ask_phone:
        attrs["phone"] = None
    if event.email_policy is EmailPolicy.NOT_ASKED:
        attrs["email"] = None
    form = type("EventManualRsvpForm", (ManualRsvpForm,), attrs)(**kwargs)
    if "guests" in form:
        form.guests.label.text = _l("Guests")
        form.guests.choices = [(0, _l("No guests"))] + [
            (count, lazy_ngettext("+ %(num)s guest", "+ %(num)s guests", count))
            for count in range(1, event.max_guests + 1)]
    return form
