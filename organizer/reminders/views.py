"""The reminder's one-click links and the organizers' "send the report to the people who came".

/reminder/<signed> links are capabilities like the private /r/<token> link: whoever holds the mail may answer
for that RSVP, an unknown or expired one is a 404 that says nothing, and the access log redacts them. "Yes,
I'm coming" is recorded on the click itself (a mail scanner opening it records a yes, nothing worse); "I
can't make it" shows what will happen and cancels only on the POST of its button.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from organizer.extensions import db
from organizer.models import Rsvp
from organizer.reminders import bp
from organizer.rendering import qr
from organizer.services.common.errors import DomainError
from organizer.services.common.permissions import Action
from organizer.services.door import scanning
from organizer.services.events.details import details_for
from organizer.services.reminders import followups, reminders
from organizer.services.reminders.links import find_by_reminder_token
from organizer.services.rsvp import capacity, rsvps
from organizer.views_common import EmptyForm, event_or_404


def _rsvp_or_404(signed: str) -> Rsvp:
    rsvp = find_by_reminder_token(signed)
    if rsvp is None or rsvp.forgotten_at is not None:
        abort(404)
    return rsvp


def _answer_page(rsvp: Rsvp, signed: str, status: int = 200):
    event = rsvp.event
    ticket = code = None
    if rsvps.has_ticket(rsvp):
        # The door takes the short code printed under a ticket, so it is what this QR carries: the ticket's
        # own token is derived from the private link, which only the supporter's first email holds.
        code = scanning.short_code(rsvp.ticket_token_hash)
        ticket = qr.qr_svg(code, title=_("Your ticket for %(title)s", title=event.title))
    return render_template("reminders/answer.html", rsvp=rsvp, event=event, signed=signed, ticket=ticket,
                           ticket_code=code, can_answer=reminders.can_answer(rsvp), coming_form=EmptyForm(),
                           details=details_for(event, rsvp)), status


@bp.get("/reminder/<signed>")
def answer(signed: str):
    return _answer_page(_rsvp_or_404(signed), signed)


@bp.route("/reminder/<signed>/coming", methods=["GET", "POST"])
def coming(signed: str):
    """"Yes, I'm coming" is recorded by a POST: mail scanners open every link in a mail, and a GET that
    recorded would confirm everyone. The page the link opens sends it on its own (static/js/auto-submit.js),
    so a person still clicks once; without JavaScript it is one more press."""
    rsvp = _rsvp_or_404(signed)
    form = EmptyForm()
    if form.validate_on_submit():  # a POST without its token never gets here (CSRFProtect: 400)
        try:
            reminders.confirm_coming(rsvp)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return _answer_page(rsvp, signed, 409)
        db.session.commit()
        flash(_("Thank you: the organizers know you're coming. See you there!"), "success")
        return redirect(url_for("reminders.answer", signed=signed), code=303)
    if not reminders.can_answer(rsvp) or rsvp.confirmed_at is not None:
        return redirect(url_for("reminders.answer", signed=signed), code=303)  # that page says where things stand
    return render_template("reminders/coming.html", rsvp=rsvp, event=rsvp.event, signed=signed, form=form,
                           send_now=request.method == "GET")


@bp.route("/reminder/<signed>/cancel", methods=["GET", "POST"])
def cant_make_it(signed: str):
    rsvp = _rsvp_or_404(signed)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            reminders.cant_make_it(rsvp)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Your RSVP is cancelled and your place went to the waitlist. Thank you for letting us know."),
                  "success")
        return redirect(url_for("reminders.answer", signed=signed), code=303)
    return render_template("reminders/cant_make_it.html", rsvp=rsvp, event=rsvp.event, signed=signed, form=form,
                           position=capacity.waitlist_position(rsvp))


@bp.post("/manage/e/<int:event_id>/send-report")
@login_required
def send_report(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        written = followups.send_report(current_user, event)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "info")
    else:
        db.session.commit()
        flash(ngettext("The report is being emailed to %(num)s person who came.",
                       "The report is being emailed to %(num)s people who came.", written), "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)
