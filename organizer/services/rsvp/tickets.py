"""QR tickets: the check-in URL a supporter shows at the door (its picture: rendering/qr.py).

The ticket token is derived one way from the private manage token (tokens.ticket_token_for), so the
URL printed in the QR code lets a door volunteer check the person in and nothing more.
"""

from __future__ import annotations

from flask import current_app

from organizer.services.common import tokens


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
