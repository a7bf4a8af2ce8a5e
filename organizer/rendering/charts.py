"""Small SVG charts drawn on the server: no library, no script, no inline styles.

Right to left (``rtl=True``): the picture is mirrored (the value axis on the right, categories and time
running from right to left, the legend from the right) by mirroring every x coordinate, and the svg
carries ``direction="rtl"``, so each ``text-anchor`` (start/end) flips with it and labels in Arabic
read in their own order.

Colours come from classes styled in app.css (with presentation attributes as a fallback for
printing and feeds). Each chart is an <svg role="img"> with a <title> and a <desc> summarising the
numbers; pages also show the same numbers in a table, so nothing depends on seeing the picture.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

_ids = itertools.count(1)

WIDTH = 480
HEIGHT = 260
LEFT = 44
RIGHT = 16
TOP = 16
BOTTOM = 60
LABEL_MAX = 18
VALUE_LABEL_MIN_BAR = 20  # narrower bars get no number above them (it would run into the next one's)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    css_class: str  # chart__series--1, --2, --3
    colour: str  # presentation attribute fallback


PALETTE = (
    ("chart__series--1", "#b3261e"),
    ("chart__series--2", "#1f6f3f"),
    ("chart__series--3", "#1a56db"),
)


def nice_ceiling(value: float) -> tuple[int, int]:
    """A round axis maximum at or above ``value`` and the step between its ticks (about 4 ticks)."""
    if value <= 0:
        return 4, 1
    raw_step = value / 4
    magnitude = 10 ** math.floor(math.log10(raw_step))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if step >= raw_step and float(step).is_integer():
            break
    else:  # pragma: no cover - the loop always finds 10 * magnitude
        step = 10 * magnitude
    step = max(int(step), 1)
    return int(math.ceil(value / step) * step), step


def _short(label: str, limit: int = LABEL_MAX) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "\u2026"


@dataclass(frozen=True)
class _Axis:
    """x as drawn: the same, or mirrored across the chart for right-to-left."""

    width: int
    rtl: bool

    def x(self, value: float) -> float:
        return self.width - value if self.rtl else value

    def left_edge(self, value: float, size: float) -> float:
        """Where a shape that starts at ``value`` and is ``size`` wide has its left edge."""
        return self.width - value - size if self.rtl else value


def _open_svg(width: int, title: str, desc: str, rtl: bool = False) -> tuple[list[str], str]:
    uid = f"chart-{next(_ids)}"
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="{"xMaxYMin" if rtl else "xMinYMin"} meet" direction="{"rtl" if rtl else "ltr"}">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
    ]
    return parts, uid


def _y_axis(parts: list[str], axis: _Axis, top_value: int, step: int) -> None:
    plot_height = HEIGHT - TOP - BOTTOM
    parts.append('<g class="chart__grid" aria-hidden="true">')
    for tick in range(0, top_value + 1, step):
        y = TOP + plot_height - plot_height * tick / top_value
        parts.append(f'<line x1="{axis.x(LEFT):.0f}" x2="{axis.x(axis.width - RIGHT):.0f}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#d9d9e0"/>')
        parts.append(f'<text x="{axis.x(LEFT - 6):.0f}" y="{y + 4:.1f}" text-anchor="end" class="chart__tick" '
                     f'fill="#55565e" font-size="14">{tick:,}</text>')
    parts.append("</g>")


def bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str,
              desc: str, rtl: bool = False) -> Markup:
    """Grouped bars: one group per category (e.g. an event), one bar per series."""
    coloured = [Series(name, values, *PALETTE[index % len(PALETTE)]) for index, (name, values) in enumerate(series)]
    group_width = max(28 * len(coloured) + 24, 96)
    width = max(WIDTH, LEFT + RIGHT + group_width * len(categories))
    axis = _Axis(width, rtl)
    parts, _uid = _open_svg(width, title, desc, rtl)
    top_value, step = nice_ceiling(max([v for s in coloured for v in s.values] or [0]))
    _y_axis(parts, axis, top_value, step)
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = width - LEFT - RIGHT
    slot = plot_width / max(len(categories), 1)
    bar = min(28.0, (slot - 16) / max(len(coloured), 1))
    limit = max(6, min(LABEL_MAX, int(slot / 9)))  # characters that fit under a group at 14px
    for index, category in enumerate(categories):
        x0 = LEFT + slot * index + (slot - bar * len(coloured)) / 2
        parts.append(f'<g class="chart__group"><title>{escape(category)}</title>')
        for position, item in enumerate(coloured):
            value = item.values[index]
            # Never thinner than 2 units: beside a crowd of 400, five people going must still show.
            height = max(plot_height * value / top_value, 2.0) if value > 0 else 0.0
            x = x0 + position * bar
            y = TOP + plot_height - height
            parts.append(
                f'<rect class="chart__bar {item.css_class}" x="{axis.left_edge(x, max(bar - 2, 1)):.1f}" y="{y:.1f}" '
                f'width="{max(bar - 2, 1):.1f}" '
                f'height="{height:.1f}" fill="{item.colour}"><title>{escape(category)}: '
                f'{escape(item.name)} {value:,}</title></rect>'
            )
            if value > 0 and bar >= VALUE_LABEL_MIN_BAR:
                parts.append(f'<text x="{axis.x(x + (bar - 2) / 2):.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                             f'class="chart__value" fill="#1b1b1f" font-size="12" aria-hidden="true">{value:,}</text>')
        label_x = LEFT + slot * index + slot / 2
        parts.append(f'<text x="{axis.x(label_x):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
                     f'class="chart__label" fill="#1b1b1f" font-size="14">{escape(_short(category, limit))}</text>')
        parts.append("</g>")
    _legend(parts, coloured, axis)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], *, title: str,
               desc: str, max_labels: int = 7, rtl: bool = False) -> Markup:
    """One or more lines over ordered labels (e.g. days)."""
    coloured = [Series(name, values, *PALETTE[index % len(PALETTE)]) for index, (name, values) in enumerate(series)]
    width = WIDTH
    axis = _Axis(width, rtl)
    parts, _uid = _open_svg(width, title, desc, rtl)
    top_value, step = nice_ceiling(max([v for s in coloured for v in s.values] or [0]))
    _y_axis(parts, axis, top_value, step)
    plot_height = HEIGHT - TOP - BOTTOM
    plot_width = width - LEFT - RIGHT
    count = len(labels)

    def x_at(i: int) -> float:
        return axis.x(LEFT + (plot_width * i / (count - 1) if count > 1 else plot_width / 2))

    def y_at(v: int) -> float:
        return TOP + plot_height - plot_height * v / top_value

    for item in coloured:
        points = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in enumerate(item.values))
        parts.append(f'<polyline class="chart__line {item.css_class}" points="{points}" fill="none" '
                     f'stroke="{item.colour}" stroke-width="3" stroke-linejoin="round"/>')
        if count <= 40:
            for i, v in enumerate(item.values):
                parts.append(f'<circle class="chart__dot {item.css_class}" cx="{x_at(i):.1f}" cy="{y_at(v):.1f}" '
                             f'r="3.5" fill="{item.colour}"><title>{escape(labels[i])}: {escape(item.name)} '
                             f'{v:,}</title></circle>')
    if count:
        every = max(1, math.ceil(count / max_labels))
        shown = set(range(0, count, every))
        if count - 1 not in shown:
            if count - 1 - max(shown) < every * 0.7:  # too close to the last label: it would overlap
                shown.discard(max(shown))
            shown.add(count - 1)
        for i in sorted(shown):
            anchor = "start" if i == 0 and count > 1 else ("end" if i == count - 1 and count > 1 else "middle")
            parts.append(f'<text x="{x_at(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="{anchor}" '
                         f'class="chart__label" fill="#1b1b1f" font-size="14">{escape(labels[i])}</text>')
    _legend(parts, coloured, axis)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def _legend(parts: list[str], coloured: Sequence[Series], axis: _Axis) -> None:
    x = LEFT
    y = HEIGHT - 14
    parts.append('<g class="chart__legend">')
    for item in coloured:
        parts.append(f'<rect x="{axis.left_edge(x, 12):.0f}" y="{y - 10}" width="12" height="12" '
                     f'class="{item.css_class}" fill="{item.colour}"/>')
        parts.append(f'<text x="{axis.x(x + 18):.0f}" y="{y}" class="chart__legend-text" fill="#1b1b1f" '
                     f'font-size="14">{escape(item.name)}</text>')
        x += 30 + 8 * len(item.name)
    parts.append("</g>")
