"""Bidi isolation for text people wrote, in pages (``<bdi>``) and text mails (Unicode isolates): the
``|bdi`` filter (registered by templating) and ``isolates`` (used by rendering/mail.py on text bodies)."""

from __future__ import annotations

from jinja2 import pass_eval_context
from markupsafe import Markup

from organizer.text import without_bidi_controls

# Text people wrote (names, titles, venues, headlines, answers) may be in Arabic inside an English page
# or the other way round. Isolated, it is laid out on its own and cannot drag the text around it: "محمد
# العلي + 1 guest" stays in that order. Pages and HTML mails get <bdi>; text mails get the Unicode
# isolates FSI (U+2068) … PDI (U+2069). Jinja's finalize drops every bidi control from what is rendered
# (security.strip_bidi_controls), so in text the filter writes NUL-marked placeholders, which no
# stored or typed text can hold (NUL is refused on input), and isolates() turns them into the real
# isolates once the body is rendered.
FSI, PDI = "\u2068", "\u2069"
_OPEN, _CLOSE = "\x00\x02", "\x00\x03"


@pass_eval_context
def bidi(eval_ctx, value) -> str:
    """``{{ rsvp.name|bdi }}``: the value isolated from the text around it (empty stays empty)."""
    if value is None or value == "":
        return Markup("") if eval_ctx.autoescape else ""
    if eval_ctx.autoescape:
        return Markup("<bdi>%s</bdi>") % value
    return f"{_OPEN}{without_bidi_controls(str(value))}{_CLOSE}"


def isolates(text: str) -> str:
    """A text rendered with ``|bdi`` placeholders, with the real isolates in their place."""
    if "\x00" not in text:
        return text
    return text.replace(_OPEN, FSI).replace(_CLOSE, PDI).replace("\x00", "")
