"""Sign-up (confirmed by email), sign-in, sign-out, password change and reset.

None of these pages tells a visitor whether an email address has an account: sign-up and reset
requests always answer "check your email", and a failed sign-in has one message for every cause.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from flask import abort, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from organizer.auth import bp
from organizer.auth.forms import (
    ChangePasswordForm,
    ConfirmSignupForm,
    LanguageForm,
    LoginForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignupForm,
    TwoFactorDisableForm,
    TwoFactorEnableForm,
    TwoFactorLoginForm,
)
from organizer.extensions import db, limiter
from organizer.models import User
from organizer.rendering import qr
from organizer.services.accounts import accounts, two_factor
from organizer.services.common.errors import Conflict, DomainError, NotFound, ValidationFailed
from organizer.templating import language_choices
from organizer.urls import absolute_url  # from BASE_URL, never the request's Host
from organizer.views_common import form_status, is_safe_redirect, remember_language, show_error

HOME_ENDPOINT = "campaigns.dashboard"


# --- helpers -----------------------------------------------------------------------------------

def _email_rate_key() -> str:
    # Limits per address; the storage only ever sees a digest of it.
    key = accounts.email_key(request.form.get("email", ""))
    return "email:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _user_rate_key() -> str:
    return f"user:{current_user.id}"


def _limit(name: str):
    return lambda: current_app.config[name]


def _not_redirected(response: Response) -> bool:
    """Only failures count towards the sign-in limits: a person who gets in isn't slowed down."""
    return response.status_code not in (302, 303)


def _redirected(response: Response) -> bool:
    return response.status_code in (302, 303)


def _safe_next() -> str | None:
    target = request.args.get("next")
    return target if is_safe_redirect(target) else None


def _start_session(user) -> None:
    """A fresh session for a fresh sign-in: nothing from before carries over."""
    session.clear()
    login_user(user)
    session.permanent = True  # the cookie and its signature expire after SESSION_IDLE_MINUTES idle


@bp.after_app_request
def _account_language_on_this_device(response: Response) -> Response:
    """A sign-in (or a change in the account settings) sets this device's language cookie to the
    account's language, so the switcher and the account agree; the switcher changes it afterwards."""
    if "_apply_locale" not in session:  # `in` leaves the session untouched (no Vary: Cookie)
        return response
    language = session.pop("_apply_locale")
    if language:
        remember_language(response, language)
    else:  # "as my browser says": the device's earlier choice goes too
        response.delete_cookie(current_app.config.get("LANGUAGE_COOKIE_NAME", "lang"), path="/")
    return response


def _language_form(formdata=None) -> LanguageForm:
    form = LanguageForm(formdata=formdata) if formdata is not None else LanguageForm()
    form.locale.choices = [("", _("As my browser says"))] + [
        (choice["code"], choice["name"]) for choice in language_choices()
    ]
    if formdata is None and not form.is_submitted():
        form.locale.data = current_user.locale or ""
    return form


def _render(template: str, form, **context):
    status = form_status(form)
    return render_template(template, form=form, **context), status


# --- sign-up -----------------------------------------------------------------------------------

@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_limit("SIGNUP_RATE_LIMIT"), methods=["POST"], deduct_when=_redirected)
@limiter.limit(_limit("EMAIL_RATE_LIMIT"), key_func=_email_rate_key, methods=["POST"],
               deduct_when=_redirected, scope="signup-email")
def signup():
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404)
    form = SignupForm()
    if form.validate_on_submit():
        try:
            accounts.request_signup(
                form.email.data, form.name.data, form.password.data,
                valid_for=timedelta(hours=current_app.config["SIGNUP_LINK_HOURS"]),
                confirm_link=lambda token: absolute_url("auth.confirm_signup", token=token),
                login_link=absolute_url("auth.login"),
                reset_link=absolute_url("auth.reset_request"),
            )
        except ValidationFailed as error:
            db.session.rollback()
            show_error(form, error, flash_unplaced=True)
        else:
            db.session.commit()
            session["check_email"] = "signup"
            return redirect(url_for("auth.check_email"), 303)
    return _render("auth/signup.html", form)


