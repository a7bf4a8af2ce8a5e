"""Plain text rules shared by models, services and pages: bidi controls, slugs, http(s) links, excerpts and
the folded form of names that search compares. Below the models (``models/rsvp.py`` stores the folded name),
so it imports nothing from the app."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Bidi embedding/override/isolate controls: invisible, and able to reorder the text around them
# ("Amina\u202egnp.exe" shows as "Aminaexe.png"). Nobody needs them to write a name in Arabic or
# Hebrew (the marks U+200E/U+200F stay), so they are dropped from what people type and, as a second
# line, from everything rendered.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def without_bidi_controls(value: str) -> str:
    return value if value.isascii() else value.translate(BIDI_CONTROLS)


def address_key(address: str) -> str:
    """The form of a validated email address that says whether two are the same: compatibility
    characters folded (NFKC, so a fullwidth "ｄupe" is "dupe", in the local part as in the domain)
    and lower-cased. Used to match and to count, never to send."""
    return unicodedata.normalize("NFKC", address).lower()


def slugify(value: str, max_length: int = 80) -> str:
    """A readable URL part in any script: "Vigil for Homs" -> "vigil-for-homs", "José" -> "jose",
    "وقفة تضامن مع حمص" -> "وقفة-تضامن-مع-حمص" (browsers show Unicode paths as typed; links carry
    them percent-encoded). Accents and Arabic short vowels go, letters and digits of every script stay."""
    decomposed = unicodedata.normalize("NFKD", value)
    # Arabic madda and hamza (U+0653-0655) are part of the letter (أ, آ, ؤ), not a vowel sign: kept.
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch) or "\u0653" <= ch <= "\u0655")
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFC", stripped).casefold()).strip("-")
    return slug[:max_length].strip("-") or "item"


SLUG_PATTERN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")


def is_slug(value: str) -> bool:
    """Letters and digits of any script in lower case, joined by single hyphens."""
    return bool(SLUG_PATTERN.fullmatch(value)) and value == value.casefold()


def is_http_url(value: str) -> bool:
    """Only http(s) URLs with a host: no javascript:, data:, or scheme-relative tricks."""
    if not value or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def excerpt(value: str, length: int = 180) -> str:
    value = " ".join((value or "").split())
    if len(value) <= length:
        return value
    return value[: length - 1].rsplit(" ", 1)[0] + "…"


def fold_for_search(text: str) -> str:
    """Case- and accent-insensitive form of a name ("José  Núñez" -> "jose nunez"): what the door
    list searches, stored with each RSVP (Rsvp.search_name) so the search runs in SQL. The same rule
    as static/js/door.js."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
