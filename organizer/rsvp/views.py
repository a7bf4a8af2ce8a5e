"""RSVP routes: the public form's POST, the private manage link, calendar files, the organizers' list.

Private links (/r/<token>) are the credential: whoever holds the URL may act on that RSVP, and an
unknown token is a 404 that says nothing about what exists.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Response, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from organizer.extensions import csrf, db, limiter
from organizer.models import Campaign, RsvpStatus
from organizer.rendering import calendar, qr
from organizer.rsvp import bp
from organizer.rsvp.forms import ConfirmForm, answers_from, manage_form_for, manual_rsvp_form_for, rsvp_form_for
from organizer.rsvp.panel import event_page_context
from organizer.services.accounts import accounts
from organizer.services.campaigns import referrals
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.door import listing as door_listing
from organizer.services.door import scanning
from organizer.services.events.details import details_for
from organizer.services.events.listings import public_event_by_slug
from organizer.services.privacy import access_log
from organizer.services.rsvp import approval, capacity, rsvps, sent_again, tickets, waitlist
from organizer.services.rsvp import links as rsvp_links
from organizer.services.rsvp import listing as rsvp_listing
from organizer.services.rsvp import opening as rsvp_opening
from organizer.urls import absolute_url
from organizer.views_common import EmptyForm, event_or_404, redirect_if_moved, show_error


def _public_event_or_404(slug: str):
    event = public_event_by_slug(slug)
    if event is None:
        abort(404)
    return event


def _status_line(status: RsvpStatus, position: int | None) -> str:
    if status is RsvpStatus.PENDING:
        return _("Your request was received: the organizers will let you know by email.")
    if status is RsvpStatus.GOING:
        return _("You're going!")
    if status is RsvpStatus.WAITLISTED:
        return _("You're on the waitlist — position %(position)s.", position=position)
    return _("Your RSVP is cancelled.")


# --- Supporters: RSVP ----------------------------------------------------------------------------

def _rsvp_email_key() -> str:
    # Per event and address typed; the storage only ever sees a digest.
    typed = accounts.email_key(request.form.get("email", ""))
    event_slug = (request.view_args or {}).get("slug", "")
    return "rsvp-email:" + hashlib.sha256(f"{event_slug}\n{typed}".encode("utf-8", "surrogatepass")).hexdigest()


def _no_email_typed() -> bool:
    return not request.form.get("email", "").strip()


def _failed(response: Response) -> bool:
    """A refused RSVP: invalid, forged, closed or itself over a limit. A person who gets in never counts."""
    return response.status_code >= 400


def _limit_reached(limit) -> Response | None:
    """A 429 that keeps what was typed: the event page with the form as sent, and why it wasn't taken."""
    event = rsvps.public_event_for_rsvp((request.view_args or {}).get("slug", ""))
    if event is None:
        return None  # the plain 429 page; there is no form to give back
    form = rsvp_form_for(event)
    form.key_to_send_again = _key_to_send_again(form)
    form.form_errors.append(_("Too many RSVPs came from your network in the last minute, so this one wasn't "
                              "sent. What you typed is still here: wait a minute, then press the button again."))
    page = render_template("public/event.html", **event_page_context(event, form=form))
    return make_response(page, 429)


# The form posts to its own page ("#rsvp-result" as action): a shared link's ?r=CODE comes along, with or
# without JavaScript, while the page stays one cached copy for every code. /e/<slug>/rsvp: pages still open.
@bp.route("/e/<slug>", methods=["POST"])
@bp.route("/e/<slug>/rsvp", methods=["POST"])
@limiter.limit(lambda: current_app.config["RSVP_RATE_LIMIT"], on_breach=_limit_reached)
@limiter.limit(lambda: current_app.config["RSVP_FAILED_RATE_LIMIT"], deduct_when=_failed,
               on_breach=_limit_reached, scope="rsvp-failed")