@bp.route("/check-email")
def check_email():
    return render_template("auth/check_email.html", kind=session.get("check_email"),
                           signup_hours=current_app.config["SIGNUP_LINK_HOURS"],
                           reset_hours=current_app.config["PASSWORD_RESET_HOURS"])


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
def confirm_signup(token: str):
    if not current_app.config["ALLOW_SIGNUP"]:
        abort(404)
    record = accounts.find_signup_request(token)
    if record is None:
        return render_template("auth/link_invalid.html", kind="signup"), 404
    form = ConfirmSignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.confirm_signup(token)
        except NotFound:
            db.session.rollback()
            return render_template("auth/link_invalid.html", kind="signup"), 404
        except Conflict as error:
            db.session.commit()  # the used link is gone either way
            flash(str(error.message), "info")
            return redirect(url_for("auth.login"), 303)
        db.session.commit()
        _start_session(user)
        flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
        return redirect(url_for(HOME_ENDPOINT), 303)
    return render_template("auth/confirm_signup.html", form=form, email=record.email)


# --- sign-in and sign-out ----------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_RATE_LIMIT"), methods=["POST"], deduct_when=_not_redirected)
@limiter.limit(_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_email_rate_key, methods=["POST"],
               deduct_when=_not_redirected, scope="login-account")
def login():
    next_url = _safe_next()
    if request.method == "GET" and current_user.is_authenticated:
        return redirect(next_url or url_for(HOME_ENDPOINT))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()  # a hash upgraded to current parameters
            if user.has_two_factor:
                _start_second_step(user, next_url)
                return redirect(url_for("auth.two_factor_login"), 303)
            _start_session(user)
            if user.locale:
                session["_apply_locale"] = user.locale
            return redirect(next_url or url_for(HOME_ENDPOINT), 303)
        # One message for an unknown address, a wrong password and an over-long one.
        form.form_errors.append(_("That email address and password don't match. Check both and try again."))
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form, next_url=next_url), status


# --- two-factor sign-in ---------------------------------------------------------------------------
#
# Between the password and the code the session holds only who is half signed in, until when, and
# where to go next: Flask-Login knows nobody, so every page treats the visitor as signed out.

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300


def _start_second_step(user, next_url: str | None) -> None:
    session.clear()
    session[PENDING_KEY] = {"user": user.id, "version": user.session_version,
                            "until": int(time.time()) + PENDING_SECONDS, "next": next_url}


def _pending_user():
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    user = db.session.get(User, pending.get("user"))
    # Signed out everywhere or password changed meanwhile: the password step no longer counts.
    if user is None or user.session_version != pending.get("version") or not user.has_two_factor:
        return None
    return user


def _pending_user_rate_key() -> str:
    pending = session.get(PENDING_KEY)
    user_id = pending.get("user") if isinstance(pending, dict) else None
    return f"two-factor:{user_id}"


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_RATE_LIMIT"), methods=["POST"], deduct_when=_not_redirected, scope="two-factor-client")
@limiter.limit(_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_pending_user_rate_key, methods=["POST"],
               deduct_when=_not_redirected, scope="two-factor-account")
def two_factor_login():
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("Sign in again: the time to type the code ran out."), "info")
        return redirect(url_for("auth.login"), 303)
    form = TwoFactorLoginForm()
    status = 200
    if form.validate_on_submit():
        if two_factor.verify(user, form.code.data):
            next_url = session[PENDING_KEY].get("next")
            db.session.commit()  # the code (or recovery code) is used up
            _start_session(user)
            left = two_factor.recovery_codes_left(user)
            if left <= 3:
                flash(ngettext("You have %(num)d recovery code left. Make new ones on the two-factor page.",
                               "You have %(num)d recovery codes left. Make new ones on the two-factor page.",
                               left), "warning")
            return redirect(next_url if is_safe_redirect(next_url) else url_for(HOME_ENDPOINT), 303)
        db.session.rollback()
        form.code.errors.append(_("That code isn't right. Type the code your app shows now, or a recovery code."))
        status = 401
    elif form.is_submitted():
        status = 400
    return render_template("auth/two_factor_login.html", form=form), status


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_user_rate_key, methods=["POST"],
               deduct_when=_not_redirected, scope="two-factor-setup")
