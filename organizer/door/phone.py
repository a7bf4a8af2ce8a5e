"""What a door phone needs beyond the list page: the names to keep on the phone for when the signal
goes, the service worker that reopens the door page offline, scanning a ticket, and leaving the door.

The service worker is served from /door/ (not /static/) so that its scope can be no wider than the
door pages: it never sees any other page of the site.
"""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from organizer.door import bp
from organizer.door.forms import LeaveForm, ScanForm
from organizer.door.views import (
    DOORS_KEPT_KEY,
    SESSION_KEY,
    _counts,
    _json_error,
    _wants_json,
    door_access,
    tap_figures,
)
from organizer.extensions import db
from organizer.formatting import event_time
from organizer.services.common.errors import DomainError, NotFound
from organizer.services.door import checkins, scanning
from organizer.services.door import listing as door_listing

SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "js" / "door-sw.js"
WAITING_FORMS = 30  # "Offline — N taps waiting" is translated for 1..30; more say "taps waiting: N"


@bp.app_template_global()
def door_strings() -> dict:
    """What door.js says, translated here: the script itself holds no words."""
    return {
        "in": _("Checked in"),
        "retry": _("Not saved: no connection. Tap again to retry, it is safe."),
        "search_failed": _("Could not search: no connection. Try again."),
        "refused": _("That did not work. Reload the page and try again."),
        "queued": _("Saved on this phone. It will be sent when the connection is back."),
        "pending": _("waiting to be sent"),
        "waiting": [ngettext("Offline — %(num)s tap waiting", "Offline — %(num)s taps waiting", n)
                    for n in range(1, WAITING_FORMS + 1)],
        "waiting_many": _("Offline — taps waiting: %(num)s"),
        "offline": _("Offline — the list on this phone is shown"),
        "sent": _("Back online: everything this phone kept was sent."),
        "walk_in_queued": _("Walk-in kept on this phone: %(name)s."),
        "no_match": _("No one by that name. Check the spelling, or add them as a walk-in below."),
        "check_in": _("Check in"),
        "undo": _("Undo"),
        "walk_in": _("Walk-in"),
        "guests_one": ngettext("+ %(num)s guest", "+ %(num)s guests", 1),
        "guests": [ngettext("+ %(num)s guest", "+ %(num)s guests", n) for n in range(0, 21)],
        # "2 of 4 in": the party's size is filled in by door.js.
        "party_in": [ngettext("%(num)s of %(party)s in", "%(num)s of %(party)s in", n, party="%(party)s")
                     for n in range(0, 21)],
        "scan_starting": _("Starting the camera…"),
        "scan_ready": _("Hold the ticket's QR code in the frame."),
        "scan_no_camera": _("The camera could not be opened. Type the code under the QR instead."),
        "scan_checking": _("Ticket read. Checking…"),
        "leave_waiting": _("Some taps are not sent yet: leaving now loses them. Leave anyway?"),
        "ended": _("This door link was turned off — ask the organizer for a new one."),
    }


@bp.get("/door/sw.js")
def service_worker():
    """The door's service worker. Its script sits in /door/, so the scope it registers (/door/e/)
    covers the door lists and nothing else of the site."""
    # Read whole (a few kB), not streamed: a streamed file stays open until the response is closed.
    return Response(SERVICE_WORKER.read_bytes(), mimetype="text/javascript", headers={"Cache-Control": "no-cache"})


@bp.get("/door/e/<int:event_id>/names")
def names(event_id: int):
    """Every name on the door list with its check-in state, for door.js to keep on the phone and
    search when the signal goes. Names only, as on the list itself."""
    access = door_access(event_id)
    timezone = access.event.timezone
    rows = door_listing.door_rows(access.event)
    return jsonify(
        counts=_counts(access.event),
        names=[{"id": row.rsvp_id, "name": row.name, "guests": row.guests, "walk_in": row.walk_in,
                "key": row.search_key, "in": row.checked_in, "party": row.party, "persons_in": row.persons_in,
                "at": event_time(row.checked_in_at, timezone) if row.checked_in_at else ""} for row in rows],
    )


@bp.post("/door/e/<int:event_id>/scan")
def scan(event_id: int):
    """A ticket scanned by the phone's camera or typed by hand: check that person in."""
    access = door_access(event_id)
    form = ScanForm()
    back = redirect(url_for("door.door_list", event_id=access.event.id), code=303)
    if not form.validate_on_submit():
        message = " ".join(str(error) for error in form.code.errors) or \
            _("The page was open too long. Reload it and try again.")
        if _wants_json():
            return _json_error(message, 400)
        flash(message, "error")
        return back
    try:
        scanned = scanning.check_in_ticket(access.event, form.code.data, actor_user=access.user,
                                           door_link=access.link, idempotency_key=form.idempotency_key.data,
                                           tapped_at=checkins.tap_time(request.form.get("tapped_ago")))
    except DomainError as error:
        db.session.rollback()
        if _wants_json():
            return _json_error(error.message, 404 if isinstance(error, NotFound) else 409)
        flash(error.message, "error")
        return back
    rsvp, result = scanned.rsvp, scanned.check_in
    timezone = access.event.timezone
    # By persons, as a tap's answer: door.js keeps them with the names and undoes the scan's step.
    answer = {"rsvp_id": rsvp.id, "name": rsvp.name, "guests": rsvp.guests, "checked_in": result.checked_in,
              "changed": result.changed, "persons_in": result.persons_in, "party": result.party,
              "last_step": result.last_step,
              "at": event_time(result.at, timezone) if result.checked_in and result.at else ""}
    if result.changed:
        message = _("%(name)s is checked in.", name=rsvp.name)
    elif result.checked_in:
        message = _("%(name)s was already checked in, at %(time)s.", name=rsvp.name, time=answer["at"])
    else:
        message = _("Another phone changed %(name)s after this tap: that change stands.", name=rsvp.name)
    figures = tap_figures(access.event, result)
    db.session.commit()
    if _wants_json():
        return jsonify(ok=True, message=message, **figures, **answer)
    flash(message, "success" if result.changed else "warning")
    return redirect(url_for("door.door_list", event_id=access.event.id, _anchor=f"rsvp-{answer['rsvp_id']}"),
                    code=303)


@bp.post("/door/e/<int:event_id>/leave")
def leave(event_id: int):
    """Leave the door: this browser's door link is forgotten (door.js has already wiped what the
    phone kept). A member goes back to the event; a link holder to the home page."""
    access = door_access(event_id)
    if not LeaveForm().validate_on_submit():
        abort(400)
    kept = session.get(DOORS_KEPT_KEY)
    if isinstance(kept, list) and access.event.id in kept:  # left, not shut out: no "turned off" later
        session[DOORS_KEPT_KEY] = [number for number in kept if number != access.event.id]
    if access.is_member:
        return redirect(url_for("events.detail", event_id=access.event.id), code=303)
    session.pop(SESSION_KEY, None)
    flash(_("You left the door. This phone keeps nothing of the list."), "success")
    return redirect(url_for("public.home"), code=303)

