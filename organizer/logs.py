"""Logging an operator can use: one line per request, plain text or JSON lines, nothing personal.

Each request is logged once, by a WSGI middleware around everything else (the shared page cache
included, so cache hits are logged too, marked ``cache=hit``), when its body has been sent:

    GET /e/<slug> 200 3.1ms request_id=8c0f… user_id=12

The route is Flask's URL rule, never the path: paths carry RSVP, ticket and door-link tokens. No
query string, no address, no email or name: the user id only, and only when the view already loaded
the signed-in user (no extra query for the line). The request id comes from ``X-Request-ID`` only
when a trusted proxy is in front (``PROXY_COUNT`` > 0) and the value looks like an id; otherwise it
is made here. Either way it is returned in the response's ``X-Request-ID``.

Logging itself (handlers, format, level) is set up like ``logging.basicConfig``: only when nobody
configured the root logger before (gunicorn's ``--log-config``, a test runner), so an operator's own
configuration wins. Werkzeug's development-server access line (raw path, client address) is dropped:
ours replaces it.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.wsgi import ClosingIterator

REQUEST_ID_HEADER = "X-Request-ID"
# What proxies send (nginx's $request_id is 32 hex digits, others use UUIDs): anything else is replaced.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
# The fields a record may carry into a JSON line; nothing else a caller passes in ``extra`` is written.
FIELDS = ("method", "route", "status", "duration_ms", "request_id", "user_id", "cache",
          "message_id", "kind", "attempt", "outcome", "sent", "retrying", "failed")

request_log = logging.getLogger("organizer.request")


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request fields, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class NoWerkzeugAccessLines(logging.Filter):
    """Werkzeug's development server logs each request with the raw path and the client address.
    On the "werkzeug" logger itself, so it holds whoever configured the handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and " - - [" in str(record.msg))


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    formatter: dict[str, Any] = (
        {"()": JSONFormatter} if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default"}},
        "root": {"level": level, "handlers": ["stderr"]},
    }


def configure(log_format: str = "text", level: str = "INFO") -> bool:
    """Set up the root logger unless something already did. True if it did."""
    if logging.getLogger().handlers:
        return False
    logging.config.dictConfig(logging_config(log_format, level))
    return True


def request_id_for(environ: dict[str, Any], trust_header: bool) -> str:
    if trust_header:
        sent = environ.get("HTTP_X_REQUEST_ID", "")
        if _VALID_REQUEST_ID.fullmatch(sent):
            return sent
    return os.urandom(16).hex()


class RequestLog:
    """WSGI middleware: a request id for every request and one log line when the response is done."""

    def __init__(self, app: Callable, trust_request_id: bool,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.trust_request_id = trust_request_id
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = self.clock()
        request_id = environ["organizer.request_id"] = request_id_for(environ, self.trust_request_id)
        status: list[str] = []

        def start(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None):
            status[:] = [status_line]
            return start_response(status_line, [*headers, (REQUEST_ID_HEADER, request_id)], exc_info)

        def log() -> None:
            code = int(status[0].split(" ", 1)[0]) if status else 500
            _log_request(environ, code, (self.clock() - started) * 1000)

        try:
            body = self.app(environ, start)
        except BaseException:
            log()
            raise
        return ClosingIterator(body, log)


def _log_request(environ: dict[str, Any], status: int, duration_ms: float) -> None:
    level = logging.ERROR if status >= 500 else logging.INFO
    if not request_log.isEnabledFor(level):
        return
    fields = {
        "method": environ.get("REQUEST_METHOD"),
        "route": environ.get("organizer.route"),
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "request_id": environ.get("organizer.request_id"),
        "user_id": environ.get("organizer.user_id"),
        "cache": environ.get("organizer.cache"),
    }
    text = f"{fields['method']} {fields['route'] or '-'} {status} {fields['duration_ms']}ms " \
           f"request_id={fields['request_id']}"
    if fields["user_id"] is not None:
        text += f" user_id={fields['user_id']}"
    if fields["cache"]:
        text += f" cache={fields['cache']}"
    request_log.log(level, "%s", text, extra=fields)


def _note_route_and_user(response: Response) -> Response:
    """What only Flask knows, left in the WSGI environ for the middleware's line."""
    environ = request.environ
    if request.url_rule is not None:
        environ["organizer.route"] = request.url_rule.rule
    user = g.get("_login_user")  # Flask-Login's user, if this request loaded it
    if user is not None and getattr(user, "is_authenticated", False):
        environ["organizer.user_id"] = user.id
    return response


def init_app(app: Flask) -> None:
    if app.config.get("LOG_FORMAT", "text") not in {"text", "json"}:
        raise ValueError("LOG_FORMAT must be 'text' or 'json'.")
    configure(app.config.get("LOG_FORMAT", "text"), app.config.get("LOG_LEVEL", "INFO"))
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, NoWerkzeugAccessLines) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(NoWerkzeugAccessLines())
    app.after_request(_note_route_and_user)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    app.wsgi_app = RequestLog(app.wsgi_app, trust_request_id=proxies > 0)  # type: ignore[method-assign]
