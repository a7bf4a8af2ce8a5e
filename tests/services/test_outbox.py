"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): a message leaves once, after
commit; never for a rolled-back change; a failure is retried later without a duplicate."""

from __future__ import annotations

import email
import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale
from sqlalchemy import select

from organizer import worker
from organizer.extensions import db
from organizer.formatting import event_datetime
from organizer.models import OutboxMessage, OutboxStatus, Rsvp, RsvpStatus
from organizer.services.common.tokens import hash_token
from organizer.services.mail import outbox as outbox_rows
from organizer.services.mail import transport
from organizer.services.rsvp import rsvps
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import as_sent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; can answer 4xx/5xx to the next DATA commands."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_next: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next:
            return self.refuse_next.pop(0)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp(smtp_port):
    server = SmtpServer(smtp_port).start()
    yield server
    server.stop()


@pytest.fixture
def settings(app, smtp_port):
    return {**app.config, "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port,
            "MAIL_USE_STARTTLS": False, "MAIL_USERNAME": None, "MAIL_MAX_ATTEMPTS": 3,
            "MAIL_RETRY_SECONDS": 60}


@pytest.fixture
def event():
    campaign = builders.make_campaign(owner=builders.make_user(), name="Syria Solidarity")
    return builders.make_event(campaign, title="Solidarity with Homs", capacity=5)


def rsvp_with_email(event, address="amina@example.org"):
    return rsvps.create_rsvp(event, name="Amina", email=address)


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return [as_sent(message) for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_sent_once_after_commit(smtp, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    report = worker.send_pending(settings)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert worker.send_pending(settings).attempted == 0  # a second round finds nothing to do
    assert len(smtp.mailbox.messages) == 1
    message = smtp.mailbox.messages[0]
    assert message["To"] == "amina@example.org"
    assert message["Subject"] == "You're going: Solidarity with Homs"
    assert message["Auto-Submitted"] == "auto-generated"
    [row] = outbox()
    assert message["Message-ID"] == transport.message_id(row, settings)
    assert row.status is OutboxStatus.SENT and row.sent_at is not None and row.attempts == 1
    # The private link is a credential: it doesn't stay in the database once the mail left.
    assert row.body_text == row.body_html == row.ics_attachment == ""


def test_the_confirmation_carries_the_link_the_ticket_and_the_calendar_file(smtp, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    worker.send_pending(settings)
    message = smtp.mailbox.messages[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "http://localhost/r/" in text and "http://localhost/r/" in html
    assert "Your ticket: http://localhost/r/" in text
    [calendar] = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert calendar.get_filename() == "event.ics"
    assert "SUMMARY:Solidarity with Homs" in calendar.get_content()


def test_nothing_is_sent_for_a_rolled_back_change(smtp, settings, event):
    rsvp_with_email(event)
    db.session.flush()
    db.session.rollback()
    assert worker.send_pending(settings).attempted == 0
    assert smtp.mailbox.messages == []


def test_a_refused_delivery_is_retried_later_without_a_duplicate(smtp, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    smtp.mailbox.refuse_next = ["451 4.3.0 Try again later"]
    now = utcnow()
    report = worker.send_pending(settings, now=now)
    assert (report.sent, report.retrying) == (0, 1)
    [row] = outbox()
    assert row.status is OutboxStatus.PENDING and row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at == now + timedelta(seconds=60)
    assert worker.send_pending(settings, now=now + timedelta(seconds=30)).attempted == 0  # not due yet
    report = worker.send_pending(settings, now=now + timedelta(seconds=61))
    assert report.sent == 1
    assert len(smtp.mailbox.messages) == 1
    [row] = outbox()
    assert row.status is OutboxStatus.SENT and row.attempts == 2
    assert smtp.mailbox.messages[0]["Message-ID"] == transport.message_id(row, settings)


def test_server_down_then_up_delivers_exactly_once(smtp_port, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    now = utcnow()
    report = worker.send_pending(settings, now=now)  # nothing listens on the port yet
    assert report.retrying == 1
    assert "Connection" in outbox()[0].last_error or "refused" in outbox()[0].last_error.lower()
    server = SmtpServer(smtp_port).start()
    try:
        assert worker.send_pending(settings, now=now + timedelta(seconds=61)).sent == 1
        assert worker.send_pending(settings, now=now + timedelta(hours=1)).attempted == 0
        assert len(server.mailbox.messages) == 1
    finally:
        server.stop()


def test_backoff_doubles_and_gives_up_after_the_last_attempt(smtp_port, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    now = utcnow()
    waits = []
    for _attempt in range(3):
        report = worker.send_pending(settings, now=now)
        row = outbox()[0]
        if row.status is OutboxStatus.FAILED:
            break
        assert report.retrying == 1
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits == [timedelta(seconds=60), timedelta(seconds=120)]
    row = outbox()[0]
    assert row.status is OutboxStatus.FAILED and row.attempts == 3 and row.body_text == ""
    assert worker.send_pending(settings, now=now + timedelta(days=1)).attempted == 0


def test_a_permanent_refusal_is_not_retried(smtp, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    smtp.mailbox.refuse_next = ["550 5.1.1 No such mailbox"]
    report = worker.send_pending(settings)
    assert report.failed == 1
    assert outbox()[0].status is OutboxStatus.FAILED
    assert worker.send_pending(settings, now=utcnow() + timedelta(days=1)).attempted == 0
    assert smtp.mailbox.messages == []


def test_a_claimed_message_is_not_taken_by_another_worker(smtp, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    claimed = outbox_rows.claim_due(settings)
    assert len(claimed) == 1
    assert outbox_rows.claim_due(settings) == []  # leased to the first worker
    assert worker.send_pending(settings).attempted == 0
    # The first worker died without sending: after the lease the message goes out, once.
    later = utcnow() + timedelta(seconds=outbox_rows.DEFAULT_LEASE_SECONDS + 1)
    assert worker.send_pending(settings, now=later).sent == 1
    assert len(smtp.mailbox.messages) == 1


def test_file_backend_writes_one_eml_per_message(tmp_path, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    file_settings = {**settings, "MAIL_BACKEND": "file", "MAIL_FILE_DIR": str(tmp_path / "mail")}
    assert worker.send_pending(file_settings).sent == 1
    [written] = list((tmp_path / "mail").glob("*.eml"))
    parsed = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["To"] == "amina@example.org"
    assert "http://localhost/r/" in parsed.get_body(("plain",)).get_content()


def test_memory_backend_and_the_cli(app, event, monkeypatch):
    transport.memory_outbox.clear()
    rsvp_with_email(event)
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert [m["To"] for m in transport.memory_outbox] == ["amina@example.org"]
    transport.memory_outbox.clear()


def test_links_come_from_base_url_not_the_request(app, event, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://organizer.example.org")
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        rsvp_with_email(event)
    db.session.commit()
    body = outbox()[0].body_text
    assert "https://organizer.example.org/r/" in body and "evil.example" not in body


def test_the_loop_keeps_sending_until_stopped(app, event, monkeypatch):
    import time

    transport.memory_outbox.clear()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    rounds = []
    event_id = event.id

    def sleep(seconds):
        rounds.append(seconds)
        if len(rounds) < 3:
            return
        if len(rounds) == 3:
            from organizer.models import Event

            rsvp_with_email(db.session.get(Event, event_id), "late@example.org")  # arrives between two rounds
            db.session.commit()
            return
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)
    rsvp_with_email(event)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--loop", "--interval", "0.5"])
    assert result.exit_code == 0, result.output
    assert rounds == pytest.approx([0.2, 0.2, 0.1, 0.2])  # short steps, so SIGTERM is noticed quickly
    assert sorted(m["To"] for m in transport.memory_outbox) == ["amina@example.org", "late@example.org"]
    transport.memory_outbox.clear()


def test_the_loop_sleeps_only_once_it_has_caught_up(app, event, monkeypatch):
    """A backlog goes out round after round at the worker's pace: with the defaults (100 every 5 s) a
    message to 10,000 people would otherwise take over eight minutes of sleeping."""
    import time

    transport.memory_outbox.clear()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    for n in range(5):
        rsvp_with_email(event, f"backlog{n}@example.org")
    db.session.commit()
    sent_before_each_sleep = []

    def sleep(seconds):
        sent_before_each_sleep.append(len(transport.memory_outbox))
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--loop", "--interval", "0.5", "--limit", "2"])
    assert result.exit_code == 0, result.output
    # Rounds of 2, 2 and 1 without a pause; the first sleep comes after the round that was not full.
    assert sent_before_each_sleep == [5]
    transport.memory_outbox.clear()


# --- Rendered by the worker (the RSVP confirmation) ---------------------------------------------

def _raw_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_request_writes_what_the_worker_needs_and_the_worker_renders_the_link_and_calendar(smtp, settings,
                                                                                              event):
    rsvp_with_email(event)
    db.session.commit()
    [row] = _raw_rows()
    assert row.body_text == row.body_html == row.ics_attachment == ""  # nothing rendered in the request
    assert row.renderer == "rsvp_received" and row.subject == "You're going: Solidarity with Homs"
    token = json.loads(row.render_data)["token"]
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.email == "amina@example.org"))
    assert rsvp.manage_token_hash == hash_token(token)  # the link the email will carry opens this RSVP

    assert worker.send_pending(settings).sent == 1
    message = smtp.mailbox.messages[0]
    text = message.get_body(("plain",)).get_content()
    assert f"http://localhost/r/{token}\r\n" in text and f"Your ticket: http://localhost/r/{token}#ticket" in text
    assert f"http://localhost/r/{token}" in message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "event.ics" and "SUMMARY:Solidarity with Homs" in attachment.get_content()
    [row] = _raw_rows()
    assert row.status is OutboxStatus.SENT and row.render_data == ""  # the token left with the mail


def test_the_worker_tells_a_waitlisted_supporter_their_position_without_a_calendar(smtp, settings):
    campaign = builders.make_campaign(owner=builders.make_user())
    full = builders.make_event(campaign, title="Small room", capacity=1)
    rsvps.create_rsvp(full, name="First", email="first@example.org")
    receipt = rsvps.create_rsvp(full, name="Second", email="second@example.org")
    db.session.commit()
    assert receipt.status is RsvpStatus.WAITLISTED and receipt.waitlist_position == 1
    worker.send_pending(settings)
    [message] = [m for m in smtp.mailbox.messages if m["To"] == "second@example.org"]
    assert message["Subject"] == "You're on the waitlist: Small room"
    assert "on the waitlist — position 1." in message.get_body(("plain",)).get_content()
    assert list(message.iter_attachments()) == []


def test_the_worker_renders_in_the_language_of_the_request(app, smtp, settings, event):
    with app.test_request_context("/"), force_locale("de"):
        rsvp_with_email(event)
        expected_date = event_datetime(event.starts_at, event.timezone)
    db.session.commit()
    assert json.loads(_raw_rows()[0].render_data)["locale"] == "de"
    worker.send_pending(settings)  # the worker itself runs in the default locale
    assert expected_date in smtp.mailbox.messages[0].get_body(("plain",)).get_content()
    with force_locale("en"):
        assert event_datetime(event.starts_at, event.timezone) != expected_date


def test_an_rsvp_deleted_before_the_worker_sends_is_not_emailed(smtp, settings, event):
    rsvp_with_email(event)
    db.session.commit()
    rsvps.delete_rsvp(db.session.scalar(select(Rsvp).where(Rsvp.email == "amina@example.org")))
    db.session.commit()
    report = worker.send_pending(settings)
    assert (report.sent, report.failed) == (0, 1)
    assert smtp.mailbox.messages == []
    [row] = _raw_rows()
    assert row.status is OutboxStatus.FAILED and row.last_error.startswith("not sent")
    assert row.render_data == "" and worker.send_pending(settings).attempted == 0


def test_a_message_that_cannot_be_rendered_is_retried_then_given_up_and_does_not_hold_up_the_others(
        smtp, settings, event, monkeypatch):
    rsvp_with_email(event, "first@example.org")
    rsvp_with_email(event, "second@example.org")
    db.session.commit()
    broken = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
    broken.render_data = "{not json"
    db.session.commit()
    broken_id = broken.id
    settings = {**settings, "MAIL_MAX_ATTEMPTS": 2}
    report = worker.send_pending(settings)
    assert (report.sent, report.retrying, report.failed) == (1, 1, 0)  # the other one went out
    assert [m["To"] for m in smtp.mailbox.messages] == ["second@example.org"]
    later = utcnow() + timedelta(days=1)
    report = worker.send_pending(settings, now=later)
    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    row = db.session.get(OutboxMessage, broken_id)
    db.session.refresh(row)
    assert row.status is OutboxStatus.FAILED and row.last_error.startswith("could not be rendered")
    assert row.render_data == ""  # the private link does not stay behind


def test_the_lease_comes_from_the_environment():
    """Operators running several workers set MAIL_LEASE_SECONDS: how soon another worker sends what a
    dead one had claimed (the two-node test relies on it)."""
    read = [sys.executable, "-c", "from organizer.config import Config; print(Config.MAIL_LEASE_SECONDS)"]
    environment = {key: value for key, value in os.environ.items() if key != "MAIL_LEASE_SECONDS"}
    assert subprocess.run(read, env={**environment, "MAIL_LEASE_SECONDS": "7"}, capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip() == "7"
    assert subprocess.run(read, env=environment, capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip() == str(outbox_rows.DEFAULT_LEASE_SECONDS)


def test_the_worker_logs_each_message_by_id_kind_attempt_and_outcome_never_to_whom(smtp, settings, event, caplog):
    import logging

    from organizer.logs import JSONFormatter

    for address in ("amina@example.org", "bilal@example.org", "chen@example.org"):
        rsvp_with_email(event, address)
    db.session.commit()
    ids = [message.id for message in outbox()]
    smtp.mailbox.refuse_next = ["550 5.1.1 <amina@example.org>: Recipient address rejected",
                                "451 4.2.0 <bilal@example.org>: try again later"]
    caplog.set_level(logging.DEBUG, logger="organizer")
    worker.send_pending(settings)
    lines = {record.message_id: record for record in caplog.records if getattr(record, "message_id", None)}
    assert [(lines[i].outcome, lines[i].attempt) for i in ids] == [("refused", 1), ("retrying", 1), ("sent", 1)]
    assert {lines[i].kind for i in ids} == {"rsvp_received"}
    assert "SMTPDataError 550" in lines[ids[0]].getMessage()
    assert json.loads(JSONFormatter().format(lines[ids[2]]))["outcome"] == "sent"
    text = "\n".join(JSONFormatter().format(record) + record.getMessage() for record in caplog.records)
    assert "@example.org" not in text and "amina" not in text.lower()
