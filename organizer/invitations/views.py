"""The invitation link: /invite/<token>. Whoever opens it sees the campaign and the role, and joins
with the invited address's account: signing in (through the normal sign-in, second step included)
or creating the account here. A link that can't be used says why, in words, never a bare error."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from organizer.extensions import db, limiter
from organizer.invitations import bp
from organizer.invitations.forms import NewAccountForm
from organizer.services.campaigns import invitations
from organizer.services.campaigns.invitations import InvitationUnusable, WrongAccount
from organizer.services.common.errors import Conflict, DomainError, ValidationFailed
from organizer.views_common import EmptyForm, show_error

# An unknown token is "not found"; a real one that was used, withdrawn or expired is gone for good.
UNUSABLE_STATUS = {"unknown": 404, "used": 410, "withdrawn": 410, "expired": 410}


def _unusable(reason: str):
    return render_template("invitations/unusable.html", reason=reason), UNUSABLE_STATUS[reason]


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _start_session(user) -> None:
    # As a fresh sign-in does (auth.views): nothing from before carries over into the new session.
    session.clear()
    login_user(user)
    session.permanent = True


def _joined(membership):
    flash(_("Welcome to “%(campaign)s”. You joined as: %(role)s.", campaign=membership.campaign.name,
            role=invitations.role_name(membership.role)), "success")
    # The campaign's page asks for two-factor set-up first when the campaign requires it.
    return redirect(url_for("campaigns.overview", slug=membership.campaign.slug), 303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def accept(token: str):
    try:
        invitation = invitations.find(token)
    except InvitationUnusable as error:
        return _unusable(error.reason)
    join_form = EmptyForm(prefix="join")
    account_form = NewAccountForm(prefix="new")
    has_account = invitations.has_account(invitation)
    status = 200
    if current_user.is_authenticated:
        if join_form.validate_on_submit():
            try:
                membership = invitations.accept(token, current_user)
            except InvitationUnusable as error:
                db.session.rollback()
                return _unusable(error.reason)
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
                return redirect(url_for("invitations.accept", token=token), 303)
            db.session.commit()
            return _joined(membership)
        if request.method == "POST":
            abort(400)
    elif request.method == "POST":
        if has_account or not account_form.validate_on_submit():
            status = 400
        else:
            try:
                membership = invitations.accept_with_new_account(token, account_form.name.data,
                                                                  account_form.password.data)
            except InvitationUnusable as error:
                db.session.rollback()
                return _unusable(error.reason)
            except (ValidationFailed, Conflict, WrongAccount) as error:
                db.session.rollback()
                show_error(account_form, error, flash_unplaced=True)
                status = 400
            else:
                db.session.commit()
                _start_session(membership.user)
                return _joined(membership)
    wrong_account = current_user.is_authenticated and current_user.email != invitation.email
    return render_template(
        "invitations/accept.html", invitation=invitation, token=token, join_form=join_form,
        account_form=account_form, has_account=has_account, wrong_account=wrong_account,
        role_name=invitations.role_name(invitation.role),
    ), status
