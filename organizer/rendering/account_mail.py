"""Account emails (sign-up, "you already have an account", password reset, a team invitation): text and HTML from
``templates/email/``, rendered by the outbox worker from what services/accounts/accounts.py wrote."""

from __future__ import annotations

from organizer.rendering.mail_bodies import render_bodies
from organizer.services.accounts.accounts import ACCOUNT_TEMPLATES
from organizer.services.mail.outbox import Bodies, NothingToSend

_VALUES = ("login_url", "reset_url", "link", "hours", "minutes", "inviter", "campaign", "role")


def account_mail(subject: str, data: dict) -> Bodies:
    template = data.get("template")
    if template not in ACCOUNT_TEMPLATES:
        raise NothingToSend(f"no account email {template!r}")
    body_text, body_html = render_bodies(template, subject, **{key: data[key] for key in _VALUES if key in data})
    return Bodies(body_text, body_html)
