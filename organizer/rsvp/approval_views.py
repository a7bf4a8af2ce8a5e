"""Organizers answer requests to come (events that take RSVPs on approval, issue 12.2): one by one from a
row of the RSVP list, or the selected ones at once. Who may: those who manage RSVPs (organizers and
owners, permissions.MANAGE_RSVPS); coordinators see the requests in the list but can't answer them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from organizer.extensions import db
from organizer.rsvp import bp
from organizer.services.common.errors import Conflict, PermissionDenied
from organizer.services.common.permissions import Action
from organizer.services.rsvp import approval
from organizer.views_common import EmptyForm, event_or_404


def _ids() -> list[int]:
    """The RSVP ids posted (``rsvp``, once per selected row); anything else is a malformed request."""
    values = request.form.getlist("rsvp")
    if not values or not all(value.isascii() and value.isdigit() and len(value) <= 12 for value in values):
        return []
    return [int(value) for value in values]


@bp.route("/manage/e/<int:event_id>/rsvps/answer", methods=["POST"])
@login_required
def admin_answer(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_RSVPS)
    if not EmptyForm().validate_on_submit():
        abort(400)
    decision = request.form.get("decision")
    back = redirect(url_for("rsvp.admin_list", event_id=event.id, status=request.args.get("status") or None),
                    code=303)
    if decision not in ("approve", "decline"):
        abort(400)
    ids = _ids()
    if not ids:
        flash(_("Select the requests to answer first."), "error")
        return back
    if decision == "decline" and request.form.get("confirm") != "yes":
        # First press: say what declining does (an email to each) and ask again.
        return render_template("rsvp/admin_decline.html", event=event, ids=ids, form=EmptyForm(formdata=None),
                               status_name=request.args.get("status") or "")
    try:
        if decision == "approve":
            result = approval.approve(current_user, event, ids)
        else:
            result = approval.decline(current_user, event, ids)
    except PermissionDenied:
        abort(404)
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "error")
        return back
    db.session.commit()
    if result.going:
        flash(ngettext("%(num)s request approved: going.", "%(num)s requests approved: going.",
                       len(result.going)), "success")
    if result.waitlisted:
        flash(ngettext("%(num)s request approved, but the event is full: on the waitlist.",
                       "%(num)s requests approved, but the event is full: on the waitlist.",
                       len(result.waitlisted)), "warning")
    if result.declined:
        flash(ngettext("%(num)s request declined.", "%(num)s requests declined.", len(result.declined)), "success")
    if result.skipped:
        flash(ngettext("%(num)s was no longer waiting for an answer.", "%(num)s were no longer waiting for an answer.",
                       result.skipped), "info")
    return back
