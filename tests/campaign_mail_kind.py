"""A campaign mail kind for tests (issue 10.7), made the way services/mail/unsubscribe.py tells other kinds to
be made: written with ``enqueue_campaign_mail``, rendered with ``campaign_mail_bodies``. Its templates live in
memory, so the app's own templates stay what they are."""

from __future__ import annotations

import pytest
from jinja2 import ChoiceLoader, DictLoader

from organizer.extensions import db
from organizer.models import Campaign
from organizer.rendering import mail as mail_rendering
from organizer.rendering.campaign_mail import campaign_mail_bodies
from organizer.services.mail import unsubscribe

RENDERER = "test_campaign_note"
TEMPLATES = {
    "email/test_campaign_note.txt": "Hello from {{ campaign.name|bdi }}: {{ note }}\n",
    "email/test_campaign_note.html": '{% extends "email/_base.html" %}{% block body %}<p>{{ note }}</p>{% endblock %}',
    # A template that forgets the layouts: the helper must refuse it.
    "email/test_campaign_bare.txt": "{{ note }}\n",
    "email/test_campaign_bare.html": "<p>{{ note }}</p>",
}


def _render(subject: str, data: dict):
    campaign = db.session.get(Campaign, data["campaign_id"])
    if campaign is None:
        return None
    return campaign_mail_bodies(data.get("template", "test_campaign_note"), subject, data, campaign=campaign,
                                note=data["note"])


@pytest.fixture
def campaign_mail_kind(app, monkeypatch):
    monkeypatch.setitem(mail_rendering.RENDERERS, RENDERER, _render)
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader]))
    app.jinja_env.cache.clear()
    yield send
    app.jinja_env.cache.clear()


def send(campaign: Campaign, to_address: str, note: str = "We've moved to the hall next door.", **data) -> bool:
    return unsubscribe.enqueue_campaign_mail(campaign, to_address, "News from the campaign", RENDERER,
                                             {"campaign_id": campaign.id, "note": note, **data})
