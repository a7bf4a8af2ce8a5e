""""Fill from link", wherever an article is added (the library's form, an event's "add a new article"): the
server fetches the pasted address under the SSRF rules (services/coverage/safefetch.py) and fills the empty
fields of the form; nothing is saved. Counted per organizer across every form and the pages' script
(``link_fetch_limit``), since each press makes the server fetch a page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from organizer.extensions import limiter
from organizer.services.coverage import extraction
from organizer.services.coverage.safefetch import FetchPolicy, FetchRefused


def fill_from_link(form: Any) -> tuple[list[str], int]:
    """Fetch the form's address and fill its empty fields: (the fields filled, 200), or ([], 400) with
    the reason on the address field. Only the token and the address are checked: the other fields are
    still being written."""
    form.validate()
    if "csrf_token" in form.errors:
        return [], 400
    for name in form:
        if name.short_name not in {"csrf_token", "url"}:
            name.errors = []
    if form.url.errors:
        return [], 400
    policy = FetchPolicy(allowed_test_addresses=frozenset(current_app.config.get("LINK_FETCH_TEST_ADDRESSES", ())))
    try:
        _final_url, details = extraction.details_from_link(form.url.data or "", policy)
    except FetchRefused as error:
        form.url.errors = [error.message]
        return [], 400
    return form.fill_from(details), 200


def filled_values(form: FlaskForm, filled: list[str]) -> dict[str, str]:
    """What the page's script puts in place: each filled field by its name in the page (with the form's prefix)."""
    return {form[name].name: (form[name].data.isoformat() if name == "published_on" else form[name].data)
            for name in filled}


def fill_message(filled: list[str]) -> str:
    if not filled:
        return _("Nothing new to fill in: every field the page describes is already filled. Check them, then save.")
    return _("Filled in from the article. Check every field and change what is wrong, then save.")


def limit_message() -> str:
    return _("You have filled in many articles from links in a short time. Wait a minute, or fill in the "
             "fields by hand.")


def link_fetch_limit(on_breach: Callable[[Any], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The one count per organizer (scope "link-fetch"), with the page's own answer over it. Only presses of
    "Fill from link" count: a POST of the JSON route, or a form POST with its ``fill`` button."""
    return limiter.shared_limit(
        lambda: current_app.config["LINK_FETCH_RATE_LIMIT"], scope="link-fetch",
        key_func=lambda: f"user:{current_user.get_id()}",
        exempt_when=lambda: not _is_a_fill(),
        on_breach=on_breach)


def _is_a_fill() -> bool:
    return request.method == "POST" and (request.endpoint == "campaigns.coverage_from_link" or "fill" in request.form)
