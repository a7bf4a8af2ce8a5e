"""The export form: which people, which columns, which file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from organizer.forms_common import FlaskForm

COLUMN_LABELS = {
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "guests": _l("Guests (one event)"),
    "status": _l("Status (one event)"),
    "source": _l("Online or walk-in (one event)"),
    "consent_contact": _l("Consent to contact"),
    "rsvp_at": _l("RSVP time (one event)"),
    "checked_in": _l("Checked in (one event)"),
    "checked_in_at": _l("Check-in time (one event)"),
    "answers": _l("Answers to the event's questions (one event)"),
    "events_rsvped": _l("Events RSVPed to (whole campaign)"),
    "events_attended": _l("Events attended (whole campaign)"),
    "first_rsvp_at": _l("First RSVP (whole campaign)"),
    "last_rsvp_at": _l("Latest RSVP (whole campaign)"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExportForm(FlaskForm):
    target = SelectField(_l("Which list"), validators=[InputRequired()])
    statuses = MultiCheckboxField(
        _l("People who are"),
        choices=[SelectChoice("going", _l("Going")), SelectChoice("waitlisted", _l("On the waiting list")),
                 SelectChoice("cancelled", _l("Cancelled"))],
        default=["going"],
    )
    checked_in = RadioField(
        _l("Attendance"),
        choices=[SelectChoice("any", _l("Everyone")), SelectChoice("yes", _l("Only people checked in")),
                 SelectChoice("no", _l("Only people not checked in"))],
        default="any",
    )
    consent_only = BooleanField(_l("Only people who agreed to be contacted"))
    preset = RadioField(
        _l("Columns"),
        choices=[SelectChoice("names", _l("Names only")), SelectChoice("contact", _l("Names and contact details")),
                 SelectChoice("all", _l("Everything")), SelectChoice("custom", _l("Let me choose"))],
        default="names",
    )
    columns = MultiCheckboxField(
        _l("Choose columns"),
        choices=[SelectChoice(value, label) for value, label in COLUMN_LABELS.items()],
        default=["name"],
    )
    file_format = RadioField(
        _l("File"),
        choices=[SelectChoice("csv", _l("CSV (any spreadsheet or mail tool)")),
                 SelectChoice("xlsx", _l("Excel spreadsheet (.xlsx)"))],
        default="csv",
    )