@limiter.limit(lambda: current_app.config["RSVP_EMAIL_RATE_LIMIT"], key_func=_rsvp_email_key,
               exempt_when=_no_email_typed, on_breach=_limit_reached, scope="rsvp-email")
@csrf.exempt  # the form checks its own token (FlaskForm), so that a missing one keeps what was typed
def submit(slug: str):
    event = rsvps.public_event_for_rsvp(slug)
    if event is None:
        abort(404)
    form = rsvp_form_for(event)
    posted_questions = {key for key in request.form if key.startswith("q_")}
    if posted_questions - set(form._question_names):
        abort(400)  # answers to questions this event doesn't ask: a stale or forged form
    if not form.validate_on_submit():
        if "csrf_token" in form.errors and not _sent_from_this_site():
            # From another site: the usual refusal. Showing the form filled in, with a token, would
            # let that site's choice of name and email through with one more click.
            raise CSRFError(form.csrf_token.errors[0])
        # Without a valid token (the page was the one served to everyone and no JavaScript fetched
        # one, or the session ended) nothing is kept; the form comes back filled in, with a token.
        # If that was all that was wrong, one more press sends it.
        form.send_again = set(form.errors) == {"csrf_token"}
        if form.send_again:
            form.key_to_send_again = _key_to_send_again(form)
        return _form_page(event, form, 400)
    if form.website.data:
        # The honeypot was filled in: answer like a success, keep nothing.
        flash(_("Thanks — we've got your RSVP."), "success")
        return redirect(url_for("rsvp.thanks", slug=event.slug), code=303)
    try:
        receipt = rsvps.create_rsvp(
            event,
            name=form.name.data,
            email=form.email.data if "email" in form else None,
            phone=form.phone.data if "phone" in form else None,
            guests=form.guests.data if "guests" in form else 0,
            consent=form.consent.data,
            answers=answers_from(form, event),
            locale=str(get_locale() or ""),
            # From the address posted to, never the page: a code written into the cached page would split the
            # cache per code or hand one visitor's code to the next. An unknown code is ignored.
            referral_code_id=referrals.code_for_rsvp(event, request.args.get(referrals.QUERY_PARAMETER)),
            submission_key=form.submission_key.data,
        )
    except ValidationFailed as error:
        db.session.rollback()
        show_error(form, error)
        return _form_page(event, form, 400)
    except rsvp_opening.RsvpsClosed:
        db.session.rollback()
        return _form_page(event, None, 409)  # the panel says why
    slug = event.slug  # read before the commit expires it: reloading cost two queries
    db.session.commit()
    flash(_status_line(receipt.status, receipt.waitlist_position),
          "success" if receipt.status is RsvpStatus.GOING else "warning")
    if receipt.manage_token:
        return redirect(url_for("rsvp.manage", token=receipt.manage_token), code=303)
    if not receipt.emailed:
        # The same form sent again, whose link can't be made again (SECRET_KEY changed since, past its fallbacks).
        flash(_("You had already sent this RSVP. Its private link can't be shown again: ask the organizers "
                "if you need to change it."), "info")
        return redirect(url_for("public.event", slug=slug), code=303)
    # An email was given: the link goes to that inbox only (the same whether or not it already had an RSVP).
    flash(_("We've emailed your private link to %(email)s. Keep that email: the link lets you see your "
            "ticket, change your RSVP or cancel.", email=form.email.data.strip()), "info")
    return redirect(url_for("rsvp.thanks", slug=slug), code=303)


def _key_to_send_again(form) -> str | None:
    """The well-formed key of a sending refused only by the rate limit or for its CSRF token, for the page to
    send again: nothing was stored for this sending, but an earlier one of the same form may have been (a
    reload after its answer was lost), and a new key would store it twice. Any other refusal gives a new key."""
    try:
        return sent_again.clean_key(form.submission_key.data)
    except ValidationFailed:
        return None


