"""What a messenger reads from a shared link, read the same way in Chromium: the og: tags of a public event page
and the share picture they name, in English and in Arabic; and the campaign's calendar subscription box, whose
copy button puts the feed's address on the clipboard. Pictures and screenshots in test-artifacts/previews/."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from organizer.timeutil import to_local, utcnow
from tests import builders

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "previews"
BASE_URL = "http://localhost"  # the app's BASE_URL in tests; the live server listens elsewhere


def _tags(page: Page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('meta[property], meta[name]')]
        .map(m => [m.getAttribute('property') || m.getAttribute('name'), m.getAttribute('content')]))""")


def _load_picture(page: Page, url: str, base_url: str, name: str) -> None:
    """Open the picture as a browser does and keep it; Chromium must decode it at 1200×630."""
    response = page.goto(url.replace(BASE_URL, base_url))
    assert response is not None and response.status == 200
    assert response.headers["content-type"] == "image/png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"share-{name}.png").write_bytes(response.body())
    size = page.evaluate("() => [document.images[0].naturalWidth, document.images[0].naturalHeight]")
    assert size == [1200, 630]


def _world():
    campaign = builders.make_campaign(owner=builders.make_user(), slug="syria", name="Syria Solidarity",
                                      summary="Standing with Syria's revolution.")
    starts = (utcnow() + timedelta(days=10)).replace(hour=19, minute=0, second=0, microsecond=0)
    event = builders.make_event(
        campaign, slug="after-the-ceasefire", title="After the Aleppo ceasefire: what next for Syria?",
        description="Speakers from Aleppo and Homs, and time for questions.", city="London",
        starts_at=starts, ends_at=starts + timedelta(hours=2), language="en", second_language="ar",
        second_title="بعد وقف إطلاق النار في حلب: ما العمل من أجل سوريا؟",
        second_description="متحدثون من حلب وحمص، ووقت للأسئلة.")
    article = builders.make_coverage(campaign, headline="UN envoy warns of catastrophe as Aleppo siege tightens",
                                     outlet="The Guardian", published_on=date.today())
    builders.link_coverage(event, article)
    return campaign, event


def test_a_shared_event_link_previews_with_its_picture_in_both_languages(desktop: Page, base_url):
    _campaign, event = _world()
    zone = to_local(event.starts_at, event.timezone).tzname()  # GMT or BST, as the day of the run falls
    desktop.goto("/e/after-the-ceasefire")
    tags = _tags(desktop)
    assert tags["og:title"] == "After the Aleppo ceasefire: what next for Syria?"
    assert f" {zone} · London — Speakers from Aleppo" in tags["og:description"]
    assert tags["og:url"] == f"{BASE_URL}/e/after-the-ceasefire"
    assert tags["twitter:card"] == "summary_large_image"
    assert "?lang=en&" in tags["og:image"]
    _load_picture(desktop, tags["og:image"], base_url, "en")

    desktop.goto("/language/ar?next=/e/after-the-ceasefire")
    expect(desktop.locator("html")).to_have_attribute("dir", "rtl")
    tags = _tags(desktop)
    assert tags["og:title"] == "بعد وقف إطلاق النار في حلب: ما العمل من أجل سوريا؟"
    assert "?lang=ar&" in tags["og:image"] and tags["og:locale"] == "ar"
    _load_picture(desktop, tags["og:image"], base_url, "ar")


def test_the_campaign_page_offers_its_calendar_as_a_subscription(browser, base_url):
    _world()
    feed = f"{BASE_URL}/c/syria/calendar.ics"
    for width, language in ((390, "en"), (1280, "en"), (390, "ar"), (1280, "ar")):
        context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(f"/language/{language}?next=/c/syria")
        box = page.locator(".subscribe")
        expect(box.get_by_role("link").first).to_have_attribute("href", "webcal://localhost/c/syria/calendar.ics")
        expect(page.locator("#feed-url")).to_have_value(feed)
        copy = box.locator("[data-copy-button]")
        expect(copy).to_be_visible()
        copy.click()
        expect(copy).to_have_text("Copied" if language == "en" else "نُسخ")
        assert page.evaluate("() => navigator.clipboard.readText()") == feed
        box.locator("summary").click()
        expect(box.locator("dl")).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"campaign-{language}-{width}.png"), full_page=True)
        box.screenshot(path=str(ARTIFACTS / f"subscribe-{language}-{width}.png"))
        wider = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wider <= 0
        context.close()
