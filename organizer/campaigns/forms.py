"""Campaign, member and coverage-library forms. Limits mirror the services, which check again."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from organizer.forms_common import FlaskForm
from organizer.models import Role
from organizer.services.campaigns import campaigns as campaign_rules
from organizer.services.coverage import coverage as coverage_rules
from organizer.services.coverage.extraction import ArticleDetails
from organizer.timeutil import timezone_names


def _configured_timezone() -> str:
    """A new campaign's zone starts as the deployment's DEFAULT_TIMEZONE (read when the form is built)."""
    return current_app.config["DEFAULT_TIMEZONE"]


ROLE_LABELS = {
    Role.OWNER: _l("Owner — everything, including members"),
    Role.ORGANIZER: _l("Organizer — events, coverage and RSVPs"),
    Role.COORDINATOR: _l("Coordinator — sees attendees, exports"),
    Role.DOOR: _l("Door volunteer — check-in only"),
}
ROLE_NAMES = {
    Role.OWNER: _l("Owner"),
    Role.ORGANIZER: _l("Organizer"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.DOOR: _l("Door volunteer"),
}


def role_choices():
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in reversed(list(Role))]


def short_role_choices():
    return [SelectChoice(role.value, ROLE_NAMES[role]) for role in reversed(list(Role))]


def timezone_choices():
    return [SelectChoice(name, name.replace("_", " ")) for name in timezone_names()]


def _text(label, limit, *, required_message=None, **kwargs):
    validators = [DataRequired(message=required_message)] if required_message else [Optional()]
    validators.append(Length(max=limit, message=_l("Use at most %(max)d characters.", max=limit)))
    return StringField(label, validators=validators, render_kw={"maxlength": limit}, **kwargs)


class CampaignForm(FlaskForm):
    name = _text(_l("Campaign name"), campaign_rules.NAME_MAX,
                 required_message=_l("Enter a name for the campaign."))
    summary = _text(_l("One-line summary"), campaign_rules.SUMMARY_MAX)
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=campaign_rules.DESCRIPTION_MAX,
                           message=_l("Use at most %(max)d characters.", max=campaign_rules.DESCRIPTION_MAX))],
        render_kw={"rows": 8},
    )
    default_venue_name = _text(_l("Usual venue"), campaign_rules.VENUE_MAX)
    default_address = _text(_l("Street address"), campaign_rules.ADDRESS_MAX)
    default_city = _text(_l("City"), campaign_rules.CITY_MAX)
    default_country = _text(_l("Country"), campaign_rules.COUNTRY_MAX)
    slug = _text(_l("Web address"), campaign_rules.SLUG_MAX)
    default_timezone = SelectField(_l("Usual timezone"), choices=timezone_choices, default=_configured_timezone,
                                   validate_choice=False)
    # Not named like the model's column, so obj= doesn't fill it with an int (or None) the choices don't have.
    retention = SelectField(
        _l("Forget supporters' names, emails, phones and answers"),
        choices=lambda: [SelectChoice("30", _l("30 days after each event")),
                         SelectChoice("90", _l("90 days after each event")),
                         SelectChoice("365", _l("365 days after each event")),
                         SelectChoice("never", _l("Never (keep until deleted)"))],
        default="90",
    )
    contact_email = EmailField(
        _l("Contact address for replies"),
        validators=[Optional(), Length(max=campaign_rules.CONTACT_EMAIL_MAX,
                                       message=_l("Use at most %(max)d characters.",
                                                  max=campaign_rules.CONTACT_EMAIL_MAX))],
        render_kw={"maxlength": campaign_rules.CONTACT_EMAIL_MAX, "autocomplete": "email", "spellcheck": "false",
                   "autocapitalize": "none"},
    )
    two_factor_required = BooleanField(
        _l("Require two-factor sign-in from everyone who can see supporters' details (owners, organizers, "
           "coordinators)"))


class InviteForm(FlaskForm):
    email = EmailField(
        _l("Their email address"),
        validators=[DataRequired(message=_l("Enter the email address to send the invitation to.")),
                    Length(max=254, message=_l("Use at most %(max)d characters.", max=254))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )
    role = SelectField(_l("Role"), choices=role_choices, default=Role.ORGANIZER.value, validate_choice=False)


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=short_role_choices, validate_choice=False)


class CoverageForm(FlaskForm):
    url = URLField(
        _l("Web address of the article"),
        validators=[DataRequired(message=_l("Paste the article's web address.")),
                    Length(max=coverage_rules.URL_MAX,
                           message=_l("Use at most %(max)d characters.", max=coverage_rules.URL_MAX))],
        render_kw={"maxlength": coverage_rules.URL_MAX, "placeholder": "https://", "spellcheck": "false",
                   "autocapitalize": "none"},
    )
    # dir="auto": an Arabic headline typed or filled in from its page reads right to left in its field.
    headline = StringField(
        _l("Headline"),
        validators=[DataRequired(message=_l("Enter the headline.")),
                    Length(max=coverage_rules.HEADLINE_MAX,
                           message=_l("Use at most %(max)d characters.", max=coverage_rules.HEADLINE_MAX))],
        render_kw={"maxlength": coverage_rules.HEADLINE_MAX, "dir": "auto"})
    outlet = StringField(
        _l("Outlet"),
        validators=[Optional(), Length(max=coverage_rules.OUTLET_MAX,
                                       message=_l("Use at most %(max)d characters.", max=coverage_rules.OUTLET_MAX))],
        render_kw={"maxlength": coverage_rules.OUTLET_MAX, "dir": "auto"})
    author = StringField(
        _l("Author"),
        validators=[Optional(), Length(max=coverage_rules.AUTHOR_MAX,
                                       message=_l("Use at most %(max)d characters.", max=coverage_rules.AUTHOR_MAX))],
        render_kw={"maxlength": coverage_rules.AUTHOR_MAX, "dir": "auto"})
    published_on = DateField(_l("Published on"), validators=[Optional()],
                             render_kw={"max": "2100-12-31", "min": "1900-01-01"})
    excerpt = TextAreaField(
        _l("Excerpt"),
        validators=[Length(max=coverage_rules.EXCERPT_MAX,
                           message=_l("Use at most %(max)d characters.", max=coverage_rules.EXCERPT_MAX))],
        render_kw={"rows": 4, "maxlength": coverage_rules.EXCERPT_MAX, "dir": "auto"},
    )
    language = StringField(
        _l("Language"),
        default="en",
        validators=[Optional(), Length(max=16, message=_l("Use at most %(max)d characters.", max=16))],
        render_kw={"maxlength": 16, "spellcheck": "false", "autocapitalize": "none"},
    )

    def fill_from(self, details: ArticleDetails) -> list[str]:
        """Puts what the article's page says into the fields the organizer left empty (what they typed
        stays), and returns the names of the fields it filled. The language counts as empty while it
        is still the default."""
        filled = []
        for name in ("headline", "outlet", "author", "published_on", "excerpt", "language"):
            value = getattr(details, name)
            current = self[name].data
            empty = current in (None, "") or (name == "language" and current == self.language.default)
            if value and empty and value != current:
                self[name].data = value
                self[name].raw_data = []  # else a date input renders what was posted (nothing), not the data
                filled.append(name)
        return filled

    def to_input(self) -> coverage_rules.CoverageInput:
        return coverage_rules.CoverageInput(
            url=self.url.data or "", headline=self.headline.data or "", outlet=self.outlet.data or "",
            author=self.author.data or "", published_on=self.published_on.data, excerpt=self.excerpt.data or "",
            language=self.language.data or "en",
        )