def _sent_from_this_site() -> bool:
    """Whether the browser says this POST was sent from one of our own pages: Fetch metadata, else
    the Origin or (Referrer-Policy same-origin) Referer header. Saying nothing counts as no."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value is not None:
            return urlsplit(value).netloc == request.host
    return False


def _form_page(event, form, status: int):
    """The event page again, with the form as it was sent and its errors (or why RSVPs closed)."""
    return render_template("public/event.html", **event_page_context(event, form=form)), status


@bp.route("/e/<slug>/rsvp/thanks")
def thanks(slug: str):
    event = _public_event_or_404(slug)
    return render_template("rsvp/thanks.html", event=event, details=details_for(event))


# --- Supporters: the private link ----------------------------------------------------------------

def _forgotten(rsvp):
    """The campaign's retention period has passed: the link still opens, to say what happened."""
    return render_template("rsvp/forgotten.html", event=rsvp.event, rsvp=rsvp), 410


def _link_not_found():
    return render_template("rsvp/link_not_found.html"), 404


@bp.route("/r/<token>", methods=["GET", "POST"])
def manage(token: str):
    rsvp = rsvp_links.find_by_token(token)
    if rsvp is None:
        return _link_not_found()
    if rsvp.forgotten_at is not None:
        return _forgotten(rsvp)
    event = rsvp.event
    form = None
    editable = rsvps.can_change(rsvp)
    if request.method == "POST":
        form = manage_form_for(event)
        if not editable:
            flash(_("This RSVP can't be changed any more."), "error")
            return redirect(url_for("rsvp.manage", token=token), code=303)
        posted_questions = {key for key in request.form if key.startswith("q_")}
        if posted_questions - set(form._question_names):
            abort(400)
        if form.validate_on_submit():
            try:
                rsvps.update_rsvp(rsvp, guests=form.guests.data if "guests" in form else None,
                                  answers=answers_from(form, event))
            except ValidationFailed as error:
                db.session.rollback()
                rsvp = rsvp_links.find_by_token(token)
                show_error(form, error)
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
                return redirect(url_for("rsvp.manage", token=token), code=303)
            else:
                db.session.commit()
                flash(_("Your changes are saved."), "success")
                return redirect(url_for("rsvp.manage", token=token), code=303)
        return _manage_page(rsvp, token, form, editable), 400
    return _manage_page(rsvp, token, form, editable)


def _manage_page(rsvp, token: str, form, editable: bool):
    event = rsvp.event
    if form is None and editable:
        form = manage_form_for(event, formdata=None, data={
            "guests": rsvp.guests,
            **{f"q_{question_id}": value for question_id, value in rsvps.answers_by_question(rsvp).items()},
        })
    ticket = None
    if rsvps.has_ticket(rsvp):
        ticket = qr.qr_svg(tickets.ticket_url(token), title=_("Your ticket for %(title)s", title=event.title))
    questions = {question.id: question for question in event.questions}
    answers = [(questions[a.question_id], a.value) for a in rsvp.answers if a.question_id in questions]
    answers.sort(key=lambda pair: (pair[0].position, pair[0].id))
    return render_template(
        "rsvp/manage.html",
        rsvp=rsvp,
        event=event,
        details=details_for(event, rsvp),
        token=token,
        form=form,
        editable=editable,
        ticket=ticket,
        ticket_code=scanning.short_code(rsvp.ticket_token_hash) if ticket else None,  # typed at the door
        answers=answers,
        position=capacity.waitlist_position(rsvp),
        manage_url=absolute_url("rsvp.manage", token=token),
        closed_message=(rsvp_opening.closed_message(event, reason)
                        if (reason := rsvp_opening.closed_reason(event)) else None),
    )


