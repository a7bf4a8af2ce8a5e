"""The share picture: a valid 1200×630 PNG, the same bytes for the same card, and Arabic joined and set right
to left, checked against a reference drawn from the word's presentation forms typed by hand."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFont

from organizer.rendering import textshape
from organizer.rendering.share_image import ACCENT, BOLD, REGULAR, ShareCard, render_png
from organizer.rendering.textshape import Shaper, base_direction

# "سلام" (peace): seen, lam, alef, meem as typed, in logical order...
WORD = "\u0633\u0644\u0627\u0645"
# ...and as it must look, left to right on the page: meem alone (ﻡ), the lam-alef ligature in its final form (ﻼ),
# seen in its initial form (ﺳ). Typed by hand from the Unicode charts, not made by any code under test.
WORD_VISUAL_FORMS = "\ufee1\ufefc\ufeb3"
ENGINES = [False, True] if textshape.RAQM_AVAILABLE else [False]


def _ink(draw_text) -> Image.Image:
    image = Image.new("L", (800, 200), 0)
    draw_text(ImageDraw.Draw(image))
    box = image.getbbox()
    assert box is not None
    return image.crop(box).point(lambda value: 255 if value > 128 else 0)


def _mismatch(one: Image.Image, other: Image.Image) -> float:
    """Pixels that differ, as a share of the first picture's ink (both aligned on their right edge)."""
    width, height = max(one.width, other.width), max(one.height, other.height)
    a, b = Image.new("L", (width, height)), Image.new("L", (width, height))
    a.paste(one, (width - one.width, 0))
    b.paste(other, (width - other.width, 0))
    ink = a.histogram()[255]
    return ImageChops.difference(a, b).histogram()[255] / ink


def _reference() -> Image.Image:
    font = ImageFont.truetype(REGULAR, 72, layout_engine=ImageFont.Layout.BASIC)
    return _ink(lambda canvas: canvas.text((20, 40), WORD_VISUAL_FORMS, font=font, fill=255))


@pytest.mark.parametrize("use_raqm", ENGINES, ids=lambda raqm: "raqm" if raqm else "reshaper+bidi")
def test_an_arabic_word_is_joined_and_right_to_left(use_raqm):
    shaper = Shaper(use_raqm=use_raqm)
    font = shaper.font(REGULAR, 72)
    drawn = _ink(lambda canvas: shaper.draw(canvas, (20, 40), WORD, font, "white", "rtl"))
    assert _mismatch(_reference(), drawn) < 0.02


def test_control_the_letters_unjoined_do_not_match_the_reference():
    """What Pillow draws without shaping (each letter alone, left to right) is far from the reference:
    the comparison above can tell."""
    font = ImageFont.truetype(REGULAR, 72, layout_engine=ImageFont.Layout.BASIC)
    unshaped = _ink(lambda canvas: canvas.text((20, 40), WORD, font=font, fill=255))
    assert _mismatch(_reference(), unshaped) > 0.5


def test_the_direction_of_a_text_is_that_of_its_first_strong_letter():
    assert base_direction("لقاء في London") == "rtl"
    assert base_direction("London لقاء") == "ltr"
    assert base_direction("19:00 ·", default="rtl") == "rtl"


def test_wrapping_keeps_to_the_width_and_ends_what_is_cut_with_an_ellipsis():
    shaper = Shaper()
    font = shaper.font(BOLD, 64)
    title = "اجتماع عام: بعد وقف إطلاق النار في حلب، ما العمل؟ " * 4
    lines = shaper.wrap(title, font, 1056, 3, "rtl")
    assert len(lines) == 3
    assert all(shaper.width(font, line, "rtl") <= 1056 for line in lines)
    assert lines[-1].endswith("…")
    assert shaper.wrap("short", font, 1056, 3, "ltr") == ["short"]


def _card(**overrides) -> ShareCard:
    values = dict(direction="ltr", kicker="Syria Solidarity", title="After the ceasefire: what next?",
                  when="Saturday 12 December 2026, 19:00 GMT", place="London", news_label="Why we're meeting",
                  headline="Syrians defy assault on Homs", outlet="Socialist Worker", footer="organizer.example.org")
    values.update(overrides)
    return ShareCard(**values)


def test_the_picture_is_a_valid_png_of_the_size_previews_expect():
    data = render_png(_card())
    picture = Image.open(io.BytesIO(data))
    picture.verify()
    picture = Image.open(io.BytesIO(data))
    assert (picture.format, picture.size) == ("PNG", (1200, 630))
    assert render_png(_card()) == data  # the same card, the same bytes (its ETag is the card's hash)
    assert _card().etag() == _card().etag() != _card(place="Leeds").etag()


def test_a_right_to_left_card_is_mirrored():
    ltr = Image.open(io.BytesIO(render_png(_card()))).convert("RGB")
    rtl = Image.open(io.BytesIO(render_png(_card(direction="rtl", kicker="حملة التضامن مع سوريا",
                                                  title="بعد وقف إطلاق النار: ما العمل؟", place="لندن"))))
    rtl = rtl.convert("RGB")
    accent = ImageColor.getrgb(ACCENT)
    assert ltr.getpixel((5, 300)) == accent and rtl.getpixel((1195, 300)) == accent
    # The title's line starts at the reader's margin: ink at its start, none at the far end of the line.
    title_row = (150, 190)
    assert _has_ink(rtl, (1000, title_row[0], 1128, title_row[1]))
    assert not _has_ink(rtl, (72, title_row[0], 300, title_row[1]))
    assert _has_ink(ltr, (72, title_row[0], 200, title_row[1]))


def _has_ink(picture: Image.Image, box: tuple[int, int, int, int]) -> bool:
    dark = picture.crop(box).convert("L").point(lambda value: 255 if value < 100 else 0)
    return dark.getbbox() is not None


def test_bidi_controls_typed_into_a_title_are_dropped_from_the_picture():
    plain = render_png(_card(title="Amina gnp.exe"))
    assert render_png(_card(title="Amina \u202egnp.exe\u202c")) == plain
