"""Request logs an operator can use (organizer.logs), and nothing personal in any log line."""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from html import unescape

import pytest
from sqlalchemy import select

from organizer import logs
from organizer.extensions import db
from organizer.models import CheckIn, EmailPolicy, OutboxMessage, OutboxStatus
from organizer.services.common.tokens import ticket_token_for
from tests import builders
from tests.conftest import make_test_app
from tests.mailbox import last_link, path_of
from tests.security.helpers import csrf_from

TEXT = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
JSON = logs.JSONFormatter()


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "organizer.request"]


def fetch(client, path, method="GET", **kwargs):
    """A request whose response is read and closed, as a server does: the line is logged on close."""
    return client.open(path, method=method, buffered=True, **kwargs)


def test_one_line_per_request_with_the_route_not_the_path(app, client, caplog):
    caplog.set_level(logging.INFO, logger="organizer.request")
    response = fetch(client, "/r/" + "s3cret" * 8)
    [record] = request_lines(caplog)
    assert (record.method, record.route, record.status) == ("GET", "/r/<token>", 404)
    assert record.request_id == response.headers["X-Request-ID"]
    assert "s3cret" not in TEXT.format(record)

    caplog.clear()
    fetch(client, "/nowhere/s3cret")
    [record] = request_lines(caplog)
    assert (record.route, record.status) == (None, 404)
    assert "GET - 404" in TEXT.format(record) and "s3cret" not in TEXT.format(record)

    caplog.clear()
    campaign = builders.make_campaign(slug="logs")
    builders.make_event(campaign, slug="logged-event")
    response = fetch(client, "/e/logged-event?utm_source=newsletter")
    [record] = request_lines(caplog)
    assert (record.method, record.route, record.status) == ("GET", "/e/<slug>", 200)
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0
    assert record.user_id is None
    line = TEXT.format(record)
    assert "GET /e/<slug> 200" in line and f"request_id={response.headers['X-Request-ID']}" in line
    assert "logged-event" not in line and "newsletter" not in line


def test_the_user_id_of_who_is_signed_in_and_nothing_else_about_them(app, client, login, caplog):
    user = builders.make_user("rosa.luxemburg@example.org", name="Rosa Luxemburg")
    login(user)
    caplog.set_level(logging.INFO, logger="organizer.request")
    fetch(client, "/manage/")
    [record] = request_lines(caplog)
    assert record.user_id == user.id and record.route == "/manage/"
    assert f"user_id={user.id}" in TEXT.format(record) and json.loads(JSON.format(record))["user_id"] == user.id
    for line in (TEXT.format(record), JSON.format(record)):
        assert "rosa" not in line.lower() and "luxemburg" not in line.lower()


def test_json_lines_carry_the_fields(app, client, caplog):
    caplog.set_level(logging.INFO, logger="organizer.request")
    response = fetch(client, "/healthz")
    [record] = request_lines(caplog)
    line = json.loads(JSON.format(record))
    assert line["logger"] == "organizer.request" and line["level"] == "INFO"
    assert {key: line[key] for key in ("method", "route", "status")} == {
        "method": "GET", "route": "/healthz", "status": 200}
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert isinstance(line["duration_ms"], float) and "user_id" not in line


@pytest.mark.parametrize(("proxies", "sent", "kept"), [
    (1, "0f8fad5b-d9cb-469f-a165-70867728950e", True),
    (1, "4c1a9e0b2d3f4a5b6c7d8e9f0a1b2c3d", True),
    (1, "bad id with spaces", False),
    (1, "<script>", False),
    (1, "x" * 200, False),
    (1, "short", False),
    (0, "0f8fad5b-d9cb-469f-a165-70867728950e", False),  # no trusted proxy: anyone could send it
])
def test_a_request_id_from_a_trusted_proxy_only(database_url, proxies, sent, kept):
    app = make_test_app(database_url, PROXY_COUNT=proxies)
    response = fetch(app.test_client(), "/healthz", headers={"X-Request-ID": sent})
    returned = response.headers.getlist("X-Request-ID")
    assert len(returned) == 1
    assert (returned[0] == sent) is kept
    assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", returned[0])
    with app.app_context():
        db.engine.dispose()


