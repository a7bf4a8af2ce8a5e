"""The invitee's forms: join with the account they are signed in with, or create one for the address."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from organizer.forms_common import FlaskForm
from organizer.services.accounts.accounts import MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class NewAccountForm(FlaskForm):
    """No email field: the account is made for the invited address, which the link proves."""

    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=MAX_NAME_LENGTH)],
        render_kw={"autocomplete": "name", "maxlength": MAX_NAME_LENGTH},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            InputRequired(message=_l("Choose a password.")),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                   message=_l("Use between %(min)s and %(max)s characters.",
                              min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)),
        ],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH,
                   "maxlength": MAX_PASSWORD_LENGTH},
    )
    confirm = PasswordField(
        _l("Type the password again"),
        validators=[InputRequired(message=_l("Type the password again.")),
                    EqualTo("password", message=_l("The two passwords don't match."))],
        render_kw={"autocomplete": "new-password"},
    )
