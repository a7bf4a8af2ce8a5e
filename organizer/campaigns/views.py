"""Organizer pages for campaigns: my campaigns, a campaign's dashboard, settings, members, coverage library."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from organizer import coverage_fill
from organizer.campaigns import bp
from organizer.campaigns.forms import ROLE_NAMES, CampaignForm, CoverageForm, InviteForm, MemberRoleForm
from organizer.extensions import db
from organizer.services.campaigns import campaigns as campaign_rules
from organizer.services.campaigns import invitations
from organizer.services.campaigns.campaigns import CampaignInput
from organizer.services.common import permissions
from organizer.services.common.errors import DomainError, NotFound
from organizer.services.common.permissions import Action
from organizer.services.coverage import coverage as coverage_rules
from organizer.services.events import listings as event_listings
from organizer.services.rsvp import capacity
from organizer.urls import absolute_url  # from BASE_URL, never the request's Host
from organizer.views_common import EmptyForm, campaign_or_404, form_status, show_error


@bp.app_template_global()
def campaign_actions(campaign) -> set[str]:
    """What the signed-in person may do in ``campaign`` (as strings), for navigation and buttons."""
    return {action.value for action in permissions.allowed_actions(current_user, campaign)}


def _retention_choice(days: int | None) -> str:
    return str(days) if days else "never"


def _campaign_input(form: CampaignForm, campaign=None) -> CampaignInput:
    values: dict[str, Any] = {name: form[name].data or "" for name in CampaignInput.__dataclass_fields__
              if name in form and name != "slug"}
    values["two_factor_required"] = bool(form.two_factor_required.data)
    # A form sent without the choice (an older page still open) keeps what the campaign has.
    chosen = form.retention.data if "retention" in request.form or campaign is None else \
        _retention_choice(campaign.retention_days)
    values["retention_days"] = int(chosen) if chosen and chosen.isdigit() else None
    # Likewise the contact address: left out of the form, it is kept; sent empty, it is removed.
    values["contact_email"] = (form.contact_email.data or "") if "contact_email" in request.form else None
    return CampaignInput(**values, slug=form.slug.data or None)


# --- My campaigns ------------------------------------------------------------------------------

@bp.get("/")
@login_required
def dashboard():
    rows = campaign_rules.campaigns_for(current_user)
    counts = event_listings.event_counts([campaign.id for campaign, _role in rows])
    return render_template("campaigns/dashboard.html", rows=rows, counts=counts, role_names=ROLE_NAMES)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def create():
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            campaign = campaign_rules.create_campaign(current_user, _campaign_input(form))
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Campaign created. Now add its first event."), "success")
            return redirect(url_for("campaigns.overview", slug=campaign.slug), code=303)
    status = form_status(form)
    return render_template("campaigns/form.html", form=form, campaign=None), status


@bp.get("/c/<slug>")
@login_required
def overview(slug: str):
    campaign = campaign_or_404(slug, Action.VIEW_DASHBOARD)
    listing = event_listings.campaign_events(campaign)
    return render_template(
        "campaigns/overview.html",
        campaign=campaign,
        listing=listing,
        summaries=capacity.summaries(listing.all),
        allowed=permissions.allowed_actions(current_user, campaign),
        Action=Action,
    )


@bp.route("/c/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    campaign = campaign_or_404(slug, Action.EDIT_CAMPAIGN)
    form = CampaignForm(obj=campaign)
    if not form.is_submitted():
        form.retention.data = _retention_choice(campaign.retention_days)
    if form.validate_on_submit():
        try:
            campaign_rules.update_campaign(current_user, campaign, _campaign_input(form, campaign))
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Campaign saved."), "success")
            return redirect(url_for("campaigns.overview", slug=campaign.slug), code=303)
    status = form_status(form)
    return render_template("campaigns/form.html", form=form, campaign=campaign), status


# --- Members -----------------------------------------------------------------------------------

def _members_page(campaign, invite_form=None, status=200):
    memberships = campaign_rules.members(campaign)
    role_forms = {}
    for membership in memberships:
        role_form = MemberRoleForm(prefix=f"m{membership.id}", formdata=None)
        role_form.role.data = membership.role.value
        role_forms[membership.id] = role_form
    return render_template(
        "campaigns/members.html", campaign=campaign, memberships=memberships, role_forms=role_forms,
        invite_form=invite_form or InviteForm(formdata=None), role_names=ROLE_NAMES,
        pending=invitations.pending(campaign), withdraw_form=EmptyForm(formdata=None),
    ), status


@bp.get("/c/<slug>/members")
@login_required
def members(slug: str):
    campaign = campaign_or_404(slug, Action.MANAGE_MEMBERS)
    return _members_page(campaign)


@bp.post("/c/<slug>/invitations")
@login_required
def invite(slug: str):
    """The answer is the same whether or not the address has an account: an invitation goes out."""
    campaign = campaign_or_404(slug, Action.MANAGE_MEMBERS)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invitation = invitations.invite(
                current_user, campaign, form.email.data, form.role.data,
                accept_link=lambda token: absolute_url("invitations.accept", token=token),
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, fallback_field="email")
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s (%(role)s). It works for 7 days.", email=invitation.email,
                    role=ROLE_NAMES[invitation.role]), "success")
            return redirect(url_for("campaigns.members", slug=campaign.slug), code=303)
    return _members_page(campaign, invite_form=form, status=400)


@bp.post("/c/<slug>/invitations/<int:invitation_id>/withdraw")
@login_required
def invitation_withdraw(slug: str, invitation_id: int):
    campaign = campaign_or_404(slug, Action.MANAGE_MEMBERS)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        invitation = invitations.get_pending(campaign, invitation_id)
        invitations.withdraw(current_user, campaign, invitation)
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("The invitation to %(email)s was withdrawn: its link no longer works.", email=invitation.email),
          "success")
    return redirect(url_for("campaigns.members", slug=campaign.slug), code=303)


def _membership_or_404(campaign, membership_id):
    try:
        return campaign_rules.get_membership(campaign, membership_id)
    except NotFound:
        abort(404)


@bp.post("/c/<slug>/members/<int:membership_id>/role")
@login_required
def member_role(slug: str, membership_id: int):
    campaign = campaign_or_404(slug, Action.MANAGE_MEMBERS)
    membership = _membership_or_404(campaign, membership_id)
    form = MemberRoleForm(prefix=f"m{membership.id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        campaign_rules.change_role(current_user, campaign, membership, form.role.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("campaigns.members", slug=campaign.slug), code=303)
    db.session.commit()
    flash(_("%(name)s is now: %(role)s.", name=membership.user.name, role=ROLE_NAMES[membership.role]), "success")
    return redirect(url_for("campaigns.members", slug=campaign.slug), code=303)


@bp.route("/c/<slug>/members/<int:membership_id>/remove", methods=["GET", "POST"])
@login_required
def member_remove(slug: str, membership_id: int):
    campaign = campaign_or_404(slug, Action.MANAGE_MEMBERS)
    membership = _membership_or_404(campaign, membership_id)
    form = EmptyForm()
    error = None
    if form.validate_on_submit():
        name = membership.user.name
        is_self = membership.user_id == current_user.id
        try:
            campaign_rules.remove_member(current_user, campaign, membership)
        except DomainError as caught:
            db.session.rollback()
            error = caught.message
        else:
            db.session.commit()
            flash(_("%(name)s was removed from the campaign.", name=name), "success")
            if is_self and not permissions.can(current_user, campaign, Action.VIEW_DASHBOARD):
                return redirect(url_for("campaigns.dashboard"), code=303)
            return redirect(url_for("campaigns.members", slug=campaign.slug), code=303)
    elif form.is_submitted():
        abort(400)
    return render_template("campaigns/member_remove.html", campaign=campaign, membership=membership, form=form,
                           error=error, role_names=ROLE_NAMES,
                           last_owner=campaign_rules.is_last_owner(campaign, membership)), (409 if error else 200)


# --- Coverage library --------------------------------------------------------------------------

@bp.get("/c/<slug>/coverage")
@login_required
def coverage(slug: str):
    campaign = campaign_or_404(slug, Action.MANAGE_COVERAGE)
    query = (request.args.get("q") or "").strip()[: coverage_rules.SEARCH_MAX]
    items = coverage_rules.library(campaign, query)
    return render_template("campaigns/coverage.html", campaign=campaign, items=items, query=query,
                           link_counts=coverage_rules.link_counts(items))


@bp.get("/c/<slug>/coverage/search")
@login_required
def coverage_search(slug: str):
    """Search-as-you-type over the library, as JSON, for the library page and the event's coverage picker.

    The path has no ".json" suffix on purpose: a denied request gets the same 404 page as any other."""
    campaign = campaign_or_404(slug, Action.MANAGE_COVERAGE)
    query = (request.args.get("q") or "")[: coverage_rules.SEARCH_MAX]
    items = coverage_rules.search(campaign, query, limit=20)
    return jsonify(
        query=query,
        results=[
            {
                "id": item.id,
                "headline": item.headline,
                "outlet": item.outlet,
                "author": item.author,
                "published_on": item.published_on.isoformat() if item.published_on else None,
                "url": item.url,
                "edit_url": url_for("campaigns.coverage_edit", slug=campaign.slug, coverage_id=item.id),
            }
            for item in items
        ],
    )


def _fetch_limit_reached(_limit) -> Response:
    """A 429 that keeps what was typed: the form as sent, with why the link wasn't read."""
    if request.endpoint == "campaigns.coverage_from_link":
        return make_response(jsonify(error=coverage_fill.limit_message()), 429)
    campaign = campaign_or_404((request.view_args or {}).get("slug", ""), Action.MANAGE_COVERAGE)
    form = CoverageForm()
    form.url.errors = [coverage_fill.limit_message()]
    page = render_template("campaigns/coverage_form.html", campaign=campaign, form=form, item=None)
    return make_response(page, 429)


