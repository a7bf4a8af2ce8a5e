"""Link previews through HTTP: the tags of public event and campaign pages, the share pictures and their ETags,
robots.txt, sitemap.xml, the favicon, and the campaign's calendar subscription box."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from PIL import Image

from organizer.extensions import db
from organizer.models import EventStatus, SlugRedirect, Visibility
from organizer.timeutil import utcnow
from tests import builders


@pytest.fixture
def campaign(owner):
    return builders.make_campaign(owner=owner, slug="syria-solidarity", name="Syria Solidarity",
                                  summary="Standing with Syria's revolution.")


def _meta(html: str) -> dict[str, str]:
    """property= and name= meta tags, and the canonical link."""
    tags = {unescape(key): unescape(value)
            for key, value in re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html)}
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', html)
    if canonical:
        tags["canonical"] = canonical.group(1)
    return tags


def _event(campaign, **overrides):
    values = dict(slug="after-the-ceasefire", title="After the ceasefire: what next?", city="London",
                  description="**Speakers** from [Aleppo](https://example.org) and Homs. Bring a friend.",
                  starts_at=datetime(2027, 1, 16, 19, 0), ends_at=datetime(2027, 1, 16, 21, 0))
    values.update(overrides)
    return builders.make_event(campaign, **values)


def test_a_public_event_page_carries_opengraph_and_twitter_tags(app, client, campaign):
    event = _event(campaign)
    builders.link_coverage(event, builders.make_coverage(campaign, headline="Syrians defy assault on Homs",
                                                         outlet="Socialist Worker", published_on=date(2027, 1, 2)))
    html = client.get("/e/after-the-ceasefire").get_data(as_text=True)
    tags = _meta(html)
    base = app.config["BASE_URL"]
    assert tags["og:title"] == tags["twitter:title"] == "After the ceasefire: what next?"
    assert tags["og:type"] == "website" and tags["og:site_name"] == "Syria Solidarity"
    assert tags["og:url"] == tags["canonical"] == f"{base}/e/after-the-ceasefire"
    # Date and time with the zone, the city, then the description as one plain line.
    assert tags["og:description"] == (
        "Saturday 16 January 2027, 19:00 GMT · London — Speakers from Aleppo and Homs. Bring a friend.")
    assert tags["description"] == tags["og:description"] == tags["twitter:description"]
    assert tags["og:image"] == tags["twitter:image"]
    assert tags["og:image"].startswith(f"{base}/e/after-the-ceasefire/share.png?lang=en&v=")
    assert (tags["og:image:width"], tags["og:image:height"], tags["og:image:type"]) == ("1200", "630", "image/png")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:locale"] == "en_GB"
    assert "robots" not in tags

    picture = client.get(tags["og:image"].removeprefix(base))
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert Image.open(io.BytesIO(picture.data)).size == (1200, 630)


def test_the_arabic_page_points_at_the_arabic_picture(client, campaign):
    _event(campaign)
    client.set_cookie("lang", "ar")
    tags = _meta(client.get("/e/after-the-ceasefire").get_data(as_text=True))
    assert "/e/after-the-ceasefire/share.png?lang=ar&v=" in tags["og:image"]
    assert tags["og:locale"] == "ar"
    assert "GMT" in tags["og:description"] and "London" in tags["og:description"]


def test_an_unlisted_event_previews_but_stays_out_of_search_engines(client, campaign):
    _event(campaign, visibility=Visibility.UNLISTED)
    tags = _meta(client.get("/e/after-the-ceasefire").get_data(as_text=True))
    assert tags["og:title"] == "After the ceasefire: what next?"
    assert tags["robots"] == "noindex"
    assert client.get("/e/after-the-ceasefire/share.png").status_code == 200
    assert "after-the-ceasefire" not in client.get("/sitemap.xml").get_data(as_text=True)


def test_a_draft_has_no_preview_and_no_picture_even_for_its_team(client, campaign, owner, login):
    _event(campaign, status=EventStatus.DRAFT)
    assert client.get("/e/after-the-ceasefire/share.png").status_code == 404
    login(owner)
    html = client.get("/e/after-the-ceasefire").get_data(as_text=True)
    assert "Preview: this event is a draft" in html
    tags = _meta(html)
    assert not [key for key in tags if key.startswith(("og:", "twitter:"))]
    assert "canonical" not in tags
    assert client.get("/e/after-the-ceasefire/share.png").status_code == 404


def test_the_picture_is_revalidated_with_its_etag_and_changes_with_the_event(client, campaign):
    event = _event(campaign)
    first = client.get("/e/after-the-ceasefire/share.png?lang=en")
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"] and "max-age=300" in first.headers["Cache-Control"]
    again = client.get("/e/after-the-ceasefire/share.png?lang=en", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    arabic = client.get("/e/after-the-ceasefire/share.png?lang=ar")
    assert arabic.headers["ETag"] != etag and arabic.data != first.data
    assert client.get("/e/after-the-ceasefire/share.png?lang=xx").headers["ETag"] == etag  # unknown: default

    event.city = "Leeds"
    db.session.commit()
    changed = client.get("/e/after-the-ceasefire/share.png?lang=en", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_campaign_page_carries_tags_and_offers_its_calendar_feed(app, client, campaign):
    soon = utcnow().replace(microsecond=0) + timedelta(days=5)
    _event(campaign, starts_at=soon, ends_at=soon + timedelta(hours=2))
    html = client.get("/c/syria-solidarity").get_data(as_text=True)
    tags = _meta(html)
    base = app.config["BASE_URL"]
    assert tags["og:title"] == "Syria Solidarity"
    assert tags["og:description"].startswith("Standing with Syria's revolution. — Next meeting: ")
    assert tags["og:url"] == tags["canonical"] == f"{base}/c/syria-solidarity"
    assert tags["og:image"].startswith(f"{base}/c/syria-solidarity/share.png?lang=en&v=")
    feed = f"{base}/c/syria-solidarity/calendar.ics"
    webcal = "webcal://" + feed.split("://", 1)[1]
    assert f'href="{webcal}"' in html
    assert f'id="feed-url" value="{feed}" readonly' in html
    assert "Google Calendar" in html and "Apple Calendar" in html and "Outlook" in html
    picture = client.get("/c/syria-solidarity/share.png")
    assert Image.open(io.BytesIO(picture.data)).size == (1200, 630)


def test_robots_keeps_private_paths_out_and_names_the_sitemap(app, client):
    response = client.get("/robots.txt")
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    for path in ("/r/", "/t/", "/door/", "/auth", "/manage"):
        assert f"Disallow: {path}\n" in text
    assert f"Sitemap: {app.config['BASE_URL']}/sitemap.xml" in text


def test_the_sitemap_lists_public_listed_pages_only(app, client, campaign):
    _event(campaign, slug="public-one")
    _event(campaign, slug="cancelled-one", status=EventStatus.CANCELLED)
    _event(campaign, slug="unlisted-one", visibility=Visibility.UNLISTED)
    _event(campaign, slug="draft-one", status=EventStatus.DRAFT)
    quiet = builders.make_campaign(slug="only-drafts")
    _event(quiet, slug="quiet-draft", status=EventStatus.DRAFT)
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [node.text for node in ET.fromstring(response.data).findall("s:url/s:loc", namespace)]
    base = app.config["BASE_URL"]
    # Campaigns, then events newest first (the same start here: the later one first).
    assert locations == [f"{base}/", f"{base}/c/syria-solidarity", f"{base}/e/cancelled-one", f"{base}/e/public-one"]


def test_the_favicon_is_an_icon_and_pages_link_it(client, campaign):
    response = client.get("/favicon.ico")
    icon = Image.open(io.BytesIO(response.data))
    assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]
    html = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg" type="image/svg+xml"' in html
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"


def test_the_picture_of_an_edited_address_moves_with_it(client, campaign):
    event = _event(campaign)
    event.slug = "after-the-ceasefire-2027"
    db.session.add(SlugRedirect(kind="event", slug="after-the-ceasefire", target_id=event.id))
    db.session.commit()
    moved = client.get("/e/after-the-ceasefire/share.png?lang=ar")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/e/after-the-ceasefire-2027/share.png?lang=ar"
    assert client.get("/e/never-was/share.png").status_code == 404
