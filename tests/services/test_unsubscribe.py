"""Unsubscribe (issue 10.7): a keyed hash per campaign and address, honoured by every later send; the link and
the List-Unsubscribe headers on exactly the campaign mails."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from organizer import worker
from organizer.extensions import db
from organizer.models import MailUnsubscribe, OutboxMessage, OutboxStatus, Rsvp
from organizer.services.events import events as event_service
from organizer.services.mail import transport, unsubscribe
from organizer.services.rsvp import rsvps
from tests import builders
from tests.campaign_mail_kind import campaign_mail_kind, send  # noqa: F401  (fixture)
from tests.security.helpers import tampered

ADDRESS = "Amina.Khalil@example.org"


@pytest.fixture
def sent(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    transport.memory_outbox.clear()

    def run():
        report = worker.send_pending(app.config)
        emails = list(transport.memory_outbox)
        transport.memory_outbox.clear()
        return report, emails

    yield run
    transport.memory_outbox.clear()


def _unsubscribe(campaign, address=ADDRESS):
    found = unsubscribe.read_token(unsubscribe.unsubscribe_token(campaign.id, address))
    assert found is not None and found[0].id == campaign.id
    unsubscribe.unsubscribe(found[0], found[1])
    db.session.commit()


def test_an_unsubscribe_holds_for_that_campaign_and_address_only(owner):
    campaign, other = builders.make_campaign(owner=owner), builders.make_campaign(owner=owner)
    assert not unsubscribe.is_unsubscribed(campaign, ADDRESS)
    _unsubscribe(campaign)
    assert unsubscribe.is_unsubscribed(campaign, ADDRESS)
    # The same address however it is spelt: case and fullwidth forms fold (text.address_key).
    assert unsubscribe.is_unsubscribed(campaign, "amina.khalil@EXAMPLE.org")
    assert unsubscribe.is_unsubscribed(campaign, "ａmina.khalil@example.org")
    assert not unsubscribe.is_unsubscribed(campaign, "someone.else@example.org")
    assert not unsubscribe.is_unsubscribed(other, ADDRESS)
    assert unsubscribe.unsubscribed_among(campaign, [ADDRESS, "x@example.org", None]) == {ADDRESS}
    assert unsubscribe.subscribed(campaign, ["x@example.org", ADDRESS, "y@example.org"]) == \
        ["x@example.org", "y@example.org"]


def test_only_a_keyed_hash_is_stored_never_the_address(owner):
    campaign, other = builders.make_campaign(owner=owner), builders.make_campaign(owner=owner)
    _unsubscribe(campaign)
    _unsubscribe(other)
    rows = db.session.scalars(select(MailUnsubscribe)).all()
    assert len(rows) == 2
    for row in rows:
        assert "amina" not in row.address_hash.lower() and len(row.address_hash) == 64
    assert rows[0].address_hash != rows[1].address_hash  # one person's rows in two campaigns don't match


def test_unsubscribing_twice_is_one_row_and_undo_removes_it(owner):
    campaign = builders.make_campaign(owner=owner)
    _unsubscribe(campaign)
    _unsubscribe(campaign)
    assert db.session.scalar(select(db.func.count(MailUnsubscribe.id))) == 1
    unsubscribe.resubscribe(campaign, unsubscribe.address_hash(campaign.id, ADDRESS))
    db.session.commit()
    assert not unsubscribe.is_unsubscribed(campaign, ADDRESS)


def test_a_forged_or_garbled_token_is_refused(owner):
    campaign = builders.make_campaign(owner=owner)
    token = unsubscribe.unsubscribe_token(campaign.id, ADDRESS)
    assert ADDRESS.lower() not in token.lower() and "amina" not in token.lower()
    for bad in (tampered(token), token + "x", "", "x" * 400, "not.a.token"):
        assert unsubscribe.read_token(bad) is None
    db.session.delete(campaign)
    db.session.commit()
    assert unsubscribe.read_token(token) is None  # the campaign is gone


def test_unsubscribes_survive_a_key_rotation_while_the_old_key_is_a_fallback(app, owner, monkeypatch):
    campaign = builders.make_campaign(owner=owner)
    old_token = unsubscribe.unsubscribe_token(campaign.id, ADDRESS)
    _unsubscribe(campaign)
    old_key = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key-after-rotation-0123456789")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert unsubscribe.is_unsubscribed(campaign, ADDRESS)
    assert unsubscribe.read_token(old_token) is not None  # links in mails sent before still work
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    assert not unsubscribe.is_unsubscribed(campaign, ADDRESS)  # why SECURITY.md says to keep the old key listed


def test_a_send_during_the_rotation_stores_the_unsubscribe_under_the_new_key(app, owner, monkeypatch):
    campaign = builders.make_campaign(owner=owner)
    _unsubscribe(campaign)
    _unsubscribe(campaign, "basel@example.org")
    old_key = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key-after-rotation-0123456789")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert unsubscribe.subscribed(campaign, [ADDRESS, "new@example.org"]) == ["new@example.org"]
    assert not unsubscribe.enqueue_campaign_mail(campaign, "basel@example.org", "News", "x", {})
    db.session.commit()
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    assert unsubscribe.is_unsubscribed(campaign, ADDRESS)
    assert unsubscribe.is_unsubscribed(campaign, "basel@example.org")
    assert db.session.scalar(select(db.func.count(MailUnsubscribe.id))) == 4


def test_later_sends_skip_an_unsubscribed_address(owner, campaign_mail_kind):
    campaign = builders.make_campaign(owner=owner)
    assert campaign_mail_kind(campaign, ADDRESS)
    _unsubscribe(campaign)
    assert not campaign_mail_kind(campaign, ADDRESS.upper())
    assert campaign_mail_kind(campaign, "other@example.org")
    db.session.commit()
    assert db.session.scalar(select(db.func.count(OutboxMessage.id))) == 2


def test_a_mail_written_before_the_unsubscribe_is_not_sent(owner, campaign_mail_kind, sent):
    campaign = builders.make_campaign(owner=owner)
    campaign_mail_kind(campaign, ADDRESS)
    db.session.commit()
    _unsubscribe(campaign)
    report, emails = sent()
    assert (report.sent, report.failed, emails) == (0, 1, [])
    message = db.session.scalar(select(OutboxMessage))
    assert message.status is OutboxStatus.FAILED and "unsubscribed" in message.last_error


def test_a_campaign_mail_carries_the_link_in_both_parts_and_the_one_click_headers(owner, campaign_mail_kind, sent):
    campaign = builders.make_campaign(owner=owner, contact_email="team@example.org")
    campaign_mail_kind(campaign, ADDRESS)
    db.session.commit()
    _report, [mail] = sent()
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://localhost/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Reply-To"] == "team@example.org"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert link in text and f'href="{link}"' in html
    assert "Unsubscribe from this campaign's emails" in text and "Unsubscribe from this campaign's emails" in html
    assert unsubscribe.read_token(link.rsplit("/", 1)[1])[1] == unsubscribe.address_hash(campaign.id, ADDRESS)


def test_a_campaign_mail_without_its_token_or_its_link_is_never_sent(owner, campaign_mail_kind, sent):
    from organizer.services.mail import outbox

    campaign = builders.make_campaign(owner=owner)
    outbox.enqueue_for_worker(ADDRESS, "No token", "test_campaign_note", {"campaign_id": campaign.id, "note": "x"})
    campaign_mail_kind(campaign, "bare@example.org", template="test_campaign_bare")
    db.session.commit()
    report, emails = sent()
    assert emails == [] and report.sent == 0


def test_the_answers_to_a_supporters_own_actions_carry_no_unsubscribe(owner, sent):
    """Confirmation, waitlist, promotion, change and cancellation notices always go, without the link."""
    campaign = builders.make_campaign(owner=owner)
    event = builders.make_event(campaign, capacity=1)
    _unsubscribe(campaign)  # even for an address that unsubscribed: these answer what they did
    rsvps.create_rsvp(event, name="Amina", email=ADDRESS)
    rsvps.create_rsvp(event, name="Basel", email="basel@example.org")  # waitlisted
    db.session.commit()
    rsvps.cancel_rsvp(db.session.scalar(select(Rsvp).where(Rsvp.name == "Amina")))  # Basel is promoted
    db.session.commit()
    event_service.cancel_event(owner, event)
    db.session.commit()
    _report, emails = sent()
    subjects = sorted(mail["Subject"] for mail in emails)
    assert [subject.split(":")[0] for subject in subjects] == [
        "A place opened up — you're going", "Cancelled", "You're going", "You're on the waitlist"], subjects
    assert any(mail["To"] == ADDRESS for mail in emails)
    for mail in emails:
        assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None, mail["Subject"]
        assert "/unsubscribe/" not in mail.get_body(("plain",)).get_content()


def test_a_batch_of_the_worker_reads_each_campaigns_unsubscribes_once():
    """The outbox worker asks once per campaign and batch, not once per mail; the answers are the same."""
    from sqlalchemy import event as sa_events

    campaign = builders.make_campaign(owner=builders.make_user())
    _unsubscribe(campaign, "left@example.org")
    hashes = {address: unsubscribe.address_hash(campaign.id, address)
              for address in ("left@example.org", "stayed@example.org", "also.stayed@example.org")}
    statements = []

    def count(*_args):
        statements.append(1)

    sa_events.listen(db.engine, "before_cursor_execute", count)
    try:
        with unsubscribe.one_lookup_per_campaign():
            answers = {address: unsubscribe.is_hash_unsubscribed(campaign.id, hashed)
                       for address, hashed in hashes.items()}
        in_batch = len(statements)
        statements.clear()
        one_by_one = {address: unsubscribe.is_hash_unsubscribed(campaign.id, hashed)
                      for address, hashed in hashes.items()}
    finally:
        sa_events.remove(db.engine, "before_cursor_execute", count)
    assert answers == one_by_one == {"left@example.org": True, "stayed@example.org": False,
                                     "also.stayed@example.org": False}
    assert (in_batch, len(statements)) == (1, 3)
