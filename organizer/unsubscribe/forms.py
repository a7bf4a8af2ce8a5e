"""The unsubscribe page's forms: unsubscribing needs none (see views.py); undoing it is an ordinary form."""

from __future__ import annotations

from organizer.forms_common import FlaskForm


class ResubscribeForm(FlaskForm):
    """"Get this campaign's emails again": carries the CSRF token, since only a person on the page does this."""
