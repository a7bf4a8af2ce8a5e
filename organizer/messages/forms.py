"""The message form: who, subject, text; the same form carries a draft through preview, test and send."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from organizer.forms_common import FlaskForm
from organizer.services.messaging import messages


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MessageForm(FlaskForm):
    # Checked by the service (segments.audience), which says why a choice is not offered.
    segments = MultiCheckboxField(_l("Who gets it"), validate_choice=False)
    subject = StringField(_l("Subject"), render_kw={"maxlength": messages.SUBJECT_LIMIT, "dir": "auto"})
    body = TextAreaField(_l("Message"), render_kw={"rows": 10, "maxlength": messages.BODY_LIMIT, "dir": "auto"})
    # Made when the draft is previewed; sending twice with it sends once.
    idempotency_key = HiddenField()
    preview = SubmitField(_l("Preview"))
    edit = SubmitField(_l("Change it"))
    test = SubmitField(_l("Send a test to me"))
    send = SubmitField(_l("Send"))
