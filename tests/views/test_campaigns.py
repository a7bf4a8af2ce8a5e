"""Campaign pages through HTTP: my campaigns, create/edit, the dashboard, members, the coverage library."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Campaign, Coverage, EventStatus, Membership, Role, RsvpStatus
from organizer.timeutil import utcnow
from tests import builders
from tests.security.helpers import csrf_from

NASTY = '<script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.fixture
def owner():
    return builders.make_user(name="Olive Owner")


@pytest.fixture
def campaign(owner):
    return builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")


def body(response) -> str:
    return response.get_data(as_text=True)


def membership_of(user, campaign) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.campaign_id == campaign.id))


# --- My campaigns and creating one -------------------------------------------------------------

def test_dashboard_needs_sign_in(client):
    response = client.get("/manage/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_dashboard_empty_state(client, login):
    login(builders.make_user())
    html = body(client.get("/manage/"))
    assert "You're not part of any campaign yet." in unescape(html)
    assert 'href="/manage/campaigns/new"' in html


def test_dashboard_lists_my_campaigns_with_role_and_counts(client, login, campaign):
    door = builders.make_user()
    builders.make_membership(campaign, door, Role.DOOR)
    builders.make_event(campaign)
    builders.make_event(campaign, status=EventStatus.DRAFT)
    builders.make_campaign(owner=builders.make_user(), name="Not mine")
    login(door)
    html = body(client.get("/manage/"))
    assert "Syria Solidarity" in html and "Door volunteer" in html and "Not mine" not in html
    assert "1 upcoming event" in html and "1 draft" in html


def test_create_campaign_makes_me_owner(client, login, no_csrf):
    login(builders.make_user())
    response = client.post("/manage/campaigns/new", data={
        "name": "Syria Solidarity", "summary": "With Syria", "description": "", "default_venue_name": "LMC",
        "default_city": "London", "default_timezone": "Europe/London"})
    assert response.status_code == 303
    campaign = db.session.scalar(select(Campaign))
    assert response.headers["Location"].endswith(f"/manage/c/{campaign.slug}")
    assert db.session.scalar(select(Membership.role).where(Membership.campaign_id == campaign.id)) is Role.OWNER


def test_create_needs_a_valid_csrf_token(client, login):
    login(builders.make_user())
    response = client.post("/manage/campaigns/new", data={"name": "X", "default_timezone": "Europe/London"})
    assert response.status_code == 400
    assert db.session.scalar(select(Campaign)) is None
    token = csrf_from(body(client.get("/manage/campaigns/new")))
    response = client.post("/manage/campaigns/new",
                           data={"csrf_token": token, "name": "X", "default_timezone": "Europe/London"})
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Enter a name for the campaign."),
        ({"name": "x" * 161}, "Use at most 160 characters."),
        ({"name": "Ok", "summary": "x" * 301}, "Use at most 300 characters."),
        ({"name": "Ok", "default_city": "x" * 500}, "Use at most 120 characters."),
        ({"name": "Ok", "description": "x" * 20_001}, "Use at most 20000 characters."),
        ({"name": "Ok", "default_timezone": "Mars/Base"}, "Choose a timezone from the list."),
    ],
)
def test_bad_campaign_input_is_a_form_error(client, login, no_csrf, data, message):
    login(builders.make_user())
    response = client.post("/manage/campaigns/new", data={"default_timezone": "Europe/London", **data})
    assert response.status_code == 400
    assert message in body(response)
    assert db.session.scalar(select(Campaign)) is None


def test_campaign_text_is_stored_as_typed_and_shown_escaped(client, login, no_csrf, owner, campaign):
    login(owner)
    response = client.post("/manage/c/syria/edit", data={
        "name": f"Name {NASTY}", "summary": f"Summary {NASTY}", "description": f"Text {NASTY}",
        "default_venue_name": NASTY, "default_address": NASTY, "default_city": "London", "default_country": NASTY,
        "default_timezone": "Europe/London"})
    assert response.status_code == 303
    assert campaign.name == f"Name {NASTY}"
    for path in ("/manage/", "/manage/c/syria", "/manage/c/syria/edit", "/c/syria"):
        html = body(client.get(path))
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path


def test_edit_is_for_owners_only(client, login, campaign):
    organizer = builders.make_user()
    builders.make_membership(campaign, organizer, Role.ORGANIZER)
    login(organizer)
    assert client.get("/manage/c/syria/edit").status_code == 404


# --- The campaign dashboard --------------------------------------------------------------------

def test_overview_shows_going_capacity_and_waitlist_with_drafts_apart(client, login, owner, campaign):
    now = utcnow()
    full = builders.make_event(campaign, title="Manchester meeting", capacity=3, starts_at=now + timedelta(days=3))
    builders.make_rsvp(full, guests=1)
    builders.make_rsvp(full)
    builders.make_rsvp(full, status=RsvpStatus.WAITLISTED, guests=2)
    builders.make_event(campaign, title="Leeds draft", status=EventStatus.DRAFT)
    builders.make_event(campaign, title="Old meeting", starts_at=now - timedelta(days=30))
    login(owner)
    html = body(client.get("/manage/c/syria"))
    upcoming = html[html.index("upcoming-heading"):html.index("drafts-heading")]
    assert "Manchester meeting" in upcoming
    cells = [cell.strip() for cell in upcoming.split('class="num"')[1:]]
    assert [cell.split(">", 1)[1].split("<", 1)[0] for cell in cells[3:6]] == ["3", "3", "3"]
    drafts = html[html.index("drafts-heading"):html.index("past-heading")]
    assert "Leeds draft" in drafts and "Manchester meeting" not in drafts
    assert "Old meeting" in html[html.index("past-heading"):]
    assert 'href="/manage/c/syria/events/new"' in html


def test_overview_empty_state_and_no_create_button_for_door(client, login, owner, campaign):
    login(owner)
    assert "No upcoming events yet — create the next one." in body(client.get("/manage/c/syria"))
    door = builders.make_user()
    builders.make_membership(campaign, door, Role.DOOR)
    login(door)
    html = body(client.get("/manage/c/syria"))
    assert "/events/new" not in html and "/members" not in html and "/coverage" not in html


# --- Members -----------------------------------------------------------------------------------

# Inviting members: tests/views/test_invitations.py


def test_change_role(client, login, no_csrf, owner, campaign):
    member = builders.make_membership(campaign, builders.make_user(), Role.DOOR)
    login(owner)
    response = client.post(f"/manage/c/syria/members/{member.id}/role", data={f"m{member.id}-role": "organizer"})
    assert response.status_code == 303
    db.session.refresh(member)
    assert member.role is Role.ORGANIZER


def test_the_last_owner_cannot_be_demoted_or_removed(client, login, no_csrf, owner, campaign):
    own = membership_of(owner, campaign)
    login(owner)
    response = client.post(f"/manage/c/syria/members/{own.id}/role", data={f"m{own.id}-role": "door"},
                           follow_redirects=True)
    assert "A campaign needs at least one owner" in body(response)
    db.session.refresh(own)
    assert own.role is Role.OWNER
    html = body(client.get(f"/manage/c/syria/members/{own.id}/remove"))
    assert "is the campaign's only owner, so they can't be removed" in html and "Yes, remove them" not in html
    response = client.post(f"/manage/c/syria/members/{own.id}/remove")
    assert response.status_code == 409 and "The last owner can" in body(response)
    assert membership_of(owner, campaign) is not None


def test_remove_member_asks_first(client, login, no_csrf, owner, campaign):
    member = builders.make_membership(campaign, builders.make_user(name="Rami", email="rami@example.org"),
                                      Role.COORDINATOR)
    login(owner)
    html = body(client.get(f"/manage/c/syria/members/{member.id}/remove"))
    assert "Remove <bdi>Rami</bdi>?" in html and "rami@example.org" in html
    response = client.post(f"/manage/c/syria/members/{member.id}/remove")
    assert response.status_code == 303
    assert db.session.get(Membership, member.id) is None


def test_an_owner_who_leaves_goes_back_to_their_campaigns(client, login, no_csrf, owner, campaign):
    other_owner = builders.make_membership(campaign, builders.make_user(), Role.OWNER)
    own = membership_of(owner, campaign)
    login(owner)
    response = client.post(f"/manage/c/syria/members/{own.id}/remove")
    assert response.status_code == 303 and response.headers["Location"].endswith("/manage/")
    assert other_owner.role is Role.OWNER


# --- Coverage library --------------------------------------------------------------------------

def coverage_data(**overrides):
    data = {"url": "https://socialistworker.co.uk/art/27271/Syrians+defy+assault+on+Homs",
            "headline": "Syrians defy assault on Homs", "outlet": "Socialist Worker", "author": "Simon Assaf",
            "published_on": "2012-03-06", "excerpt": "Mass executions…", "language": "en"}
    data.update(overrides)
    return data


def test_library_lists_and_filters_without_javascript(client, login, owner, campaign):
    builders.make_coverage(campaign, headline="Syrians defy assault on Homs")
    builders.make_coverage(campaign, headline="Aleppo strikes", url="https://example.org/aleppo")
    login(owner)
    html = body(client.get("/manage/c/syria/coverage"))
    assert "Syrians defy assault on Homs" in html and "Aleppo strikes" in html
    assert 'data-coverage-search="/manage/c/syria/coverage/search"' in html
    assert '/static/js/coverage-search.js' in html
    html = body(client.get("/manage/c/syria/coverage?q=aleppo"))
    assert "Aleppo strikes" in html and "Syrians defy" not in html


def test_library_empty_state(client, login, owner, campaign):
    login(owner)
    assert "No articles yet" in body(client.get("/manage/c/syria/coverage"))


def test_json_search_for_search_as_you_type(client, login, owner, campaign):
    item = builders.make_coverage(campaign, headline="Syrians defy assault on Homs", published_on=date(2012, 3, 6))
    builders.make_coverage(builders.make_campaign(owner=owner), headline="Homs elsewhere")
    login(owner)
    response = client.get("/manage/c/syria/coverage/search?q=HOMS", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    results = response.get_json()["results"]
    assert [result["id"] for result in results] == [item.id]
    assert results[0]["published_on"] == "2012-03-06"
    assert results[0]["edit_url"] == f"/manage/c/syria/coverage/{item.id}/edit"
    long_query = client.get("/manage/c/syria/coverage/search?q=" + "x" * 5000, headers={"Accept": "application/json"})
    assert long_query.status_code == 200 and long_query.get_json()["results"] == []


def test_add_edit_delete_an_article(client, login, no_csrf, owner, campaign):
    login(owner)
    response = client.post("/manage/c/syria/coverage/new", data=coverage_data())
    assert response.status_code == 303
    item = db.session.scalar(select(Coverage))
    assert (item.headline, item.published_on) == ("Syrians defy assault on Homs", date(2012, 3, 6))
    response = client.post(f"/manage/c/syria/coverage/{item.id}/edit", data=coverage_data(outlet="SW"))
    assert response.status_code == 303
    db.session.refresh(item)
    assert item.outlet == "SW"
    event = builders.make_event(campaign)
    builders.link_coverage(event, item)
    html = body(client.get(f"/manage/c/syria/coverage/{item.id}/delete"))
    assert "It is linked to 1 event" in html
    assert client.post(f"/manage/c/syria/coverage/{item.id}/delete").status_code == 303
    assert db.session.scalar(select(Coverage)) is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "javascript:alert(1)"}, "starting with https:// or http://"),
        ({"url": "data:text/html,hi"}, "starting with https:// or http://"),
        ({"url": ""}, "Paste the article's web address."),
        ({"url": "https://example.org/" + "a" * 500}, "Use at most 500 characters."),
        ({"headline": ""}, "Enter the headline."),
        ({"headline": "x" * 301}, "Use at most 300 characters."),
        ({"outlet": "x" * 161}, "Use at most 160 characters."),
        ({"excerpt": "x" * 2001}, "Use at most 2000 characters."),
        ({"published_on": "3 March"}, "Not a valid date value."),
        ({"language": "<script>"}, "Use a language code"),
    ],
)
def test_bad_article_input_is_a_form_error(client, login, no_csrf, owner, campaign, overrides, message):
    login(owner)
    response = client.post("/manage/c/syria/coverage/new", data=coverage_data(**overrides))
    assert response.status_code == 400
    assert message in unescape(body(response))
    assert db.session.scalar(select(Coverage)) is None


def test_article_text_is_shown_escaped(client, login, no_csrf, owner, campaign):
    login(owner)
    client.post("/manage/c/syria/coverage/new", data=coverage_data(
        headline=f"H {NASTY}", outlet=f"O {NASTY}", author=f"A {NASTY}", excerpt=f"E {NASTY}"))
    item = db.session.scalar(select(Coverage))
    for path in ("/manage/c/syria/coverage", f"/manage/c/syria/coverage/{item.id}/edit",
                 f"/manage/c/syria/coverage/{item.id}/delete", "/c/syria"):
        html = body(client.get(path))
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path
    assert client.get("/manage/c/syria/coverage/search?q=H").get_json()["results"][0]["headline"] == f"H {NASTY}"


def test_articles_of_another_campaign_are_404(client, login, owner, campaign):
    elsewhere = builders.make_campaign(owner=owner, slug="elsewhere")
    foreign = builders.make_coverage(elsewhere)
    login(owner)
    assert client.get(f"/manage/c/syria/coverage/{foreign.id}/edit").status_code == 404
    assert client.get(f"/manage/c/syria/coverage/{foreign.id}/delete").status_code == 404


def test_overview_links_door_volunteers_to_the_door_list(client, login, campaign):
    event = builders.make_event(campaign)
    door = builders.make_user()
    builders.make_membership(campaign, door, Role.DOOR)
    login(door)
    html = body(client.get("/manage/c/syria"))
    assert f'href="/door/e/{event.id}"' in html


def test_the_new_campaign_form_starts_in_the_configured_timezone(app, client, login, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_TIMEZONE", "America/Argentina/Buenos_Aires")
    login(builders.make_user())
    html = body(client.get("/manage/campaigns/new"))
    assert '<option selected value="America/Argentina/Buenos_Aires">' in html
    assert '<option selected value="Europe/London">' not in html


def test_the_retention_period_is_chosen_in_settings_and_kept_when_not_sent(client, login, no_csrf, owner, campaign):
    login(owner)
    html = body(client.get("/manage/c/syria/edit"))
    assert '<option selected value="90">90 days after each event</option>' in html
    base = {"name": "Syria Solidarity", "default_timezone": "Europe/London"}
    assert client.post("/manage/c/syria/edit", data={**base, "retention": "never"}).status_code == 303
    db.session.refresh(campaign)
    assert campaign.retention_days is None
    assert 'selected value="never"' in body(client.get("/manage/c/syria/edit"))
    assert client.post("/manage/c/syria/edit", data=base).status_code == 303  # an older page: no choice sent
    db.session.refresh(campaign)
    assert campaign.retention_days is None
    assert client.post("/manage/c/syria/edit", data={**base, "retention": "365"}).status_code == 303
    db.session.refresh(campaign)
    assert campaign.retention_days == 365
    assert client.post("/manage/c/syria/edit", data={**base, "retention": "7"}).status_code == 400
