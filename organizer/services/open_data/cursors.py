"""Opaque, validated cursors for keyset pagination.

A cursor is the sort key of the last item of a page (a time or date, and an id), with the name of the
list it belongs to, as base64url JSON. It is opaque to clients but not secret: whoever edits one can
only ask for another position in the same public list, so it is validated, never signed. Anything
that is not a cursor this code made for this list is refused with ``ValidationFailed`` (the API
answers 400), never an exception further down.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime

from flask_babel import gettext as _

from organizer.services.common.errors import ValidationFailed

MAX_CURSOR_LENGTH = 200
MAX_ID = 2**31 - 1


def encode(kind: str, position: datetime | date | None, item_id: int) -> str:
    key = position.isoformat() if position is not None else None
    raw = json.dumps([kind, key, item_id], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(kind: str, cursor: str, position_type: type[datetime] | type[date] | None) -> tuple:
    """(position, id) from a cursor of list ``kind``; ``position_type`` None for lists sorted by id."""
    invalid = ValidationFailed(_("This cursor is not valid: use the next_cursor of a previous page."), "cursor")
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH or not cursor.isascii():
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        raise invalid from None
    if not (isinstance(value, list) and len(value) == 3 and value[0] == kind):
        raise invalid
    _kind, key, item_id = value
    if type(item_id) is not int or not 0 < item_id <= MAX_ID:
        raise invalid
    if position_type is None:
        if key is not None:
            raise invalid
        return None, item_id
    if not isinstance(key, str):
        raise invalid
    try:
        position = position_type.fromisoformat(key)
    except ValueError:
        raise invalid from None
    if isinstance(position, datetime) and position.tzinfo is not None:
        raise invalid  # times are kept as naive UTC
    if position_type is date and isinstance(position, datetime):
        raise invalid
    return position, item_id
