"""Error pages in the site layout; a 500 rolls back so nothing half-done is committed."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from organizer.extensions import db

# Lazy: the dictionary is built at import, each page translates it into the language of its request.
MESSAGES = {
    400: (_l("Bad request"), _l("We couldn't understand that request. Go back, check what you entered and try again.")),
    403: (_l("Not allowed"), _l("You don't have permission to do that.")),
    404: (
        _l("Not found"),
        _l("There's nothing here. The link may be mistyped, or the page was removed or isn't public yet."),
    ),
    405: (_l("Not allowed"), _l("That action isn't available here.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Slow down"), _l("Too many attempts in a short time. Wait a minute, then try again.")),
    500: (
        _l("Something went wrong"),
        _l("Sorry, something broke on our side. Nothing you had already saved was lost. Please try again."),
    ),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        db.session.rollback()
    if error.response is not None:  # abort() with a whole response (a redirect to an edited address)
        return error
    title, text = (str(part) for part in MESSAGES.get(code, (error.name, error.description or "")))
    if (request.accept_mimetypes.best == "application/json" or request.path.endswith(".json")
            or request.path.startswith("/api/")):  # the public API answers in JSON, even a bad path
        response = jsonify(error=title, message=text)
        response.status_code = code
        return response
    if code == 405:
        return error
    return render_template("errors/error.html", code=code, title=title, message=text), code


def handle_unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    if current_app.debug or (current_app.testing and current_app.config.get("PROPAGATE_EXCEPTIONS")):
        raise error
    current_app.logger.exception("Unhandled error")
    return handle_http_error(InternalServerError())
