"""Event, question and coverage-link forms. Times are entered as the local wall clock of the event."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from organizer.campaigns.forms import CoverageForm, _text, timezone_choices
from organizer.forms_common import FlaskForm
from organizer.models import Audience, EmailPolicy, QuestionKind, Visibility
from organizer.services.coverage import coverage as coverage_rules
from organizer.services.events import details as details_rules
from organizer.services.events import events as event_rules
from organizer.services.events.events import EventInput
from organizer.services.events.questions import QuestionInput
from organizer.services.reminders import settings as mail_settings
from organizer.services.reminders.settings import MailSettings
from organizer.templating import default_language, language_names

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _when(label, *, required_message=None):
    validators = [InputRequired(message=required_message)] if required_message else [Optional()]
    return DateTimeLocalField(label, format=DATETIME_FORMAT, validators=validators)


def _language_choices() -> list[tuple[str, str]]:
    return language_names()


def _second_language_choices() -> list[tuple[str, str]]:
    return [("", _l("None"))] + _language_choices()


def _audiences() -> list[tuple[str, str]]:
    return [(Audience.EVERYONE.value, _l("Everyone")),
            (Audience.GOING.value, _l("People going")),
            (Audience.APPROVED.value, _l("People approved (needs approval)"))]


class EventForm(FlaskForm):
    # What
    title = _text(_l("Title"), event_rules.TITLE_MAX, required_message=_l("Give the event a title."))
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=event_rules.DESCRIPTION_MAX,
                           message=_l("Use at most %(max)d characters.", max=event_rules.DESCRIPTION_MAX))],
        render_kw={"rows": 8},
    )
    language = SelectField(_l("Language of the title and description"), choices=_language_choices,
                           validate_choice=False)
    slug = _text(_l("Web address"), event_rules.SLUG_MAX)
    # The same meeting in a second language (issue 11.7)
    second_language = SelectField(_l("Second language"), choices=_second_language_choices, validate_choice=False)
    second_title = _text(_l("Title in the second language"), event_rules.TITLE_MAX)
    second_description = TextAreaField(
        _l("Description in the second language"),
        validators=[Length(max=event_rules.DESCRIPTION_MAX,
                           message=_l("Use at most %(max)d characters.", max=event_rules.DESCRIPTION_MAX))],
        render_kw={"rows": 6},
    )
    # When
    starts_local = _when(_l("Starts"), required_message=_l("Enter when the event starts."))
    ends_local = _when(_l("Ends"), required_message=_l("Enter when the event ends."))
    timezone = SelectField(_l("Timezone"), choices=timezone_choices, validate_choice=False)
    # Where
    venue_name = _text(_l("Venue"), event_rules.VENUE_MAX)
    address = _text(_l("Street address"), event_rules.ADDRESS_MAX)
    city = _text(_l("City"), event_rules.CITY_MAX)
    country = _text(_l("Country"), event_rules.COUNTRY_MAX)
    online_url = URLField(
        _l("Online meeting link"),
        validators=[Optional(), Length(max=event_rules.URL_MAX,
                                       message=_l("Use at most %(max)d characters.", max=event_rules.URL_MAX))],
        render_kw={"maxlength": event_rules.URL_MAX, "placeholder": "https://", "spellcheck": "false",
                   "autocapitalize": "none"},
    )
    # Details for people coming (issue 12.1)
    address_audience = SelectField(_l("Who sees the full place"), choices=lambda: _audiences(),
                                   default=Audience.EVERYONE.value, validate_choice=False)
    online_audience = SelectField(_l("Who sees the online link"), choices=lambda: _audiences(),
                                  default=Audience.GOING.value, validate_choice=False)
    attendee_notes = TextAreaField(
        _l("Details for attendees (optional)"),
        validators=[Length(max=details_rules.NOTES_MAX,
                           message=_l("Use at most %(max)d characters.", max=details_rules.NOTES_MAX))],
        render_kw={"rows": 3},
    )
    notes_audience = SelectField(_l("Who sees the details for attendees"), choices=lambda: _audiences(),
                                 default=Audience.GOING.value, validate_choice=False)
    requires_approval = BooleanField(_l("RSVPs need an organizer's approval"))
    # Who may come
    visibility = RadioField(
        _l("Who can find it"),
        choices=[
            SelectChoice(Visibility.PUBLIC.value, _l("Public — listed on the home and campaign pages")),
            SelectChoice(Visibility.UNLISTED.value, _l("Unlisted — only people with the link")),
        ],
        default=Visibility.PUBLIC.value,
        validate_choice=False,
    )
    # RSVP settings
    capacity = IntegerField(
        _l("Places"),
        validators=[Optional(), NumberRange(min=1, max=event_rules.CAPACITY_MAX,
                                            message=_l("Enter a number from 1 to %(max)d, or leave it empty.",
                                                       max=event_rules.CAPACITY_MAX))],
        render_kw={"min": 1, "max": event_rules.CAPACITY_MAX, "inputmode": "numeric"},
    )
    rsvp_deadline_local = _when(_l("RSVPs close"))
    email_policy = RadioField(
        _l("Email address"),
        choices=[
            SelectChoice(EmailPolicy.REQUIRED.value, _l("Required")),
            SelectChoice(EmailPolicy.OPTIONAL.value, _l("Optional")),
            SelectChoice(EmailPolicy.NOT_ASKED.value, _l("Not asked")),
        ],
        default=EmailPolicy.OPTIONAL.value,
        validate_choice=False,
    )
    ask_phone = BooleanField(_l("Ask for a phone number (optional for them)"))
    max_guests = IntegerField(
        _l("Guests each person may bring"),
        default=0,
        validators=[InputRequired(message=_l("Enter a number from 0 to %(max)d.", max=event_rules.MAX_GUESTS_LIMIT)),
                    NumberRange(min=0, max=event_rules.MAX_GUESTS_LIMIT,
                                message=_l("Enter a number from 0 to %(max)d.", max=event_rules.MAX_GUESTS_LIMIT))],
        render_kw={"min": 0, "max": event_rules.MAX_GUESTS_LIMIT, "inputmode": "numeric"},
    )

    reminder_on = BooleanField(_l("Email a reminder before the event"), default=True)
    reminder_hours = IntegerField(
        _l("Hours before the start"), default=mail_settings.DEFAULT_REMINDER_HOURS, validators=[Optional()],
        render_kw={"min": 1, "max": mail_settings.MAX_HOURS, "inputmode": "numeric"})
    followup_on = BooleanField(_l("Email a follow-up after the event"), default=True)
    followup_hours = IntegerField(
        _l("Hours after the end"), default=mail_settings.DEFAULT_FOLLOWUP_HOURS, validators=[Optional()],
        render_kw={"min": 0, "max": mail_settings.MAX_HOURS, "inputmode": "numeric"})
    followup_text = TextAreaField(_l("Your words in the follow-up"),
                                  validators=[Length(max=mail_settings.FOLLOWUP_TEXT_MAX)], render_kw={"rows": 3})

    def mail_settings(self) -> MailSettings:
        return MailSettings(reminder_on=bool(self.reminder_on.data), reminder_hours=self.reminder_hours.data,
                            followup_on=bool(self.followup_on.data), followup_hours=self.followup_hours.data,
                            followup_text=self.followup_text.data or "")

    def fill_mail_settings(self, data: MailSettings) -> None:
        for name in ("reminder_on", "reminder_hours", "followup_on", "followup_hours", "followup_text"):
            self[name].data = getattr(data, name)

    def to_input(self) -> EventInput:
        return EventInput(
            title=self.title.data or "",
            description=self.description.data or "",
            starts_local=self.starts_local.data,
            ends_local=self.ends_local.data,
            timezone=self.timezone.data or "",
            venue_name=self.venue_name.data or "",
            address=self.address.data or "",
            city=self.city.data or "",
            country=self.country.data or "",
            online_url=self.online_url.data or "",
            capacity=self.capacity.data,
            rsvp_deadline_local=self.rsvp_deadline_local.data,
            visibility=self.visibility.data or "",
            email_policy=self.email_policy.data or "",
            ask_phone=bool(self.ask_phone.data),
            max_guests=self.max_guests.data if self.max_guests.data is not None else 0,
            language=self.language.data or "",
            slug=self.slug.data or None,
            second_language=self.second_language.data or "",
            second_title=self.second_title.data or "",
            second_description=self.second_description.data or "",
            address_audience=self.address_audience.data or "",
            online_audience=self.online_audience.data or "",
            attendee_notes=self.attendee_notes.data or "",
            notes_audience=self.notes_audience.data or "",
            requires_approval=bool(self.requires_approval.data),
        )

    def fill(self, data: EventInput) -> None:
        for name in ("title", "description", "starts_local", "ends_local", "timezone", "venue_name", "address",
                     "city", "country", "online_url", "capacity", "rsvp_deadline_local", "ask_phone",
                     "max_guests", "second_language", "second_title", "second_description", "attendee_notes",
                     "requires_approval"):
            self[name].data = getattr(data, name)
        self.language.data = data.language or default_language()
        self.visibility.data = str(data.visibility)
        self.email_policy.data = str(data.email_policy)
        for name in ("address_audience", "online_audience", "notes_audience"):
            self[name].data = str(getattr(data, name))


class NewEventForm(EventForm):
    """Creating an event can name the news that prompted it, from the campaign's library."""

    prompted_by = SelectField(_l("The news that prompted this meeting"), coerce=int, validate_choice=False,
                              default=0)
    prompted_by_note = _text(_l("Why it matters (optional note)"), coverage_rules.NOTE_MAX)


