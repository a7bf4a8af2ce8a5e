"""Public pages through HTTP: home, campaign timeline, event page (drafts, unlisted, cancelled), health check."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy.exc import OperationalError

from organizer.extensions import db
from organizer.models import CoverageRelation, EventStatus, Role, RsvpStatus, Visibility
from organizer.services.door import checkins, crowd
from organizer.timeutil import utcnow
from tests import builders


@pytest.fixture
def campaign(owner):
    return builders.make_campaign(owner=owner, slug="syria-solidarity", name="Syria Solidarity",
                                  summary="Standing with Syria's revolution.")


def soon(days: int, hour: int = 19) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def body(response) -> str:
    return response.get_data(as_text=True)


# --- Home --------------------------------------------------------------------------------------

def test_home_lists_upcoming_public_events_by_date_with_city(client, campaign):
    builders.make_event(campaign, slug="glasgow", title="Glasgow meeting", city="Glasgow", starts_at=soon(9))
    builders.make_event(campaign, slug="manchester", title="Manchester meeting", city="Manchester",
                        starts_at=soon(2), capacity=50)
    builders.make_event(campaign, title="A draft meeting", status=EventStatus.DRAFT, starts_at=soon(3))
    builders.make_event(campaign, title="An unlisted meeting", visibility=Visibility.UNLISTED, starts_at=soon(3))
    builders.make_event(campaign, title="A cancelled meeting", status=EventStatus.CANCELLED, starts_at=soon(3))
    builders.make_event(campaign, title="A past meeting", starts_at=soon(-5))
    response = client.get("/")
    html = body(response)
    assert response.status_code == 200
    assert html.index("Manchester meeting") < html.index("Glasgow meeting")
    assert "Manchester</bdi></p>" in html.replace("Friends Meeting House, ", "") or ", Manchester" in html
    assert "Glasgow" in html and "Syria Solidarity" in html
    assert "50 places left" in html
    for hidden in ("A draft meeting", "An unlisted meeting", "A cancelled meeting", "A past meeting"):
        assert hidden not in html
    assert 'href="/e/manchester"' in html
    # The campaign behind each meeting is one click away (its page tells the story so far).
    assert f'href="/c/{campaign.slug}"><bdi>Syria Solidarity</bdi></a>' in html


def test_home_empty_state(client):
    html = body(client.get("/"))
    assert "No upcoming public meetings right now" in html


def test_public_pages_are_not_stored_by_shared_caches(client, campaign):
    event = builders.make_event(campaign)
    for path in ("/", f"/c/{campaign.slug}", f"/e/{event.slug}"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_no_third_party_scripts_styles_or_fonts(app, client, campaign):
    event = builders.make_event(campaign)
    builders.link_coverage(event, builders.make_coverage(campaign))
    for path in ("/", f"/c/{campaign.slug}", f"/e/{event.slug}"):
        html = body(client.get(path))
        # The canonical address names a page of this site itself (BASE_URL), not a resource to load.
        links = re.findall(r'<link(?![^>]*rel="canonical")[^>]*href="([^"]+)"', html)
        for src in re.findall(r'<script[^>]*src="([^"]+)"', html) + links:
            assert src.startswith("/static/"), src
        for canonical in re.findall(r'<link[^>]*rel="canonical"[^>]*href="([^"]+)"', html):
            assert canonical.startswith(app.config["BASE_URL"] + "/"), canonical
        assert "<script>" not in html and " style=" not in html


# --- Campaign page -----------------------------------------------------------------------------

def test_campaign_page_shows_upcoming_and_a_timeline_in_date_order(client, campaign):
    meeting = builders.make_event(campaign, slug="lmc", title="London Muslim Centre meeting",
                                  starts_at=datetime(2012, 2, 29, 19, 0))
    upcoming = builders.make_event(campaign, slug="mcr", title="Manchester meeting", starts_at=soon(4))
    builders.make_event(campaign, title="Secret draft", status=EventStatus.DRAFT)
    builders.make_event(campaign, title="Link-only meeting", visibility=Visibility.UNLISTED)
    article = builders.make_coverage(campaign, headline="Syrians defy assault on Homs", published_on=date(2012, 3, 6))
    report = builders.make_coverage(campaign, headline="Solidarity meeting pledges support",
                                    published_on=date(2012, 3, 1))
    builders.link_coverage(meeting, article, CoverageRelation.PROMPTED_BY)
    builders.link_coverage(meeting, report, CoverageRelation.REPORT)
    html = body(client.get("/c/syria-solidarity"))
    assert "Syria Solidarity" in html and "Standing with Syria&#39;s revolution." in html
    timeline = html[html.index("The story so far"):]
    order = [timeline.index(text) for text in ("London Muslim Centre meeting", "Solidarity meeting pledges support",
                                               "Syrians defy assault on Homs", "Manchester meeting")]
    assert order == sorted(order)
    assert "Secret draft" not in html and "Link-only meeting" not in html
    assert f'href="/e/{upcoming.slug}"' in html
    # Links out to the news send no referrer.
    link = re.search(r'<a href="https://socialistworker[^"]*"[^>]*>', timeline).group(0)
    assert "noreferrer" in link and 'referrerpolicy="no-referrer"' in link


def test_unknown_campaign_is_404(client):
    assert client.get("/c/nothing-here").status_code == 404


def test_campaign_description_is_sanitized_markdown(client, owner):
    builders.make_campaign(owner=owner, slug="x", description="**Bold** <script>alert(1)</script> [a](javascript:alert(1))")
    html = body(client.get("/c/x"))
    assert "<strong>Bold</strong>" in html
    assert "<script>alert(1)" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


# --- Event page --------------------------------------------------------------------------------

def test_event_page_shows_what_a_supporter_needs(client, campaign):
    event = builders.make_event(
        campaign, slug="lmc", title="Solidarity with the Syrian revolution",
        starts_at=datetime(2030, 7, 4, 18, 0), ends_at=datetime(2030, 7, 4, 20, 30), timezone="Europe/London",
        venue_name="London Muslim Centre", address="46-92 Whitechapel Road, London E1 1JQ", city="London",
        description="Speakers from **Homs**.")
    article = builders.make_coverage(campaign, headline="Syrians defy assault on Homs", outlet="Socialist Worker",
                                     url="https://socialistworker.co.uk/art/27271/Syrians+defy+assault+on+Homs")
    builders.link_coverage(event, article, CoverageRelation.PROMPTED_BY, note="Why it matters")
    html = body(client.get("/e/lmc"))
    assert '<h1 lang="en" dir="auto"><bdi>Solidarity with the Syrian revolution</bdi></h1>' in html
    # 18:00 UTC is 19:00 in London in July (BST), and the zone is named.
    assert "19:00 BST" in html and "21:30 BST" in html and "Europe/London" in html
    assert "London Muslim Centre" in html and "46-92 Whitechapel Road, London E1 1JQ" in html
    maps = re.search(r'href="(https://www\.openstreetmap\.org/search\?query=[^"]+)"', html).group(1)
    assert "Whitechapel+Road" in unescape(maps) or "Whitechapel%20Road" in unescape(maps)
    why = html[html.index('id="why-heading"'):]
    assert "Syrians defy assault on Homs" in why and "Socialist Worker" in why and "Why it matters" in why
    out = re.search(r'<a href="https://socialistworker\.co\.uk/art/27271[^"]*"[^>]*>', html).group(0)
    assert "noreferrer" in out
    assert "Reports" not in html and "Report</h2>" not in html
    assert "<strong>Homs</strong>" in html
    assert 'href="/c/syria-solidarity"' in html


def test_event_page_in_another_zone_names_it_and_the_end_day(client, campaign):
    builders.make_event(campaign, slug="nyc", timezone="America/New_York", starts_at=datetime(2030, 3, 10, 23, 0),
                        ends_at=datetime(2030, 3, 11, 5, 0))  # 19:00 EDT (clocks changed that morning) to 01:00
    html = body(client.get("/e/nyc"))
    assert "Sunday 10 March 2030, 19:00 EDT" in html and "Monday 11 March 2030, 01:00 EDT" in html
    assert "Times in America/New York" in html


def test_event_page_share_links_and_calendar(client, campaign, app):
    event = builders.make_event(campaign, slug="lmc", title="Meeting & more")
    html = unescape(body(client.get("/e/lmc")))
    url = app.config["BASE_URL"] + "/e/lmc"
    assert f'value="{url}"' in html
    assert "https://wa.me/?text=" in html and "https://t.me/share/url?url=" in html and "mailto:?subject=" in html
    assert "Meeting%20%26%20more" in html  # the title is encoded inside the share links
    assert f'href="/e/{event.slug}/calendar.ics"' in html


def test_reports_appear_once_linked(client, campaign):
    event = builders.make_event(campaign, slug="lmc", starts_at=soon(-10))
    report = builders.make_coverage(campaign, headline="Solidarity meeting pledges support for Syrian revolution")
    assert "pledges support" not in body(client.get("/e/lmc"))
    builders.link_coverage(event, report, CoverageRelation.REPORT)
    html = body(client.get("/e/lmc"))
    assert "Report</h2>" in html and "pledges support" in html
    assert "already taken place" in html
    assert "calendar.ics" not in html  # nothing to add to a calendar once it's over


def test_the_news_behind_a_meeting_is_headed_in_the_right_tense(client, campaign):
    article = builders.make_coverage(campaign, headline="Syrians defy assault on Homs")
    for slug, starts_at, status in (("coming", soon(3), EventStatus.PUBLISHED), ("over", soon(-3), EventStatus.PUBLISHED),
                                    ("off", soon(-3), EventStatus.CANCELLED)):
        builders.link_coverage(builders.make_event(campaign, slug=slug, starts_at=starts_at, status=status), article)
    coming, over, off = (body(client.get(f"/e/{slug}")) for slug in ("coming", "over", "off"))
    assert "Why we're meeting" in coming and "Why we met" not in coming
    assert "Why we met" in over and "Why we're meeting" not in over
    assert "Why we met" not in off  # a cancelled meeting never met


def test_a_meeting_that_is_over_says_how_many_came_instead_of_an_rsvp_form(client, campaign):

    event = builders.make_event(campaign, slug="lmc", starts_at=datetime(2012, 2, 29, 19))
    builders.make_rsvp(event, name="Amina Secret", email="amina.secret@example.org")
    html = body(client.get("/e/lmc"))
    assert "came" not in html  # nobody counted: nothing to claim
    assert "RSVPs are closed: this event is over." in html and 'class="stack rsvp-form"' not in html

    crowd.set_to(event, 400)
    db.session.commit()
    html = body(client.get("/e/lmc"))
    panel = html[html.index('id="rsvp"'):html.index("</section>", html.index('id="rsvp"'))]
    assert "<h2 id=\"rsvp-panel-title\" class=\"rsvp-panel__title\">Who came</h2>" in panel
    assert "At least 400 people came." in panel and "RSVPs are closed" not in panel
    assert "<form" not in panel and "Amina Secret" not in html and "amina.secret" not in html

    rsvp, _, _ = builders.make_rsvp(event, guests=1)
    checkins.check_in(rsvp)
    crowd.set_to(event, 0)
    db.session.commit()
    assert "At least 2 people came." in body(client.get("/e/lmc"))  # check-ins count when nobody counted the crowd


def test_an_upcoming_or_cancelled_meeting_never_claims_who_came(client, campaign):

    coming = builders.make_event(campaign, slug="coming", starts_at=soon(3))
    off = builders.make_event(campaign, slug="off", starts_at=soon(-3), status=EventStatus.CANCELLED)
    for event in (coming, off):
        crowd.set_to(event, 12)
    db.session.commit()
    assert "came" not in body(client.get("/e/coming")) and "came" not in body(client.get("/e/off"))
    assert 'class="stack rsvp-form"' in body(client.get("/e/coming"))


def test_drafts_are_404_for_the_public_and_a_preview_for_the_team(client, login, campaign, owner):
    builders.make_event(campaign, slug="draft", status=EventStatus.DRAFT, title="Secret plans")
    response = client.get("/e/draft")
    assert response.status_code == 404 and "Secret plans" not in body(response)
    stranger = builders.make_user()
    login(stranger)
    assert client.get("/e/draft").status_code == 404
    door = builders.make_user()
    builders.make_membership(campaign, door, Role.DOOR)
    login(door)
    html = body(client.get("/e/draft"))
    assert "Secret plans" in html and "Preview: this event is a draft" in html


def test_unlisted_events_are_reachable_by_link_but_never_listed(client, campaign):
    builders.make_event(campaign, slug="quiet", title="A quiet meeting", visibility=Visibility.UNLISTED)
    assert client.get("/e/quiet").status_code == 200
    assert 'name="robots" content="noindex"' in body(client.get("/e/quiet"))
    assert "A quiet meeting" not in body(client.get("/"))
    assert "A quiet meeting" not in body(client.get(f"/c/{campaign.slug}"))


def test_cancelled_event_shows_a_clear_banner(client, campaign):
    builders.make_event(campaign, slug="off", status=EventStatus.CANCELLED)
    html = body(client.get("/e/off"))
    assert "This event has been cancelled." in html


def test_event_page_never_shows_who_is_coming(client, campaign):
    event = builders.make_event(campaign, slug="lmc", capacity=10)
    builders.make_rsvp(event, name="Amina Secret", email="amina.secret@example.org")
    builders.make_rsvp(event, name="Bilal Waiting", status=RsvpStatus.WAITLISTED)
    html = body(client.get("/e/lmc"))
    assert "Amina Secret" not in html and "amina.secret" not in html and "Bilal Waiting" not in html


def test_user_text_is_escaped_everywhere_it_appears(client, campaign):
    nasty = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    event = builders.make_event(campaign, slug="xss", title=f"Title {nasty}", venue_name=f"Venue {nasty}",
                                address=f"Address {nasty}", city=f"City {nasty}", country=f"Country {nasty}",
                                description=f"Text {nasty} [click](javascript:alert(3))")
    item = builders.make_coverage(campaign, headline=f"Headline {nasty}", outlet=f"Outlet {nasty}",
                                  author=f"Author {nasty}", excerpt=f"Excerpt {nasty}", published_on=date(2030, 1, 1))
    builders.link_coverage(event, item, note=f"Note {nasty}")
    for path in ("/", "/c/syria-solidarity", "/e/xss"):
        html = body(client.get(path))
        assert "<script>alert(1)" not in html and "<img src=x" not in html and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body(client.get("/e/xss"))


# --- Health check ------------------------------------------------------------------------------

def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_lists_show_places_left_only_for_events_still_taking_rsvps(client, campaign):
    builders.make_event(campaign, title="Open meeting", capacity=40, starts_at=soon(3))
    builders.make_event(campaign, title="Closed meeting", capacity=30, starts_at=soon(4),
                        rsvp_deadline=utcnow() - timedelta(minutes=1))
    for page in ("/", f"/c/{campaign.slug}"):
        html = body(client.get(page))
        assert "Closed meeting" in html and "Open meeting" in html
        assert "40 places left" in html
        assert "30 places left" not in html


def test_a_set_deadline_is_shown_on_the_public_page(client, campaign):
    starts = soon(5)
    builders.make_event(campaign, slug="with-deadline", starts_at=starts, rsvp_deadline=starts - timedelta(days=1))
    builders.make_event(campaign, slug="without-deadline", starts_at=starts)
    html = body(client.get("/e/with-deadline"))
    deadline_row = re.search(r'event-facts__deadline">(.*?)</div>', html, re.S)
    assert deadline_row and "RSVP by" in deadline_row.group(1) and "Europe/London" in deadline_row.group(1)
    assert "RSVP by" not in body(client.get("/e/without-deadline"))
