"""Organizer pages for one event: create, the event's page, edit, publish (and back to draft),
cancel, duplicate, delete, the coverage linked to it, and the questions it asks."""

from __future__ import annotations

from flask import Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from organizer import coverage_fill
from organizer.events import bp
from organizer.events.forms import (
    CancelEventForm,
    EventForm,
    LinkCoverageForm,
    NewCoverageLinkForm,
    NewEventForm,
    PublishForm,
    QuestionForm,
)
from organizer.extensions import db
from organizer.models import EventStatus
from organizer.services.common import permissions
from organizer.services.common.errors import DomainError, NotFound, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.coverage import coverage as coverage_rules
from organizer.services.events import events as event_rules
from organizer.services.events import questions as question_rules
from organizer.services.reminders import followups
from organizer.services.reminders import settings as mail_settings
from organizer.services.rsvp import capacity
from organizer.views_common import EmptyForm, campaign_or_404, event_or_404, form_status, show_error

# --- Create and edit ---------------------------------------------------------------------------

@bp.route("/c/<slug>/events/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    campaign = campaign_or_404(slug, Action.MANAGE_EVENTS)
    form = NewEventForm()
    library = coverage_rules.library(campaign)
    form.prompted_by.choices = [SelectChoice(0, _("— None yet —"))] + [
        SelectChoice(item.id, item.headline + (f" ({item.outlet})" if item.outlet else "")) for item in library
    ]
    if not form.is_submitted():
        form.fill(event_rules.new_event_defaults(campaign))
        form.fill_mail_settings(mail_settings.settings_of(None))
        form.prompted_by.data = 0
    if form.validate_on_submit():
        try:
            event = event_rules.create_event(current_user, campaign, form.to_input())
            mail_settings.apply_settings(current_user, event, form.mail_settings())
            if form.prompted_by.data:
                item = coverage_rules.get_coverage(campaign, form.prompted_by.data)
                coverage_rules.link(current_user, event, item, "prompted_by", form.prompted_by_note.data or "")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, fallback_field="prompted_by" if isinstance(error, NotFound) else None)
        else:
            db.session.commit()
            flash(_("Event saved as a draft. Check it, then publish it when you're ready."), "success")
            return redirect(url_for("events.detail", event_id=event.id), code=303)
    return render_template("events/form.html", form=form, campaign=campaign, event=None), form_status(form)