class QuestionForm(FlaskForm):
    label = _text(_l("Question"), event_rules.QUESTION_LABEL_MAX, required_message=_l("Write the question."))
    kind = RadioField(
        _l("Kind of answer"),
        choices=[
            SelectChoice(QuestionKind.TEXT.value, _l("Short text")),
            SelectChoice(QuestionKind.YES_NO.value, _l("Yes or no")),
            SelectChoice(QuestionKind.CHOICE.value, _l("One of several choices")),
        ],
        default=QuestionKind.TEXT.value,
        validate_choice=False,
    )
    choices = TextAreaField(
        _l("Choices, one per line (for “one of several choices”)"),
        validators=[Length(max=event_rules.CHOICES_MAX * (event_rules.CHOICE_MAX + 2),
                           message=_l("That's too long."))],
        render_kw={"rows": 4},
    )
    required = BooleanField(_l("An answer is required"))

    def to_input(self) -> QuestionInput:
        return QuestionInput(label=self.label.data or "", kind=self.kind.data or "", choices=self.choices.data or "",
                             required=bool(self.required.data))

    def fill(self, data: QuestionInput) -> None:
        self.label.data = data.label
        self.kind.data = str(data.kind)
        self.choices.data = data.choices
        self.required.data = data.required


RELATION_CHOICES = [
    SelectChoice("prompted_by", _l("Prompted this meeting (“Why we're meeting”)")),
    SelectChoice("report", _l("Reports on this meeting")),
]