def test_shared_cache_hits_are_logged_and_get_their_own_request_id(database_url, caplog):
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=30)
    with app.app_context():
        campaign = builders.make_campaign(slug="cached")
        builders.make_event(campaign, slug="cached-event")
    client = app.test_client()
    caplog.set_level(logging.INFO, logger="organizer.request")
    first = fetch(client, "/e/cached-event")
    second = fetch(client, "/e/cached-event")
    assert "Age" in second.headers  # answered by organizer.sharedcache, before Flask
    miss, hit = request_lines(caplog)
    assert miss.route == hit.route == "/e/<slug>" and (miss.cache, hit.cache) == (None, "hit")
    assert hit.request_id == second.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    with app.app_context():
        db.engine.dispose()


def test_an_unhandled_error_is_logged_as_a_500_with_its_route(database_url, caplog):
    app = make_test_app(database_url, PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @app.get("/_boom/<token>")
    def boom(token):
        raise RuntimeError("boom")

    caplog.set_level(logging.INFO, logger="organizer")
    assert fetch(app.test_client(), "/_boom/t0ken-value").status_code == 500
    [record] = request_lines(caplog)
    assert (record.route, record.status, record.levelname) == ("/_boom/<token>", 500, "ERROR")
    assert not any("t0ken-value" in TEXT.format(r) for r in caplog.records)
    with app.app_context():
        db.engine.dispose()


def test_log_format_must_be_one_we_write(database_url):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        make_test_app(database_url, LOG_FORMAT="xml")


def test_logging_is_set_up_only_when_nobody_did(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    assert logs.configure("json", "INFO") is True
    [handler] = root.handlers
    assert isinstance(handler.formatter, logs.JSONFormatter)
    assert logs.configure("text", "DEBUG") is False  # already configured: left alone
    assert root.handlers == [handler]


def test_the_worker_loop_logs_each_round_it_sent_something_in(app, monkeypatch, caplog):
    import time

    from organizer.services.mail import outbox, transport

    campaign = builders.make_campaign(slug="loop-logs")
    event = builders.make_event(campaign, slug="loop-logs-meeting")
    builders.make_rsvp(event, name="Hidden Name", email="hidden.person@example.net")
    outbox.enqueue("hidden.person@example.net", "Hello", "A body with a /r/secret-link in it")
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    monkeypatch.setattr(time, "sleep", lambda seconds: (_ for _ in ()).throw(KeyboardInterrupt))
    caplog.set_level(logging.DEBUG, logger="organizer")
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--loop"])
    assert result.exit_code == 0, result.output
    [record] = [r for r in caplog.records if r.name == "organizer.outbox"]
    [sent] = [r for r in caplog.records if getattr(r, "outcome", None) == "sent"]  # the worker's line per message
    assert sent.kind == "prepared" and sent.attempt == 1
    assert (record.sent, record.retrying, record.failed) == (1, 0, 0)
    assert json.loads(JSON.format(record))["sent"] == 1
    assert not [r for r in caplog.records if "hidden" in TEXT.format(r).lower() or "secret" in TEXT.format(r)]
    transport.memory_outbox.clear()


# --- A whole day of the app, with every logger turned up: nothing personal in any line ---------

SUPPORTER = {"name": "Zaynab Quasimodo", "email": "zaynab.quasimodo@example.net", "phone": "+44 7700 900461"}
ORGANIZER = {"name": "Ottilie Brennan", "email": "ottilie.brennan@example.org", "password": "correct horse battery 42"}


def _signed_in_organizer(client):
    page = fetch(client, "/auth/login").get_data(as_text=True)
    response = fetch(client, "/auth/login", "POST", data={
        "csrf_token": csrf_from(page), "email": ORGANIZER["email"], "password": ORGANIZER["password"]})
    assert response.status_code == 303, response.get_data(as_text=True)
    return csrf_from(fetch(client, "/manage/").get_data(as_text=True))


def test_no_email_name_phone_or_token_in_any_log_line(app, live_server, caplog):
    for name in ("", "organizer", "werkzeug", "gunicorn", "flask_limiter", "flask_wtf"):
        caplog.set_level(logging.DEBUG, logger=name or None)
    # SQL statements are logged at INFO with their parameters hidden (SQLALCHEMY_ENGINE_OPTIONS); DEBUG
    # adds every result row, which is data by definition and never for production (see README).
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool"):  # alembic.ini sets sqlalchemy.engine itself
        caplog.set_level(logging.INFO, logger=name)
    secrets_seen: set[str] = {*SUPPORTER.values(), *ORGANIZER.values()}

    organizer = builders.make_user(ORGANIZER["email"], name=ORGANIZER["name"], password=ORGANIZER["password"])
    campaign = builders.make_campaign(owner=organizer, slug="leak-check")
    event = builders.make_event(campaign, slug="leak-check-meeting", ask_phone=True,
                                email_policy=EmailPolicy.REQUIRED)
    event_id, event_slug, campaign_slug = event.id, event.slug, campaign.slug

    # An organizer signs in and makes a door link.
    staff = app.test_client()
    token = _signed_in_organizer(staff)
    secrets_seen.add(token)
    links_page = fetch(staff, f"/manage/e/{event_id}/door-links", "POST",
                       data={"csrf_token": token, "label": "Front door"}).get_data(as_text=True)
    door_url = unescape(re.search(r'https?://[^"<\s]+/door/[^"<\s]+', links_page).group(0))
    secrets_seen.add(door_url.rsplit("/", 1)[1])

    # A supporter RSVPs from the event page, as rsvp.js does (token from /csrf-token).
    supporter = app.test_client()
    fetch(supporter, f"/e/{event_slug}")
    rsvp_csrf = fetch(supporter, "/csrf-token").get_json()["csrf_token"]
    secrets_seen.add(rsvp_csrf)
    response = fetch(supporter, f"/e/{event_slug}/rsvp", "POST",
                     data={"csrf_token": rsvp_csrf, **SUPPORTER, "guests": "0"})
    assert response.status_code == 303, response.get_data(as_text=True)
    fetch(supporter, response.headers["Location"])

    manage_path = path_of(last_link(SUPPORTER["email"], "/r/")).split("#")[0]
    ticket_path = "/t/" + ticket_token_for(manage_path.rsplit("/", 1)[1])  # what the QR code holds
    # The outbox worker sends the confirmation (and clears its body).
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(OutboxMessage.status).where(
        OutboxMessage.to_address == SUPPORTER["email"])) is OutboxStatus.SENT
    secrets_seen |= {manage_path.rsplit("/", 1)[1], ticket_path.rsplit("/", 1)[1]}
    assert fetch(supporter, manage_path).status_code == 200
    # Private links through a real server too: werkzeug's own access line would carry the path.
    for path in (manage_path, ticket_path):
        with urllib.request.urlopen(live_server + path) as opened:
            assert opened.status == 200

    # A door volunteer opens the link, finds the supporter and checks them in.
    door = app.test_client()
    opened = fetch(door, path_of(door_url))
    list_url = opened.headers["Location"]
    page = fetch(door, list_url + "?q=zayn").get_data(as_text=True)
    door_csrf = csrf_from(page)
    secrets_seen.add(door_csrf)
    assert SUPPORTER["name"] in page
    ticket_page = fetch(door, ticket_path)
    door_csrf = csrf_from(ticket_page.get_data(as_text=True))  # the volunteer scans the ticket
    assert fetch(door, ticket_path, "POST", data={"csrf_token": door_csrf,
                                                  "idempotency_key": "tap-leak-0000001"}).status_code in (200, 303)
    assert db.session.scalar(select(CheckIn.id)) is not None

    # The organizer exports the campaign's supporters with their contact details.
    export = fetch(staff, f"/manage/c/{campaign_slug}/export", "POST", data={
        "csrf_token": token, "target": "campaign", "statuses": ["going"], "checked_in": "any",
        "preset": "contact", "file_format": "csv"})
    assert export.status_code == 200 and SUPPORTER["email"] in export.get_data(as_text=True)
    fetch(staff, f"/manage/c/{campaign_slug}/audit")

    secrets_seen |= {value for client in (staff, supporter, door) for value in _cookie_values(client)}
    lines = [formatter.format(record) for record in caplog.records for formatter in (TEXT, JSON)]
    assert any('"route": "/r/<token>"' in line for line in lines)  # the flow was logged at all
    assert any('"outcome": "sent"' in line for line in lines)  # and the worker's send
    for secret in secrets_seen:
        assert secret, "every secret is a non-empty string"
        leaking = [line for line in lines if secret.lower() in line.lower()]
        assert not leaking, f"{secret!r} appears in the log: {leaking[:3]}"
    for part in ("zaynab", "quasimodo", "ottilie", "brennan", "7700 900461", "7700900461"):
        assert not [line for line in lines if part in line.lower()], part


def _cookie_values(client) -> list[str]:
    return [cookie.value for cookie in client._cookies.values()] if hasattr(client, "_cookies") else []
