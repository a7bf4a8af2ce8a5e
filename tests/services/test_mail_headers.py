"""Headers that depend on what a mail is about (issue 10.4 and 10.7): the campaign's contact address as
Reply-To (the From stays the configured sender)."""

from __future__ import annotations

import pytest

from organizer import worker
from organizer.extensions import db
from organizer.services.campaigns import campaigns
from organizer.services.campaigns.campaigns import CampaignInput
from organizer.services.common.errors import ValidationFailed
from organizer.services.mail import transport
from organizer.services.rsvp import rsvps
from tests import builders


@pytest.fixture
def sent(app, monkeypatch):
    """Sends what the outbox holds through the memory backend and returns the emails as sent."""
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "memory")
    monkeypatch.setitem(app.config, "MAIL_SENDER", "Organizer <no-reply@organizer.example>")
    transport.memory_outbox.clear()

    def send():
        worker.send_pending(app.config)
        emails = list(transport.memory_outbox)
        transport.memory_outbox.clear()
        return emails

    yield send
    transport.memory_outbox.clear()


def test_the_contact_address_is_validated_and_normalized(owner):
    campaign = builders.make_campaign(owner=owner)
    campaigns.update_campaign(owner, campaign, CampaignInput(name=campaign.name,
                                                             contact_email="  Team@ＥＸＡＭＰＬＥ.org "))
    assert campaign.contact_email == "Team@example.org"
    for bad in ("not an address", "a@b@c.org", "Team <team@example.org>", "team@example.org\r\nBcc: x@y.org",
                "x" * 250 + "@example.org"):
        with pytest.raises(ValidationFailed) as caught:
            campaigns.update_campaign(owner, campaign, CampaignInput(name=campaign.name, contact_email=bad))
        assert caught.value.field == "contact_email"
    db.session.rollback()


def test_left_out_the_contact_address_is_kept_and_empty_removes_it(owner):
    campaign = builders.make_campaign(owner=owner, contact_email="team@example.org")
    campaigns.update_campaign(owner, campaign, CampaignInput(name="Renamed"))
    assert campaign.contact_email == "team@example.org"
    campaigns.update_campaign(owner, campaign, CampaignInput(name="Renamed", contact_email=""))
    assert campaign.contact_email is None


def test_campaign_mails_reply_to_the_contact_address_from_the_sender(owner, sent):
    campaign = builders.make_campaign(owner=owner, contact_email="team@example.org")
    event = builders.make_event(campaign)
    rsvps.create_rsvp(event, name="Amina", email="amina@example.org")
    db.session.commit()
    [mail] = sent()
    assert mail["Reply-To"] == "team@example.org"
    assert mail["From"] == "Organizer <no-reply@organizer.example>"


def test_without_a_contact_address_there_is_no_reply_to(owner, sent):
    event = builders.make_event(builders.make_campaign(owner=owner))
    rsvps.create_rsvp(event, name="Amina", email="amina@example.org")
    db.session.commit()
    [mail] = sent()
    assert mail["Reply-To"] is None


def test_owners_set_the_contact_address_on_the_settings_form(client, login, no_csrf, owner):
    campaign = builders.make_campaign(owner=owner)
    login(owner)
    page = client.get(f"/manage/c/{campaign.slug}/edit")
    assert b'name="contact_email"' in page.data
    form = {"name": campaign.name, "default_timezone": campaign.default_timezone, "retention": "90",
            "slug": campaign.slug, "contact_email": "not an address"}
    refused = client.post(f"/manage/c/{campaign.slug}/edit", data=form)
    assert refused.status_code == 400
    assert b"not an address" in refused.data  # what was typed stays
    form["contact_email"] = "team@example.org"
    assert client.post(f"/manage/c/{campaign.slug}/edit", data=form).status_code == 303
    db.session.refresh(campaign)
    assert campaign.contact_email == "team@example.org"