@bp.route("/r/new-link/<signed>", methods=["GET", "POST"])
def new_link(signed: str):
    """From the email sent when an address that already has an RSVP is used again: a new private link,
    issued only when its owner presses the button (mail scanners that open links change nothing)."""
    rsvp = rsvp_links.find_by_new_link_token(signed)
    if rsvp is None:
        return _link_not_found()
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        token = rsvp_links.issue_new_link(rsvp)
        db.session.commit()
        flash(_("This is your new private link. Keep it: the one in earlier emails no longer works."), "success")
        return redirect(url_for("rsvp.manage", token=token), code=303)
    return render_template("rsvp/new_link.html", rsvp=rsvp, event=rsvp.event, form=form, signed=signed)


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    rsvp = rsvp_links.find_by_token(token)
    if rsvp is None:
        return _link_not_found()
    if rsvp.forgotten_at is not None:
        return _forgotten(rsvp)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            rsvps.cancel_rsvp(rsvp)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Your RSVP is cancelled. Thank you for letting us know."), "success")
        return redirect(url_for("rsvp.manage", token=token), code=303)
    return render_template("rsvp/cancel.html", rsvp=rsvp, event=rsvp.event, token=token, form=form)


@bp.route("/r/<token>/delete", methods=["GET", "POST"])
def delete(token: str):
    rsvp = rsvp_links.find_by_token(token)
    if rsvp is None:
        return _link_not_found()
    if rsvp.forgotten_at is not None:
        return _forgotten(rsvp)
    event = rsvp.event
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        rsvps.delete_own_rsvp(rsvp)
        db.session.commit()
        flash(_("Your RSVP and everything you told us with it are deleted."), "success")
        if public_event_by_slug(event.slug) is not None:
            return redirect(url_for("public.event", slug=event.slug), code=303)
        return redirect(url_for("public.home"), code=303)
    return render_template("rsvp/delete.html", rsvp=rsvp, event=event, token=token, form=form)


# --- Calendar files -----------------------------------------------------------------------------

def _ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    seconds = int(current_app.config.get("PUBLIC_CACHE_SECONDS", 0))
    response.headers["Cache-Control"] = f"public, max-age={seconds}" if seconds else "no-cache"
    return response


@bp.route("/e/<slug>/calendar.ics")
def event_ics(slug: str):
    event = public_event_by_slug(slug)
    if event is None:
        redirect_if_moved("event", slug, "rsvp.event_ics")  # a file linked before the address was edited
        abort(404)
    return _ics_response(calendar.event_ics(event), f"{event.slug}.ics")


@bp.route("/r/<token>/calendar.ics")
def personal_ics(token: str):
    """The supporter's own calendar file: with the details kept for people coming once they may have them."""
    rsvp = rsvp_links.find_by_token(token)
    if rsvp is None or rsvp.forgotten_at is not None:
        return _link_not_found()
    return _ics_response(calendar.event_ics(rsvp.event, rsvp), f"{rsvp.event.slug}.ics")


@bp.route("/c/<slug>/calendar.ics")
def campaign_ics(slug: str):
    # Calendar programs keep polling the address they subscribed to: after a slug edit, sent on.
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        redirect_if_moved("campaign", slug, "rsvp.campaign_ics")
        abort(404)
    return _ics_response(calendar.campaign_ics(campaign), f"{campaign.slug}.ics")


# --- Organizers --------------------------------------------------------------------------------

STATUS_FILTERS = {status.value: status for status in RsvpStatus}


