"""Right to left (issue 11.4): the stylesheet speaks only in logical directions, arrows turn with the
text, and the server-drawn charts are mirrored for right-to-left pages."""

from __future__ import annotations

import re
from pathlib import Path

from organizer.rendering import charts

CSS = Path(__file__).resolve().parent.parent / "organizer" / "static" / "css" / "app.css"
PHYSICAL = re.compile(
    r"(?<![-\w])(margin|padding|border)-(left|right)\b|(?<![-\w])(left|right)\s*:|text-align\s*:\s*(left|right)"
    r"|float\s*:\s*(left|right)|border-(top|bottom)-(left|right)-radius|translateX\(\s*-?\d"
)


def test_the_stylesheet_uses_logical_properties_only():
    found = [f"{number}: {line.strip()}" for number, line in enumerate(CSS.read_text().splitlines(), 1)
             if PHYSICAL.search(line.split("/*")[0])]
    assert not found, "use margin-inline-start, inset-inline-end, text-align: start...:\n" + "\n".join(found)


def test_the_check_finds_physical_properties():
    assert PHYSICAL.search(".a { margin-left: 1rem }") and PHYSICAL.search(".a { left: 0 }")
    assert PHYSICAL.search(".a { text-align: right; }") and not PHYSICAL.search(".a { margin-inline-start: 0 }")
    assert not PHYSICAL.search(".places-left { color: red }")


def test_arrows_are_mirrored_right_to_left():
    css = CSS.read_text()
    assert '[dir="rtl"] .arrow { transform: scaleX(-1); }' in css


def _label_xs(svg: str) -> list[float]:
    return [float(x) for x in re.findall(r'<text x="([\d.]+)"[^>]*class="chart__label"', svg)]


def test_a_bar_chart_is_mirrored_right_to_left():
    args = (["First", "Second", "وقفة حمص"], [("Going", [3, 5, 8])])
    ltr = str(charts.bar_chart(*args, title="t", desc="d"))
    rtl = str(charts.bar_chart(*args, title="t", desc="d", rtl=True))
    assert 'direction="ltr"' in ltr and 'direction="rtl"' in rtl
    width = float(re.search(r'viewBox="0 0 (\d+)', rtl).group(1))
    assert _label_xs(ltr) == sorted(_label_xs(ltr))  # first event on the left...
    assert _label_xs(rtl) == sorted(_label_xs(rtl), reverse=True)  # ...and on the right
    assert [round(width - x, 1) for x in _label_xs(rtl)] == _label_xs(ltr)
    # The value axis moves to the right-hand side.
    ticks = [float(x) for x in re.findall(r'<text x="([\d.]+)"[^>]*class="chart__tick"', rtl)]
    assert ticks and all(x > width / 2 for x in ticks)
    # Bars keep their widths, mirrored.
    bars_ltr = re.findall(r'class="chart__bar[^"]*" x="([\d.]+)"[^>]*width="([\d.]+)"', ltr)
    bars_rtl = re.findall(r'class="chart__bar[^"]*" x="([\d.]+)"[^>]*width="([\d.]+)"', rtl)
    for (x1, w1), (x2, w2) in zip(bars_ltr, bars_rtl, strict=True):
        assert w1 == w2 and abs((float(x1) + float(w1)) - (width - float(x2))) < 0.2


def test_a_line_chart_runs_from_right_to_left():
    args = (["1 Dec", "2 Dec", "3 Dec"], [("RSVPs", [1, 4, 9])])
    rtl = str(charts.line_chart(*args, title="t", desc="d", rtl=True))
    points = re.search(r'points="([^"]+)"', rtl).group(1).split()
    xs = [float(point.split(",")[0]) for point in points]
    assert xs == sorted(xs, reverse=True)  # time runs leftwards
