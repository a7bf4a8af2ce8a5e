"""QR codes as inline SVG (tickets, door links)."""

from __future__ import annotations

import io

import segno
from flask_babel import gettext as _
from markupsafe import Markup, escape


def qr_svg(url: str, title: str | None = None) -> Markup:
    """The QR code of ``url`` as an inline <svg> element (no XML declaration, no style attributes)."""
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    qr.save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        title=None,
        desc=None,
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        nl=False,
        omitsize=True,
        svgclass="qr-code",
        lineclass=None,
    )
    svg = buffer.getvalue().decode("ascii")
    label = escape(title if title is not None else _("QR code of your ticket"))  # read out by screen readers
    # role/aria-label for screen readers, <title> for tooltips and older readers.
    svg = svg.replace(
        "<svg ", f'<svg role="img" aria-label="{label}" ', 1
    )
    head, sep, rest = svg.partition(">")
    return Markup(f"{head}{sep}<title>{label}</title>{rest}")  # noqa: S704 - segno's SVG, the title escaped