_link_fetch_limit = coverage_fill.link_fetch_limit(_fetch_limit_reached)


@bp.route("/c/<slug>/coverage/new", methods=["GET", "POST"])
@login_required
@_link_fetch_limit
def coverage_new(slug: str):
    campaign = campaign_or_404(slug, Action.MANAGE_COVERAGE)
    form = CoverageForm()
    if form.is_submitted() and "fill" in request.form:
        filled, status = coverage_fill.fill_from_link(form)
        return render_template("campaigns/coverage_form.html", campaign=campaign, form=form, item=None,
                               filled=filled, fill_tried=status == 200), status
    if form.validate_on_submit():
        try:
            coverage_rules.create_coverage(current_user, campaign, form.to_input())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Article added to the library."), "success")
            return redirect(url_for("campaigns.coverage", slug=campaign.slug), code=303)
    status = form_status(form)
    return render_template("campaigns/coverage_form.html", campaign=campaign, form=form, item=None), status


@bp.post("/c/<slug>/coverage/from-link")
@login_required
@_link_fetch_limit
def coverage_from_link(slug: str):
    """The same as the "Fill from link" button, for the pages' script: the fields to fill, as JSON. ``prefix``
    names the form's prefix on a page with several forms (an event's "add a new article": ``new``)."""
    campaign_or_404(slug, Action.MANAGE_COVERAGE)
    prefix = request.args.get("prefix", "")
    if prefix not in FILL_PREFIXES:
        abort(400)
    form = CoverageForm(prefix=prefix)
    filled, status = coverage_fill.fill_from_link(form)
    if status != 200:
        return jsonify(error=" ".join(str(message) for message in form.url.errors)
                       or _("Paste the article's web address.")), status
    return jsonify(filled=coverage_fill.filled_values(form, filled), message=coverage_fill.fill_message(filled))


