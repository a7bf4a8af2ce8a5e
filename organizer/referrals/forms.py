"""The form that adds a referral code. Its limits mirror services/campaigns/referrals.py, which checks again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from organizer.forms_common import FlaskForm
from organizer.services.campaigns import referrals


class ReferralCodeForm(FlaskForm):
    code = StringField(
        _l("New code"),
        validators=[DataRequired(message=_l("Enter a code, such as mosque-newsletter.")),
                    Length(max=referrals.CODE_MAX,
                           message=_l("Use at most %(max)d characters.", max=referrals.CODE_MAX))],
        render_kw={"maxlength": referrals.CODE_MAX, "spellcheck": "false", "autocapitalize": "none",
                   "autocomplete": "off", "placeholder": "mosque-newsletter"},
    )