@bp.route("/manage/e/<int:event_id>/rsvps", methods=["GET", "POST"])
@login_required
def admin_list(event_id: int):
    event = event_or_404(event_id, Action.VIEW_ATTENDEES)
    # A search holds a supporter's name or email: it is read only from a POST body (CSRF-checked like
    # every POST), never from the URL, so no access log, proxy or browser history keeps it.
    fields = request.form if request.method == "POST" else request.args
    status_name = fields.get("status", "")
    status = STATUS_FILTERS.get(status_name)
    query = (request.form.get("q") or "").strip()[:120]
    # Not a number ("abc", "²"): the first page; out of range: the service clamps it.
    listing = rsvp_listing.list_for_organizers(event, status, query=query, page=fields.get("page", 1, type=int))
    answers = listing.answers
    # Who of this page is checked in at the door now (one query, the door's own reading of its log).
    going = [rsvp.id for rsvp in listing.rsvps if rsvp.status is RsvpStatus.GOING]
    checked_in = {rsvp_id: at for rsvp_id, at in door_listing.current_states(event, going).items() if at}
    # Committed once the page is built, so the commit expires nothing the page still reads.
    wrote = access_log.record_list_view(event, current_user)
    page = render_template(
        "rsvp/admin_list.html",
        checked_in=checked_in,
        event=event,
        campaign=event.campaign,
        listing=listing,
        counts=listing.counts,
        status_name=status_name if status else "",
        query=query,
        questions=list(event.questions),
        answers=answers,
        can_manage=permissions.can(current_user, event.campaign, Action.MANAGE_RSVPS),
        can_promote_by_hand=waitlist.can_promote_by_hand,
        can_answer=approval.can_answer,
        form=EmptyForm(),
    )
    if wrote:
        db.session.commit()
    return page


@bp.route("/manage/e/<int:event_id>/rsvps/add", methods=["GET", "POST"])
@login_required
def admin_add(event_id: int):
    """Add an RSVP by hand (it came by phone, at the desk): the capacity rule decides going or waitlist."""
    event = event_or_404(event_id, Action.MANAGE_RSVPS)
    form = manual_rsvp_form_for(event)
    if form.validate_on_submit():
        try:
            receipt = rsvps.add_by_hand(current_user, event, name=form.name.data,
                                        email=form.email.data if "email" in form else None,
                                        phone=form.phone.data if "phone" in form else None,
                                        guests=form.guests.data if "guests" in form else 0,
                                        submission_key=form.submission_key.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            name = " ".join(form.name.data.split())
            if receipt.status is RsvpStatus.GOING:
                flash(_("%(name)s is going.", name=name), "success")
            else:
                flash(_("The event is full: %(name)s is number %(place)s on the waitlist.", name=name,
                        place=receipt.waitlist_position), "warning")
            return redirect(url_for("rsvp.admin_list", event_id=event.id), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("rsvp/admin_add.html", event=event, campaign=event.campaign, form=form,
                           counts=capacity.summary(event)), status


def _managed_rsvp(event_id: int, rsvp_id: int):
    event = event_or_404(event_id, Action.MANAGE_RSVPS)
    try:
        return event, rsvps.rsvp_of_event(event, rsvp_id)
    except NotFound:
        abort(404)


@bp.route("/manage/e/<int:event_id>/rsvps/<int:rsvp_id>/remove", methods=["POST"])
@login_required
def admin_remove(event_id: int, rsvp_id: int):
    event, rsvp = _managed_rsvp(event_id, rsvp_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":
        # First press: say what will happen and ask again.
        return render_template("rsvp/admin_remove.html", event=event, rsvp=rsvp, form=ConfirmForm(formdata=None))
    name = rsvp.name
    try:
        rsvps.remove_rsvp(current_user, rsvp)
    except PermissionDenied:
        abort(404)
    db.session.commit()
    flash(_("%(name)s's RSVP was removed.", name=name), "success")
    return redirect(url_for("rsvp.admin_list", event_id=event.id), code=303)


@bp.route("/manage/e/<int:event_id>/rsvps/<int:rsvp_id>/promote", methods=["POST"])
@login_required
def admin_promote(event_id: int, rsvp_id: int):
    event, rsvp = _managed_rsvp(event_id, rsvp_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        over = waitlist.promote_by_hand(current_user, rsvp)
    except PermissionDenied:
        abort(404)
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if over:
            flash(_("%(name)s is going now. The event is %(over)s over capacity.", name=rsvp.name, over=over),
                  "warning")
        else:
            flash(_("%(name)s is going now.", name=rsvp.name), "success")
    return redirect(url_for("rsvp.admin_list", event_id=event.id, status=request.args.get("status") or None),
                    code=303)
