"""Addresses in any script (issue 11.8): an Arabic title gives a readable Arabic slug, organizers can
edit an event's or campaign's slug, and the old address redirects."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Campaign, Event, SlugRedirect
from organizer.services.campaigns import campaigns as campaign_service
from organizer.services.common.errors import ValidationFailed
from organizer.services.events import events as event_service
from organizer.text import slugify
from tests import builders
from tests.views.test_events import event_data

pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.mark.parametrize("title, slug", [
    ("وقفة تضامن مع حمص", "وقفة-تضامن-مع-حمص"),
    ("أمينة مُحَمَّد", "أمينة-محمد"),  # short vowels go, hamza stays
    ("Vigil for Homs!", "vigil-for-homs"),
    ("José Núñez", "jose-nunez"),
    ("   ", "item"),
])
def test_titles_in_any_script_give_readable_slugs(title, slug):
    assert slugify(title) == slug


def test_an_arabic_title_gives_an_arabic_address_that_works(client, login, owner, campaign):
    login(owner)
    response = client.post(f"/manage/c/{campaign.slug}/events/new",
                           data=event_data(title="وقفة تضامن مع حمص", language="ar"))
    assert response.status_code == 303
    event = db.session.scalar(select(Event))
    assert event.slug == "وقفة-تضامن-مع-حمص-2030-07-04"
    assert client.get(f"/e/{quote(event.slug)}").status_code == 200
    page = client.get(f"/manage/e/{event.id}").get_data(as_text=True)
    assert f"/e/{quote(event.slug)}" in page  # links carry it percent-encoded


def test_an_edited_event_address_redirects_from_the_old_one(client, login, owner, campaign):
    event = builders.make_event(campaign, slug="homs-2030", title="Homs")
    login(owner)
    assert 'name="slug"' in client.get(f"/manage/e/{event.id}/edit").get_data(as_text=True)
    response = client.post(f"/manage/e/{event.id}/edit", data=event_data(title="Homs", slug="حمص-تنادي"))
    assert response.status_code == 303
    db.session.refresh(event)
    assert event.slug == "حمص-تنادي"
    moved = client.get("/e/homs-2030")
    assert moved.status_code == 301 and moved.headers["Location"] == f"/e/{quote('حمص-تنادي')}"
    # And back again: the address it takes back is live, the other one redirects.
    client.post(f"/manage/e/{event.id}/edit", data=event_data(title="Homs", slug="homs-2030"))
    assert client.get("/e/homs-2030").status_code == 200
    assert client.get(f"/e/{quote('حمص-تنادي')}").headers["Location"] == "/e/homs-2030"
    assert db.session.scalar(select(func.count()).select_from(SlugRedirect)) == 1


def test_an_edited_campaign_address_redirects_from_the_old_one(client, login, owner, campaign):
    login(owner)
    old = campaign.slug
    data = {"name": campaign.name, "slug": "سوريا-حرة", "default_timezone": "Europe/London"}
    response = client.post(f"/manage/c/{old}/edit", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/manage/c/{quote('سوريا-حرة')}"
    moved = client.get(f"/c/{old}")
    assert moved.status_code == 301 and moved.headers["Location"] == f"/c/{quote('سوريا-حرة')}"


def test_calendar_files_subscriptions_and_the_api_follow_an_edited_address(client, login, owner, campaign):
    """A subscribed calendar program keeps polling the old feed address, another site keeps calling the old
    API address: both are sent on (301), keeping their query; a name nobody ever had is still a 404."""
    event = builders.make_event(campaign, slug="homs-2030", title="Homs")
    old_campaign = campaign.slug
    login(owner)
    client.post(f"/manage/e/{event.id}/edit", data=event_data(title="Homs", slug="homs-calling"))
    client.post(f"/manage/c/{old_campaign}/edit",
                data={"name": campaign.name, "slug": "free-syria", "default_timezone": "Europe/London"})
    expected = {
        "/e/homs-2030/calendar.ics": "/e/homs-calling/calendar.ics",
        f"/c/{old_campaign}/calendar.ics": "/c/free-syria/calendar.ics",
        "/api/v1/events/homs-2030": "/api/v1/events/homs-calling",
        f"/api/v1/campaigns/{old_campaign}": "/api/v1/campaigns/free-syria",
        f"/api/v1/campaigns/{old_campaign}/events?limit=5": "/api/v1/campaigns/free-syria/events?limit=5",
        f"/api/v1/campaigns/{old_campaign}/coverage": "/api/v1/campaigns/free-syria/coverage",
    }
    for old, new in expected.items():
        moved = client.get(old)
        assert (moved.status_code, moved.headers.get("Location")) == (301, new), old
        assert client.get(new).status_code == 200, new
    assert client.get("/e/never-was/calendar.ics").status_code == 404
    missing = client.get("/api/v1/campaigns/never-was")
    assert missing.status_code == 404 and missing.get_json()["error"] == "Not found"


@pytest.mark.parametrize("wanted, message", [
    ("!!!", "Use letters and digits"),
    ("taken", "already taken"),
])
def test_a_bad_or_taken_address_is_refused_and_nothing_changes(owner, campaign, wanted, message):
    builders.make_event(campaign, slug="taken")
    event = builders.make_event(campaign, slug="mine")
    data = event_service.event_input_from(event)
    data.slug = wanted
    with pytest.raises(ValidationFailed) as caught:
        event_service.update_event(owner, event, data)
    assert caught.value.field == "slug" and message in caught.value.message
    db.session.rollback()
    assert db.session.get(Event, event.id).slug == "mine"


def test_typed_addresses_are_tidied_like_generated_ones(owner, campaign):
    data = campaign_service.CampaignInput(name=campaign.name, slug="  Free Syria  ")
    campaign_service.update_campaign(owner, campaign, data)
    db.session.commit()
    assert db.session.scalar(select(Campaign.slug)) == "free-syria"
