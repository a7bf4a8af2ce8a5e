"""Small helpers shared by the blueprints: load-or-404, safe redirects, a POST-only form, service errors on forms."""

from __future__ import annotations

from typing import Any, TypeGuard
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from organizer.extensions import db
from organizer.forms_common import FlaskForm
from organizer.models import Campaign, Event
from organizer.services.accounts import two_factor
from organizer.services.common import permissions, slugs
from organizer.services.common.errors import DomainError, ValidationFailed
from organizer.services.common.permissions import Action


def redirect_if_moved(kind: str, old_slug: str, endpoint: str, **values: Any) -> None:
    """An address shared before the organizers edited a slug (``kind``: "event" or "campaign"): a permanent
    redirect to ``endpoint`` at the new one, raised, so that a page cache around the caller keeps nothing."""
    current = slugs.current_slug(kind, old_slug)
    if current is not None:
        abort(redirect(url_for(endpoint, slug=current, **values), 301))


class EmptyForm(FlaskForm):
    """Carries the CSRF token for buttons that POST."""


def show_error(form: FlaskForm, error: DomainError, fallback_field: str | None = None, *,
               field_map: dict[str, str] | None = None, flash_unplaced: bool = False) -> None:
    """Put a service's message next to the field it names (``field_map`` renames a service's field to the
    form's), else on ``fallback_field``, else on the form as a whole (or, with ``flash_unplaced``, as a
    flashed message, for pages that show form errors only as a summary)."""
    field_name = error.field if isinstance(error, ValidationFailed) else None
    field_name = (field_map or {}).get(field_name or "", field_name)
    field_name = field_name if field_name in form else fallback_field
    if field_name and field_name in form:
        form[field_name].errors = [*form[field_name].errors, error.message]
    elif flash_unplaced:
        flash(str(error.message), "error")
    else:
        form.form_errors.append(error.message)


def form_status(form) -> int:
    """400 for a form sent with mistakes (it is shown again with them), else 200."""
    return 400 if form.is_submitted() and form.errors else 200


def is_safe_redirect(target: str | None) -> TypeGuard[str]:
    """Only same-site relative paths: '/manage', never '//evil', '/\\evil', 'https:evil', '/%2F%2Fevil'.

    Browsers drop tabs and newlines inside URLs and treat '\\' like '/', so a target with any control
    character or backslash is refused outright; so is one that becomes '//...' once percent-decoded,
    in case something between here and the browser decodes it.
    """
    if not target or not isinstance(target, str):
        return False
    for candidate in (target, unquote(target)):
        if not candidate.startswith("/") or candidate.startswith("//"):
            return False
        if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in candidate):
            return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def remember_language(response, language: str) -> None:
    """The language cookie: read by templating.select_locale and by the shared cache's key."""
    config = current_app.config
    response.set_cookie(
        config.get("LANGUAGE_COOKIE_NAME", "lang"), language, max_age=config.get("LANGUAGE_COOKIE_MAX_AGE"),
        path="/", secure=bool(config.get("SESSION_COOKIE_SECURE")), httponly=True, samesite="Lax",
    )


def language_switch_url(language: str) -> str:
    """The switcher's link: back to this very page (its path only: a public page is the same for
    everyone, query string or not, and the shared cache keeps one copy of it)."""
    return url_for("public.set_language", code=language, next=request.path)


def redirect_back(target: str | None, fallback_endpoint: str, **values):
    if is_safe_redirect(target):
        return redirect(target)
    return redirect(url_for(fallback_endpoint, **values))


def require_two_factor_setup(campaign: Campaign) -> None:
    """A campaign that requires two factors sends its members who can see supporter data, and have
    none, to set it up first; they come back to the page they asked for."""
    if two_factor.setup_required(current_user, campaign):
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        flash(_("“%(campaign)s” asks everyone who can see supporters' details to sign in with a second "
                "step. Set it up to continue.", campaign=campaign.name), "warning")
        abort(redirect(url_for("auth.two_factor_setup", next=back), 303))


def campaign_or_404(slug: str, action: Action | None = None) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    if action is not None and not permissions.can(current_user, campaign, action):
        abort(404)
    if action is not None:  # a campaign's own pages, not its public feed
        require_two_factor_setup(campaign)
    return campaign


def event_or_404(event_id: int, action: Action | None = None) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if action is not None and not permissions.can(current_user, event.campaign, action):
        abort(404)
    if action is not None:
        require_two_factor_setup(event.campaign)
    return event
