"""The access-log redaction knows every route with a secret in its path (issue 16.2), and only those.

Walks the app's URL map: a route argument that is not an integer, a slug or a static file name is a
credential (token, signed link), so a path built for it must come out of ``redact_path`` without it;
every other route must come out unchanged, so logs stay readable.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from organizer.accesslog import REDACTED, _redact_uris_in_record, redact_path, redact_url

# Route arguments that name public things: everything else in a path is treated as a secret.
PUBLIC_ARGUMENTS = {"slug", "filename", "code"}  # code: a language code (/language/<code>)
SECRET = "sEcReT0123456789abcdefghijklmnopqrstuvwxyzABCD"
NGINX_SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "organizer.conf"


def _build(app, rule, secret: str) -> tuple[str, bool]:
    values, has_secret = {}, False
    for name in rule.arguments:
        if isinstance(rule._converters[name], IntegerConverter):
            values[name] = 7
        elif name in PUBLIC_ARGUMENTS:
            values[name] = "css/app.css" if name == "filename" else "climate-meeting-2026-12-03"
        else:
            values[name] = secret
            has_secret = True
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, values, append_unknown=False), has_secret


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


def test_every_route_with_a_secret_in_its_path_is_redacted(app):
    secret_routes = []
    for rule in _rules(app):
        path, has_secret = _build(app, rule, SECRET)
        if has_secret:
            secret_routes.append(rule.rule)
            logged = redact_path(path)
            assert SECRET not in logged, f"{rule.rule} ({rule.endpoint}) is logged with its secret: {logged}"
            assert REDACTED in logged
            # The same with the spellings the router merges or resolves, and with a suffix added.
            for variant in ("/" + path, path.replace("/", "//"), "/static/.." + path, path + "/extra"):
                assert SECRET not in redact_path(variant), (rule.rule, variant)
    # The routes issue 16 names are all among them (a renamed argument must not drop one silently).
    for expected in ("/r/<token>", "/t/<token>", "/door/<token>", "/r/new-link/<signed>",
                     "/auth/reset/<token>", "/auth/signup/confirm/<token>",
                     "/reminder/<signed>", "/invite/<token>"):
        assert expected in secret_routes


def test_routes_without_secrets_are_logged_as_they_are(app):
    for rule in _rules(app):
        path, has_secret = _build(app, rule, SECRET)
        if not has_secret:
            assert redact_path(path) == path, rule.rule


def test_urls_in_headers_lose_their_secret_and_their_query():
    assert redact_url(f"https://example.org/r/{SECRET}/cancel?q=x") == "https://example.org/r/[redacted]/cancel"
    assert redact_url(f"/t/{SECRET}?next=1") == "/t/[redacted]"
    assert redact_url("-") == "-"


def test_error_messages_with_a_request_uri_are_redacted():
    record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s",
                               (f"/door/{SECRET}?q=someone",), None)
    assert _redact_uris_in_record(record)
    assert record.getMessage() == "Error handling request /door/[redacted]"


def test_the_shipped_nginx_site_redacts_the_same_routes():
    """Each Python pattern's route prefix has a line in the nginx map (the nginx test runs them)."""
    site = NGINX_SITE.read_text()
    for prefix in ("/r/new-link/", "/r/", "/t/", "/door/", "/auth/reset/", "/auth/signup/confirm/", "/reminder/",
                   "/invite/"):
        assert f'"~^({prefix})' in site, prefix
    assert "$request " not in site.split("log_format", 1)[1].split(";", 1)[0]


@pytest.mark.parametrize("path", ["", "/", "/r", "/r/", "/door/e", "/door/e/"])
def test_short_paths_are_left_alone(path):
    assert SECRET not in redact_path(path)
    assert REDACTED not in redact_path(path)
