"""The picture a messenger shows beside a shared link (1200×630 PNG, the size OpenGraph readers expect).

Drawn from plain strings (``ShareCard``), so the picture is a function of what it says: the ETag is a hash
of the card, and the same card always gives the same bytes. In a right-to-left language the layout is
mirrored (text set from the right edge); each piece of text keeps the direction of its own script.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import astuple, dataclass

from PIL import Image, ImageDraw

from organizer.paths import STATIC_DIR
from organizer.rendering.textshape import Shaper, base_direction
from organizer.text import without_bidi_controls

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
FONT_DIR = STATIC_DIR / "fonts"
REGULAR = str(FONT_DIR / "Vazirmatn-Regular.ttf")
BOLD = str(FONT_DIR / "Vazirmatn-Bold.ttf")
# Bumped when the drawing changes, so that cached pictures and their ETags change with it.
DESIGN_VERSION = "1"

INK = "#1b1b1f"
PAPER = "#ffffff"
WASH = "#f5f4f0"
ACCENT = "#b3261e"
MUTED = "#55565e"


@dataclass(frozen=True)
class ShareCard:
    """What the picture says, already formatted in the reader's language."""

    direction: str  # of the reader's language: "ltr" or "rtl"
    kicker: str  # the campaign's name
    title: str
    when: str = ""  # date and time with the zone
    place: str = ""  # city
    news_label: str = ""  # "Why we're meeting"
    headline: str = ""  # of the prompting article
    outlet: str = ""
    footer: str = ""  # the site's host

    def etag(self) -> str:
        digest = hashlib.sha256(repr((DESIGN_VERSION, *astuple(self))).encode("utf-8")).hexdigest()
        return digest[:32]


class _Layout:
    """Sets lines from the top down, aligned to the reader's side."""

    def __init__(self, canvas: ImageDraw.ImageDraw, shaper: Shaper, direction: str,
                 left: int = MARGIN, right: int = WIDTH - MARGIN) -> None:
        self.canvas, self.shaper, self.direction = canvas, shaper, direction
        self.left, self.right = left, right
        self.y = 0.0

    def block(self, text: str, font_path: str, size: int, fill: str, max_lines: int, leading: float = 1.3) -> None:
        # Bidi overrides and isolates are dropped, as from every page: each block gets its own direction.
        text = without_bidi_controls(text).strip()
        if not text:
            return
        font = self.shaper.font(font_path, size)
        direction = base_direction(text, self.direction)
        for line in self.shaper.wrap(text, font, self.right - self.left, max_lines, direction):
            width = self.shaper.width(font, line, direction)
            x = self.right - width if self.direction == "rtl" else self.left
            self.shaper.draw(self.canvas, (x, self.y), line, font, fill, direction)
            self.y += size * leading


def render_png(card: ShareCard, shaper: Shaper | None = None) -> bytes:
    shaper = shaper or Shaper()
    image = Image.new("RGB", (WIDTH, HEIGHT), WASH)
    canvas = ImageDraw.Draw(image)
    rtl = card.direction == "rtl"
    # A red band on the reader's starting side, like the page's header rule.
    band = (WIDTH - 24, 0, WIDTH, HEIGHT) if rtl else (0, 0, 24, HEIGHT)
    canvas.rectangle(band, fill=ACCENT)

    layout = _Layout(canvas, shaper, card.direction)
    layout.y = 56
    layout.block(card.kicker, BOLD, 32, ACCENT, max_lines=1)
    layout.y += 8
    title_size = 64 if len(card.title) <= 60 else 54
    layout.block(card.title, BOLD, title_size, INK, max_lines=3, leading=1.25)
    layout.y += 12
    layout.block(card.when, REGULAR, 32, INK, max_lines=1)
    layout.block(card.place, REGULAR, 32, MUTED, max_lines=1)

    if card.headline:
        _news_box(canvas, shaper, card, top=max(int(layout.y) + 20, 380))
    if card.footer:
        footer = _Layout(canvas, shaper, card.direction)
        footer.y = HEIGHT - 52
        footer.block(card.footer, REGULAR, 24, MUTED, max_lines=1)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _news_box(canvas: ImageDraw.ImageDraw, shaper: Shaper, card: ShareCard, top: int) -> None:
    """The news behind the meeting, as a white card as tall as what it holds: label, headline (two lines
    at most, one if the title left little room), outlet."""
    room = HEIGHT - 76 - top
    headline_font = shaper.font(BOLD, 30)
    direction = base_direction(card.headline, card.direction)
    width = WIDTH - 2 * MARGIN - 16
    lines = len(shaper.wrap(card.headline, headline_font, width, 2 if room >= 170 else 1, direction))
    height = 32 + 22 * 1.3 + lines * 30 * 1.25 + (24 * 1.3 if card.outlet else 0) + 8
    if height > room:
        return
    canvas.rounded_rectangle((MARGIN - 20, top, WIDTH - MARGIN + 20, top + height), radius=14, fill=PAPER,
                             outline="#d9d9e0", width=2)
    inner = _Layout(canvas, shaper, card.direction, left=MARGIN + 8, right=WIDTH - MARGIN - 8)
    inner.y = top + 16
    inner.block(card.news_label, BOLD, 22, ACCENT, max_lines=1)
    inner.block(card.headline, BOLD, 30, INK, max_lines=lines, leading=1.25)
    inner.block(card.outlet, REGULAR, 24, MUTED, max_lines=1)
