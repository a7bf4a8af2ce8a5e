"""Account forms. Passwords are checked for length here and again in services.accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from organizer.forms_common import FlaskForm
from organizer.services.accounts.accounts import MAX_NAME_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

EMAIL_MAX = 254


def _email_field(label=None, check_format=True):
    validators = [DataRequired(message=_l("Enter your email address.")), Length(max=EMAIL_MAX)]
    if check_format:
        validators.append(Email(message=_l("Enter a valid email address, like name@example.org."),
                                check_deliverability=False))
    return EmailField(
        label or _l("Email"),
        validators=validators,
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
    )


def _new_password_field(label):
    # Length is counted in characters; a 257-character password is refused, never cut.
    return PasswordField(
        label,
        validators=[
            InputRequired(message=_l("Choose a password.")),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                   message=_l("Use between %(min)s and %(max)s characters.",
                              min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)),
        ],
        render_kw={"autocomplete": "new-password", "minlength": MIN_PASSWORD_LENGTH,
                   "maxlength": MAX_PASSWORD_LENGTH},
    )


def _confirm_field(other: str, label=None):
    return PasswordField(
        label or _l("Type the new password again"),
        validators=[InputRequired(message=_l("Type the password again.")),
                    EqualTo(other, message=_l("The two passwords don't match."))],
        render_kw={"autocomplete": "new-password"},
    )


class SignupForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=MAX_NAME_LENGTH)],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password = _new_password_field(_l("Password"))
    confirm = _confirm_field("password", _l("Type the password again"))


class ConfirmSignupForm(FlaskForm):
    """Only the CSRF token: the account is created by a POST, so link scanners can't confirm it."""


class LoginForm(FlaskForm):
    email = _email_field(check_format=False)  # any typo gets the one generic sign-in error
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = _new_password_field(_l("New password"))
    confirm = _confirm_field("new_password")


class ResetRequestForm(FlaskForm):
    email = _email_field(_l("Your account's email address"))


class ResetPasswordForm(FlaskForm):
    new_password = _new_password_field(_l("New password"))
    confirm = _confirm_field("new_password")


class LanguageForm(FlaskForm):
    """The account's language; the choices (each language named in itself) are set by the view."""

    locale = SelectField(_l("Language of pages and emails"), choices=[], validate_choice=True)


def _code_field(label):
    return StringField(
        label,
        validators=[InputRequired(message=_l("Type the code.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false",
                   "autocapitalize": "none", "autofocus": True},
    )


class TwoFactorLoginForm(FlaskForm):
    code = _code_field(_l("Code from your authenticator app, or a recovery code"))


class TwoFactorEnableForm(FlaskForm):
    code = _code_field(_l("The 6-digit code your app shows"))


class TwoFactorDisableForm(FlaskForm):
    password_or_code = PasswordField(
        _l("Your password, or a code from your app"),
        validators=[InputRequired(message=_l("Type your password or a code."))],
        render_kw={"autocomplete": "current-password"},
    )