class LinkCoverageForm(FlaskForm):
    coverage_id = IntegerField(_l("Article"), validators=[InputRequired(message=_l("Pick an article."))])
    relation = RadioField(_l("How it relates to the event"), choices=RELATION_CHOICES, default="prompted_by",
                          validate_choice=False)
    note = _text(_l("Note (optional)"), coverage_rules.NOTE_MAX)


class NewCoverageLinkForm(CoverageForm):
    """Add an article to the library and link it to the event in one step."""

    relation = RadioField(_l("How it relates to the event"), choices=RELATION_CHOICES, default="prompted_by",
                          validate_choice=False)
    note = _text(_l("Note (optional)"), coverage_rules.NOTE_MAX)


class PublishForm(FlaskForm):
    """The Publish button; ``confirmed`` is set by the page that asks when the start or deadline has passed."""
    confirmed = BooleanField()


class CancelEventForm(FlaskForm):
    """The cancellation's confirmation, with a note for the email (e.g. "we've moved to the hall next door")."""
    note = TextAreaField(
        _l("A note for the email (optional)"),
        validators=[Optional(), Length(max=event_rules.CANCEL_NOTE_MAX,
                                       message=_l("Use at most %(max)d characters.", max=event_rules.CANCEL_NOTE_MAX))],
        render_kw={"rows": 4, "maxlength": event_rules.CANCEL_NOTE_MAX, "dir": "auto"},
    )
