"""QR tickets: the check-in URL a supporter shows at the door, and its QR code as inline SVG.

The ticket token is derived one way from the private manage token (tokens.ticket_token_for), so the
URL printed in the QR code lets a door volunteer check the person in and nothing more.
"""

from __future__ import annotations

import io

import segno
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape

from organizer.services import tokens


def ticket_path(ticket_token: str) -> str:
    """The path of the door.ticket route, built from the URL map alone (no request needed)."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build("door.ticket", {"token": ticket_token})


def ticket_url(manage_token: str) -> str:
    """Absolute check-in URL for the RSVP whose private manage token is ``manage_token``.

    Built from BASE_URL, never from the request's Host header, so it is the same in a web page,
    an email written by the outbox worker, or a CLI command.
    """
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + ticket_path(tokens.ticket_token_for(manage_token))


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
    return Markup(f"{head}{sep}<title>{label}</title>{rest}")
