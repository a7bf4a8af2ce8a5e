"""Organizer pages for referral codes: make codes, copy each event's share link per code, see what each
channel brought (going and attended). The counts also appear on the turnout pages (reports)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from organizer.extensions import db
from organizer.referrals import bp
from organizer.referrals.forms import ReferralCodeForm
from organizer.services.campaigns import referrals
from organizer.services.common.errors import DomainError, NotFound
from organizer.services.common.permissions import Action
from organizer.urls import absolute_url
from organizer.views_common import EmptyForm, campaign_or_404, form_status, show_error


@bp.route("/c/<slug>/referrals", methods=["GET", "POST"])
@login_required
def index(slug: str):
    campaign = campaign_or_404(slug, Action.MANAGE_EVENTS)
    form = ReferralCodeForm()
    if form.validate_on_submit():
        try:
            item = referrals.create_code(current_user, campaign, form.code.data or "")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, "code")
        else:
            code = item.code
            db.session.commit()
            flash(_("Code %(code)s added. Share the links below.", code=code), "success")
            return redirect(url_for("referrals.index", slug=campaign.slug), code=303)
    codes = referrals.codes(campaign)
    events = referrals.shareable_events(campaign)
    per_event = referrals.counts_by_source(referrals.counted_events(campaign), campaign)
    totals = referrals.campaign_totals(per_event) if per_event else []
    links = {(event.id, item.id): absolute_url("public.event", slug=event.slug) + f"?{referrals.QUERY_PARAMETER}="
             + item.code for event in events for item in codes}
    return render_template("referrals/index.html", campaign=campaign, form=form, codes=codes, events=events,
                           links=links, totals=totals, delete_form=EmptyForm()), form_status(form)


@bp.post("/c/<slug>/referrals/<int:code_id>/delete")
@login_required
def delete(slug: str, code_id: int):
    campaign = campaign_or_404(slug, Action.MANAGE_EVENTS)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        item = referrals.get_code(campaign, code_id)
    except NotFound:
        abort(404)
    code = item.code
    referrals.delete_code(current_user, campaign, item)
    db.session.commit()
    flash(_("Code %(code)s deleted. The RSVPs that came through it now count as “no code”.", code=code), "success")
    return redirect(url_for("referrals.index", slug=campaign.slug), code=303)
