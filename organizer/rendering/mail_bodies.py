"""Rendering one mail's text and HTML from ``templates/email/``: shared by every renderer."""

from __future__ import annotations

from typing import Any

from flask import render_template
from jinja2 import TemplateNotFound

from organizer.bidi import isolates


def render_bodies(template: str, subject: str, **context: Any) -> tuple[str, str]:
    """``templates/email/<template>.txt`` and ``.html``. Every mail has both parts (issue 10.8); the
    text's user-written parts are isolated (``bidi.isolates``), the HTML's by the ``bdi`` filter."""
    context.setdefault("subject", subject)
    body_text = isolates(render_template(f"email/{template}.txt", **context))
    try:
        body_html = render_template(f"email/{template}.html", **context)
    except TemplateNotFound:
        body_html = ""
    return body_text, body_html
