"""The embeddable list (/c/<slug>/embed): any site may frame it, and only it; the visitor's language;
upcoming public meetings only; links that leave the frame; nothing to run, fill in or keep."""

from __future__ import annotations

from datetime import timedelta

import pytest

from organizer.extensions import db
from organizer.models import EventStatus, Visibility
from organizer.services.common import slugs
from organizer.timeutil import utcnow
from tests import builders


@pytest.fixture
def world():
    campaign = builders.make_campaign(slug="syria", name="Syria Solidarity")
    soon = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    builders.make_event(campaign, slug="vigil", title="Vigil for Homs", starts_at=soon, language="en",
                        second_language="ar", second_title="وقفة من أجل حمص")
    builders.make_event(campaign, slug="draft", title="Draft meeting", status=EventStatus.DRAFT, starts_at=soon)
    builders.make_event(campaign, slug="unlisted", title="House meeting", visibility=Visibility.UNLISTED,
                        starts_at=soon)
    builders.make_event(campaign, slug="off", title="Called off", status=EventStatus.CANCELLED, starts_at=soon)
    builders.make_event(campaign, slug="over", title="Last year", starts_at=soon - timedelta(days=365))
    return campaign


def test_any_site_may_frame_the_embed_and_no_other_page(client, world):
    response = client.get("/c/syria/embed")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "frame-ancestors 'none'" not in csp
    assert "script-src 'self'" in csp  # everything else of the policy stays
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers
    for other in ("/c/syria", "/e/vigil", "/"):
        page = client.get(other)
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["X-Frame-Options"] == "DENY"


def test_lists_upcoming_public_meetings_only_with_links_out_of_the_frame(client, world):
    html = client.get("/c/syria/embed").get_data(as_text=True)
    assert "Vigil for Homs" in html
    for hidden in ("Draft meeting", "House meeting", "Called off", "Last year"):
        assert hidden not in html
    assert 'href="/e/vigil" target="_blank" rel="noopener"' in html
    assert "<script" not in html and "<form" not in html


def test_in_the_visitors_language_from_the_header_or_the_embedding_sites_choice(client, world):
    arabic = client.get("/c/syria/embed", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "وقفة من أجل حمص" in arabic
    chosen = client.get("/c/syria/embed?lang=ar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'dir="rtl"' in chosen and "وقفة من أجل حمص" in chosen
    english = client.get("/c/syria/embed?lang=xx", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'dir="ltr"' in english and "Vigil for Homs" in english


def test_an_unknown_campaign_is_a_404(client, world):
    assert client.get("/c/nothing/embed").status_code == 404


def test_the_shared_cache_keeps_one_copy_per_language(app, world):
    app.config["PUBLIC_CACHE_SECONDS"] = 30
    try:
        client = app.test_client()
        first = client.get("/c/syria/embed?lang=ar")
        assert first.headers["Cache-Control"].startswith("public")
        english = client.get("/c/syria/embed?lang=en").get_data(as_text=True)
        assert 'dir="ltr"' in english
        again = client.get("/c/syria/embed?lang=ar")
        assert 'dir="rtl"' in again.get_data(as_text=True)
        assert "X-Frame-Options" not in again.headers
    finally:
        app.config["PUBLIC_CACHE_SECONDS"] = 0


def test_a_frame_with_the_old_address_follows_an_edited_slug(client, world):
    slugs.change_slug(world, "syria-now", 80)
    db.session.commit()
    moved = client.get("/c/syria/embed?lang=ar")
    assert moved.status_code == 301 and moved.headers["Location"] == "/c/syria-now/embed?lang=ar"
    assert client.get("/c/syria-now/embed").status_code == 200
