"""Door forms. Every state-changing form carries an idempotency key made when the page is drawn
(and replaced per tap by static/js/door.js), so a resubmitted form or a retried tap does nothing twice."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from organizer.forms_common import FlaskForm


def new_key() -> str:
    return secrets.token_urlsafe(18)


# Fields never shown with a label get an empty one: without it wtforms translates a label made from the
# field's name, and Flask-WTF loads wtforms' message catalogue from disk for it on every request
# (~0.4 ms of a ~4 ms tap, which needs none of its messages).
NO_LABEL = ""


class KeyedForm(FlaskForm):
    idempotency_key = HiddenField(NO_LABEL, default=new_key)


class CheckInForm(KeyedForm):
    q = HiddenField(NO_LABEL)  # the search to return to (no-JS)
    # How many of a party arrived now; absent (a party of one, or "all"): everyone not yet in.
    persons = IntegerField(validators=[Optional(), NumberRange(min=1, max=1000)])


class WalkInForm(KeyedForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter the person's name.")),
                                               Length(max=120)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254)])


class CrowdForm(KeyedForm):
    change = StringField(NO_LABEL)  # "1", "10", "-1" or "set": the value of the button pressed (not rendered)
    count = IntegerField(_l("Crowd count"), validators=[Optional(), NumberRange(min=0, max=1_000_000)])


class ScanForm(KeyedForm):
    code = StringField(_l("Ticket code"),
                       validators=[DataRequired(message=_l("Type the code under the ticket's QR code.")),
                                                      Length(max=2048)],
                       description=_l("The code under the QR code, e.g. 3F2A9-C1B04."))


class LeaveForm(FlaskForm):
    """Leaving the door: a POST with its CSRF token and nothing else."""


class DoorLinkForm(FlaskForm):
    label = StringField(_l("Label"), validators=[Optional(), Length(max=120)],
                        description=_l("Who or which door it is for, e.g. \u201cFront door, Sam\u201d."))
