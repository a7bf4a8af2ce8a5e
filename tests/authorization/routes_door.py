"""Door routes: the door list, check-in, walk-ins, crowd count, QR tickets and door links."""

from __future__ import annotations

from tests.authorization.rules import Rule

ROUTES: list[Rule] = [
    # Placeholder until the ticket view lands (it 404s for everyone for now).
    Rule("door.ticket", "GET", lambda w: f"/t/{w.ticket_token}", {}),
    Rule("door.ticket", "POST", lambda w: f"/t/{w.ticket_token}", {}),
]