def two_factor_setup():
    """The account's two-factor page: set it up (QR, then a code), or see it is on and turn it off."""
    user = current_user._get_current_object()
    next_url = _safe_next()
    if user.has_two_factor:
        return render_template("auth/two_factor_on.html", form=TwoFactorDisableForm(),
                               codes_left=two_factor.recovery_codes_left(user))
    form = TwoFactorEnableForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = two_factor.enable(user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            status = 400
        else:
            db.session.commit()
            _start_session(user)  # a new session for the stronger sign-in
            response = make_response(render_template("auth/two_factor_codes.html", codes=codes, next_url=next_url))
            response.headers["Cache-Control"] = "no-store"
            return response
    elif form.is_submitted():
        status = 400
    if request.method == "GET" or not user.totp_secret:
        two_factor.start_setup(user)  # a new secret each time the page is opened, never an old one
        db.session.commit()
    uri = two_factor.provisioning_uri(user)
    response = make_response(render_template(
        "auth/two_factor_setup.html", form=form, next_url=next_url, secret=user.totp_secret,
        qr=qr.qr_svg(uri, title=_("QR code to scan with your authenticator app"))), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/two-factor/recovery-codes", methods=["POST"])
@login_required
@limiter.limit(_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_user_rate_key, methods=["POST"],
               deduct_when=_not_redirected, scope="two-factor-codes")
def two_factor_new_codes():
    form = TwoFactorEnableForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            codes = two_factor.regenerate_recovery_codes(user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            response = make_response(render_template("auth/two_factor_codes.html", codes=codes, next_url=None))
            response.headers["Cache-Control"] = "no-store"
            return response
    return redirect(url_for("auth.two_factor_setup"), 303)


@bp.route("/two-factor/disable", methods=["POST"])
@login_required
@limiter.limit(_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_user_rate_key, methods=["POST"],
               deduct_when=_not_redirected, scope="two-factor-disable")
def two_factor_disable():
    form = TwoFactorDisableForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            two_factor.disable(user, form.password_or_code.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Two-factor sign-in is off. Campaigns that require it will ask you to set it up again."),
                  "success")
            return redirect(url_for("auth.two_factor_setup"), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("auth/two_factor_on.html", form=form,
                           codes_left=two_factor.recovery_codes_left(user)), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends every session of this account, on every device (CSRF-protected like every POST)."""
    if current_user.is_authenticated:
        accounts.end_all_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You're signed out, on this device and everywhere else."), "success")
    return redirect(url_for("auth.login"), 303)


# --- passwords ---------------------------------------------------------------------------------

@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("LOGIN_ACCOUNT_RATE_LIMIT"), key_func=_user_rate_key, methods=["POST"],
               deduct_when=_not_redirected, scope="change-password")
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data)
        except ValidationFailed as error:
            db.session.rollback()
            show_error(form, error, field_map={"password": "new_password"}, flash_unplaced=True)
        else:
            db.session.commit()
            _start_session(user)  # this session continues with the new version; all others end
            flash(_("Your password has been changed. You've been signed out everywhere else."), "success")
            return redirect(url_for("auth.change_password"), 303)
    return _render("auth/change_password.html", form, language_form=_language_form())


@bp.route("/language", methods=["POST"])
@login_required
def account_language():
    """The account's language (account settings, on the same page as the password)."""
    language_form = _language_form()
    if language_form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.set_locale(user, language_form.locale.data, current_app.config["LANGUAGES"])
        except ValidationFailed as error:
            db.session.rollback()
            show_error(language_form, error)
        else:
            db.session.commit()
            session["_apply_locale"] = user.locale
            flash(_("Your language is saved."), "success")
            return redirect(url_for("auth.change_password"), 303)
    return render_template("auth/change_password.html", form=ChangePasswordForm(formdata=None),
                           language_form=language_form), 400


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_limit("RESET_RATE_LIMIT"), methods=["POST"])
@limiter.limit(_limit("EMAIL_RATE_LIMIT"), key_func=_email_rate_key, methods=["POST"], scope="reset-email")
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(
            form.email.data,
            valid_for=timedelta(hours=current_app.config["PASSWORD_RESET_HOURS"]),
            reset_link=lambda token: absolute_url("auth.reset_password", token=token),
        )
        db.session.commit()
        session["check_email"] = "reset"
        return redirect(url_for("auth.check_email"), 303)
    return _render("auth/reset_request.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if accounts.find_reset_token(token) is None:
        return render_template("auth/link_invalid.html", kind="reset"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.new_password.data)
        except NotFound:
            db.session.rollback()
            return render_template("auth/link_invalid.html", kind="reset"), 404
        except ValidationFailed as error:
            db.session.rollback()
            show_error(form, error, field_map={"password": "new_password"}, flash_unplaced=True)
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your password has been changed. Sign in with your new password."), "success")
            return redirect(url_for("auth.login"), 303)
    return _render("auth/reset_password.html", form)