FILL_PREFIXES = {"", "new"}  # the library's form, and an event's "add a new article"


@bp.app_template_global()
def coverage_fill_message(filled: list[str]) -> str:
    return coverage_fill.fill_message(filled)


def _coverage_or_404(campaign, coverage_id):
    try:
        return coverage_rules.get_coverage(campaign, coverage_id)
    except NotFound:
        abort(404)


@bp.route("/c/<slug>/coverage/<int:coverage_id>/edit", methods=["GET", "POST"])
@login_required
def coverage_edit(slug: str, coverage_id: int):
    campaign = campaign_or_404(slug, Action.MANAGE_COVERAGE)
    item = _coverage_or_404(campaign, coverage_id)
    form = CoverageForm(obj=item)
    if form.validate_on_submit():
        try:
            coverage_rules.update_coverage(current_user, item, form.to_input())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Article saved."), "success")
            return redirect(url_for("campaigns.coverage", slug=campaign.slug), code=303)
    status = form_status(form)
    return render_template("campaigns/coverage_form.html", campaign=campaign, form=form, item=item), status


@bp.route("/c/<slug>/coverage/<int:coverage_id>/delete", methods=["GET", "POST"])
@login_required
def coverage_delete(slug: str, coverage_id: int):
    campaign = campaign_or_404(slug, Action.MANAGE_COVERAGE)
    item = _coverage_or_404(campaign, coverage_id)
    form = EmptyForm()
    if form.validate_on_submit():
        coverage_rules.delete_coverage(current_user, item)
        db.session.commit()
        flash(_("Article deleted."), "success")
        return redirect(url_for("campaigns.coverage", slug=campaign.slug), code=303)
    if form.is_submitted():
        abort(400)
    return render_template("campaigns/coverage_delete.html", campaign=campaign, item=item, form=form,
                           linked=coverage_rules.link_counts([item])[item.id])
