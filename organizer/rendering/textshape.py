"""Text for pictures drawn with Pillow: shaped, in its own direction, wrapped to a width.

Arabic letters take a different form at the start, middle and end of a word, and a line of Arabic runs
right to left. Pillow does both with libraqm when its wheel finds the system's FriBiDi (Debian: libfribidi0);
without it Pillow lays out one glyph per character, left to right, so the text is first put into its
joined presentation forms (arabic-reshaper) and visual order (python-bidi). Either way the caller hands
over text in logical order, as typed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import arabic_reshaper
from bidi import get_display
from PIL import ImageDraw, ImageFont, features

RAQM_AVAILABLE: bool = bool(features.check("raqm"))
ELLIPSIS = "…"


def base_direction(text: str, default: str = "ltr") -> str:
    """The direction of a paragraph: that of its first strong character (Unicode's rule P2)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in {"R", "AL"}:
            return "rtl"
        if kind == "L":
            return "ltr"
    return default


class Shaper:
    """Measures, wraps and draws text with one layout engine (raqm when available, unless told)."""

    def __init__(self, use_raqm: bool | None = None) -> None:
        self.use_raqm = RAQM_AVAILABLE if use_raqm is None else use_raqm

    def font(self, path: str, size: int) -> ImageFont.FreeTypeFont:
        return _font(path, size, self.use_raqm)

    def visual(self, text: str, direction: str) -> str:
        """What to hand to Pillow: the text itself for raqm, else joined forms in display order."""
        if self.use_raqm:
            return text
        return get_display(arabic_reshaper.reshape(text), base_dir="R" if direction == "rtl" else "L")

    def width(self, font: ImageFont.FreeTypeFont, text: str, direction: str) -> float:
        if self.use_raqm:
            return font.getlength(text, direction=direction)
        return font.getlength(self.visual(text, direction))

    def draw(self, canvas: ImageDraw.ImageDraw, xy: tuple[float, float], text: str,
             font: ImageFont.FreeTypeFont, fill: str, direction: str) -> None:
        """Draw one line with its top left corner at ``xy`` (the caller aligns it)."""
        if self.use_raqm:
            canvas.text(xy, text, font=font, fill=fill, direction=direction)
        else:
            canvas.text(xy, self.visual(text, direction), font=font, fill=fill)

    def wrap(self, text: str, font: ImageFont.FreeTypeFont, max_width: float, max_lines: int,
             direction: str) -> list[str]:
        """Lines in logical order that fit ``max_width``; the last one ends in "…" if text was left over."""
        lines: list[str] = []
        words = text.split()
        current = ""
        while words:
            word = words[0]
            candidate = f"{current} {word}" if current else word
            if self.width(font, candidate, direction) <= max_width:
                current = candidate
                words.pop(0)
                continue
            if not current:  # one word wider than the line: break it where it stops fitting
                cut = self._fitting_prefix(word, font, max_width, direction)
                current, words[0] = word[:cut], word[cut:]
            lines.append(current)
            current = ""
            if len(lines) == max_lines:
                break
        if current and len(lines) < max_lines:
            lines.append(current)
        if words and lines:
            lines[-1] = self._with_ellipsis(lines[-1], font, max_width, direction)
        return lines

    def _fitting_prefix(self, word: str, font: ImageFont.FreeTypeFont, max_width: float, direction: str) -> int:
        cut = len(word)
        while cut > 1 and self.width(font, word[:cut], direction) > max_width:
            cut -= 1
        return cut

    def _with_ellipsis(self, line: str, font: ImageFont.FreeTypeFont, max_width: float, direction: str) -> str:
        while line and self.width(font, line + ELLIPSIS, direction) > max_width:
            line = line[:-1]
        return line.rstrip() + ELLIPSIS


@lru_cache(maxsize=32)
def _font(path: str, size: int, raqm: bool) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, layout_engine=engine)
