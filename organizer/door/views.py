"""Door: the check-in list, walk-ins, crowd count, QR tickets and door links."""

from __future__ import annotations

from flask import abort

from organizer.door import bp


@bp.route("/t/<token>", methods=["GET", "POST"])
def ticket(token: str):
    abort(404)