@bp.route("/e/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    form = EventForm()
    if not form.is_submitted():
        form.fill(event_rules.event_input_from(event))
        form.fill_mail_settings(mail_settings.settings_of(event))
        form.slug.data = event.slug
    if form.validate_on_submit():
        try:
            changes = event_rules.update_event(current_user, event, form.to_input())
            mail_settings.apply_settings(current_user, event, form.mail_settings())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Event saved."), "success")
            if changes.notified:
                flash(ngettext("%(num)s person who RSVPed is being emailed the new details.",
                               "%(num)s people who RSVPed are being emailed the new details.", changes.notified),
                      "info")
            if changes.promoted:
                flash(ngettext("%(num)s RSVP on the waitlist got one of the new places and is being emailed.",
                               "%(num)s RSVPs on the waitlist got the new places and are being emailed.",
                               changes.promoted), "info")
            return redirect(url_for("events.detail", event_id=event.id), code=303)
    return render_template("events/form.html", form=form, campaign=event.campaign, event=event), form_status(form)


# --- The organizer's event page -----------------------------------------------------------------

@bp.get("/e/<int:event_id>")
@login_required
def detail(event_id: int):
    event = event_or_404(event_id, Action.VIEW_DASHBOARD)
    return render_template(
        "events/detail.html",
        event=event,
        campaign=event.campaign,
        summary=capacity.summary(event),
        coverage=coverage_rules.for_event(event),
        allowed=permissions.allowed_actions(current_user, event.campaign),
        Action=Action,
        form=EmptyForm(),
        retraction=event_rules.retraction(event),
        report_offer=followups.can_send_report(event),
        mail_plan=mail_settings.plan(event),
    )


@bp.post("/e/<int:event_id>/publish")
@login_required
def publish(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        event_rules.publish_event(current_user, event, confirmed=form.confirmed.data)
    except event_rules.PublishNeedsConfirmation as error:
        db.session.rollback()
        # Asked, not refused: a meeting already under way or past its deadline may still be published.
        return render_template("events/publish_confirm.html", event=event, campaign=event.campaign,
                               form=form, reasons=error.reasons)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Published. Share the link: people can RSVP now."), "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


@bp.post("/e/<int:event_id>/unpublish")
@login_required
def unpublish(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        event_rules.unpublish_event(current_user, event)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Back to draft: the public page is gone until you publish it again."), "success")
    return redirect(url_for("events.detail", event_id=event.id), code=303)


@bp.route("/e/<int:event_id>/delete", methods=["GET", "POST"])
@login_required
def delete(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    form = EmptyForm()
    if form.validate_on_submit():
        title, campaign_slug = event.title, event.campaign.slug
        try:
            event_rules.delete_event(current_user, event)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("events.detail", event_id=event_id), code=303)
        db.session.commit()
        flash(_("“%(title)s” is deleted.", title=title), "success")
        return redirect(url_for("campaigns.overview", slug=campaign_slug), code=303)
    if form.is_submitted():
        abort(400)
    try:
        event_rules.check_deletable(event)
    except DomainError as error:
        flash(error.message, "warning")
        return redirect(url_for("events.detail", event_id=event.id))
    return render_template("events/delete.html", event=event, campaign=event.campaign, form=form)


@bp.route("/e/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    form = CancelEventForm()
    if form.validate_on_submit():
        try:
            event_rules.cancel_event(current_user, event, note=form.note.data or "")
        except ValidationFailed as error:
            db.session.rollback()
            show_error(form, error)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("events.detail", event_id=event.id), code=303)
        else:
            db.session.commit()
            flash(_("The event is cancelled. Its page now says so."), "success")
            return redirect(url_for("events.detail", event_id=event.id), code=303)
    elif form.is_submitted() and "csrf_token" in form.errors:
        abort(400)
    if event.status is EventStatus.CANCELLED:
        flash(_("This event is already cancelled."), "warning")
        return redirect(url_for("events.detail", event_id=event.id))
    notify = event_rules.people_to_notify(event)
    return render_template("events/cancel.html", event=event, campaign=event.campaign, form=form,
                           notify=notify), form_status(form)


@bp.post("/e/<int:event_id>/duplicate")
@login_required
def duplicate(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    if not EmptyForm().validate_on_submit():
        abort(400)
    copy = event_rules.duplicate_event(current_user, event)
    db.session.commit()
    flash(_("Copied to the same time next week, as a draft. Check the details, then publish it."), "success")
    return redirect(url_for("events.edit", event_id=copy.id), code=303)


# --- Coverage ----------------------------------------------------------------------------------

def _coverage_page(event, link_form=None, new_form=None, status=200, filled=None):
    query = (request.args.get("q") or "").strip()[: coverage_rules.SEARCH_MAX]
    return render_template(
        "events/coverage.html",
        event=event,
        campaign=event.campaign,
        coverage=coverage_rules.for_event(event),
        results=coverage_rules.search(event.campaign, query, limit=20),
        query=query,
        link_form=link_form or LinkCoverageForm(formdata=None),
        new_form=new_form or NewCoverageLinkForm(formdata=None, prefix="new"),
        form=EmptyForm(),
        filled=filled or [],
        fill_tried=filled is not None,
    ), status


@bp.get("/e/<int:event_id>/coverage")
@login_required
def coverage(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_COVERAGE)
    return _coverage_page(event)


@bp.post("/e/<int:event_id>/coverage/link")
@login_required
def coverage_link(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_COVERAGE)
    form = LinkCoverageForm()
    if form.validate_on_submit():
        try:
            item = coverage_rules.get_coverage(event.campaign, form.coverage_id.data)
            coverage_rules.link(current_user, event, item, form.relation.data, form.note.data or "")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, fallback_field="coverage_id")
        else:
            db.session.commit()
            flash(_("Linked “%(headline)s”.", headline=item.headline), "success")
            return redirect(url_for("events.coverage", event_id=event.id), code=303)
    return _coverage_page(event, link_form=form, status=400)


def _fetch_limit_reached(_limit) -> Response:
    """A 429 that keeps what was typed: the page with the new-article form as sent, and why."""
    event = event_or_404((request.view_args or {}).get("event_id", 0), Action.MANAGE_COVERAGE)
    form = NewCoverageLinkForm(prefix="new")
    form.url.errors = [coverage_fill.limit_message()]
    page, _status = _coverage_page(event, new_form=form)
    return make_response(page, 429)


@bp.post("/e/<int:event_id>/coverage/new")
@login_required
@coverage_fill.link_fetch_limit(_fetch_limit_reached)
def coverage_new(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_COVERAGE)
    form = NewCoverageLinkForm(prefix="new")
    if "fill" in request.form:  # "Fill from link" without JavaScript: the page again, filled in, nothing saved
        filled, status = coverage_fill.fill_from_link(form)
        return _coverage_page(event, new_form=form, status=status, filled=filled if status == 200 else None)
    if form.validate_on_submit():
        try:
            item = coverage_rules.create_coverage(current_user, event.campaign, form.to_input())
            coverage_rules.link(current_user, event, item, form.relation.data, form.note.data or "")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Added “%(headline)s” to the library and linked it.", headline=item.headline), "success")
            return redirect(url_for("events.coverage", event_id=event.id), code=303)
    return _coverage_page(event, new_form=form, status=400)


@bp.post("/e/<int:event_id>/coverage/<int:link_id>/unlink")
@login_required
def coverage_unlink(event_id: int, link_id: int):
    event = event_or_404(event_id, Action.MANAGE_COVERAGE)
    try:
        event_link = coverage_rules.get_link(event, link_id)
    except NotFound:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    coverage_rules.unlink(current_user, event, event_link)
    db.session.commit()
    flash(_("Unlinked. The article is still in the library."), "success")
    return redirect(url_for("events.coverage", event_id=event.id), code=303)


# --- Questions ---------------------------------------------------------------------------------

def _question_or_404(event, question_id):
    try:
        return question_rules.get_question(event, question_id)
    except NotFound:
        abort(404)


@bp.route("/e/<int:event_id>/questions", methods=["GET", "POST"])
@login_required
def questions(event_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            question_rules.add_question(current_user, event, form.to_input())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Question added."), "success")
            return redirect(url_for("events.questions", event_id=event.id), code=303)
    return render_template(
        "events/questions.html", event=event, campaign=event.campaign, form=form, button_form=EmptyForm(),
        max_questions=event_rules.MAX_QUESTIONS,
    ), form_status(form)


@bp.route("/e/<int:event_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def question_edit(event_id: int, question_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    question = _question_or_404(event, question_id)
    form = QuestionForm()
    if not form.is_submitted():
        form.fill(question_rules.question_input_from(question))
    if form.validate_on_submit():
        try:
            question_rules.update_question(current_user, event, question, form.to_input())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Question saved."), "success")
            return redirect(url_for("events.questions", event_id=event.id), code=303)
    return render_template("events/question_edit.html", event=event, campaign=event.campaign, form=form,
                           question=question), form_status(form)


@bp.route("/e/<int:event_id>/questions/<int:question_id>/delete", methods=["GET", "POST"])
@login_required
def question_delete(event_id: int, question_id: int):
    """Asks first, saying how many answers go with the question."""
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    question = _question_or_404(event, question_id)
    form = EmptyForm()
    if form.validate_on_submit():
        question_rules.delete_question(current_user, event, question)
        db.session.commit()
        flash(_("Question removed."), "success")
        return redirect(url_for("events.questions", event_id=event.id), code=303)
    if form.is_submitted():
        abort(400)
    return render_template("events/question_delete.html", event=event, campaign=event.campaign, question=question,
                           form=form, answers=question_rules.answer_count(question))


@bp.post("/e/<int:event_id>/questions/<int:question_id>/move")
@login_required
def question_move(event_id: int, question_id: int):
    event = event_or_404(event_id, Action.MANAGE_EVENTS)
    question = _question_or_404(event, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    question_rules.move_question(current_user, event, question, -1 if direction == "up" else 1)
    db.session.commit()
    return redirect(url_for("events.questions", event_id=event.id), code=303)
