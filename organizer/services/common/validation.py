"""Checks shared by the services' input rules, with messages people can read (and translators see)."""

from __future__ import annotations

import enum
import re

from flask_babel import gettext as _

from organizer.services.common.errors import ValidationFailed
from organizer.text import without_bidi_controls

# Primary keys are 32-bit integers: a larger id typed into a form can't name a row, and would
# overflow the database driver (a 500) if it reached a query.
MAX_ID = 2**31 - 1

_CLIENT_KEY = re.compile(r"[A-Za-z0-9_-]+")


def clean_client_key(key: str | None, *, min_length: int, field: str | None) -> str | None:
    """A key a page's script made so that a retried request is recognised (letters, digits, '-' and '_',
    ``min_length`` to 64 of them); None when none was sent. Anything else is refused, never stored."""
    if key is None or key == "":
        return None
    if not min_length <= len(key) <= 64 or not _CLIENT_KEY.fullmatch(key):
        raise ValidationFailed(_("That request could not be matched. Reload the page and try again."), field=field)
    return key


def clean_text(value: str | None, limit: int, field: str, *, required_message: str | None = None) -> str:
    """``value`` stripped; refused when longer than ``limit`` (or empty, when ``required_message`` is given)."""
    value = without_bidi_controls((value or "").strip())
    if required_message and not value:
        raise ValidationFailed(required_message, field=field)
    if len(value) > limit:
        raise ValidationFailed(_("Use at most %(n)s characters.", n=limit), field=field)
    return value


def one_of(enum_class: type[enum.Enum], value, field: str, message: str | None = None):
    """``value`` as a member of ``enum_class``, or a form error on ``field``."""
    try:
        return enum_class(value)
    except ValueError as error:
        raise ValidationFailed(message or _("Choose one of the options."), field=field) from error


def is_valid_id(value) -> bool:
    """Whether ``value`` could be the primary key of a row (so it is safe to look up)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
