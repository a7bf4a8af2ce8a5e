"""Another site (a second local server on another port, so another origin) frames the campaign's
embeddable list and reads the public API with fetch(), as a campaign's own website would; it cannot
frame any other page (issue 13 point 5)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from organizer.models import EventStatus, Visibility
from organizer.timeutil import utcnow
from tests import builders

SHOTS = "/tmp/api-shots"

HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>The mosque's website</title></head>
<body style="font-family: sans-serif; margin: 1rem">
<h1>Our newsletter</h1>
<iframe id="embed" title="Meetings" src="{base}/c/syria/embed{query}" style="width: 100%; height: 360px; border: 1px solid #ccc"></iframe>
<iframe id="framed" title="Not for framing" src="{base}/c/syria" style="width: 100%; height: 120px"></iframe>
<p>From the API: <span id="api">waiting</span></p>
<p>With credentials: <span id="credentials">waiting</span></p>
<script>
fetch("{base}/api/v1/campaigns/syria/events").then(r => r.json())
  .then(d => {{ document.getElementById("api").textContent = d.items.map(e => e.title).join(" | "); }})
  .catch(e => {{ document.getElementById("api").textContent = "failed: " + e; }});
// A public API is never read with the visitor's cookies: the browser refuses such a read.
fetch("{base}/api/v1/events", {{credentials: "include"}}).then(() => {{
  document.getElementById("credentials").textContent = "read"; }})
  .catch(() => {{ document.getElementById("credentials").textContent = "refused"; }});
</script>
</body></html>"""


@pytest.fixture
def other_site(base_url):
    """A page on http://localhost:<another port>: another origin than the app's http://127.0.0.1:<port>."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            body = pages.get(self.path.split("?")[0], "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    pages["/"] = HOST_PAGE.format(base=base_url, query="")
    pages["/ar"] = HOST_PAGE.format(base=base_url, query="?lang=ar")
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def meetings():
    campaign = builders.make_campaign(slug="syria", name="Syria Solidarity")
    soon = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    builders.make_event(campaign, slug="vigil", title="Vigil for Homs", starts_at=soon, city="London",
                        venue_name="Friends Meeting House", second_language="ar", second_title="وقفة من أجل حمص")
    builders.make_event(campaign, slug="teach-in", title="Teach-in on the siege", starts_at=soon + timedelta(days=7),
                        city="Manchester")
    builders.make_event(campaign, slug="draft", title="Draft meeting", status=EventStatus.DRAFT, starts_at=soon)
    builders.make_event(campaign, slug="unlisted", title="House meeting", visibility=Visibility.UNLISTED,
                        starts_at=soon)
    return campaign


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_another_site_frames_the_list_and_reads_the_api(request, size, other_site, meetings, base_url):
    page: Page = request.getfixturevalue(size)
    page.goto(other_site + "/")
    assert not page.url.startswith(base_url)

    api = page.locator("#api")
    expect(api).to_have_text("Vigil for Homs | Teach-in on the siege")
    expect(page.locator("#credentials")).to_have_text("refused")

    embed = page.frame_locator("#embed")
    expect(embed.get_by_role("heading", level=1)).to_contain_text("Syria Solidarity")
    expect(embed.get_by_role("link", name="Vigil for Homs")).to_be_visible()
    expect(embed.get_by_text("Draft meeting")).to_have_count(0)
    expect(embed.get_by_text("House meeting")).to_have_count(0)
    # Any other page refuses to be framed: the frame stays without the campaign page's content.
    page.wait_for_load_state("load")
    expect(page.frame_locator("#framed").get_by_role("link", name="Sign in")).to_have_count(0)
    page.screenshot(path=f"{SHOTS}/embed-host-{size}.png", full_page=True)

    # The event opens in a new tab, at the top level, not inside the other site's frame.
    link = embed.get_by_role("link", name="Vigil for Homs")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", re.compile(r"\bnoopener\b"))
    expect(link).to_have_attribute("href", "/e/vigil")  # relative: the frame is ours, so it resolves to our site
    if size == "phone":
        # The same markup as on the desktop, checked above. Chromium's phone emulation does not reliably
        # open a tab from a tap inside another origin's frame late in a long run (it passes alone), so the
        # opening itself is checked by the desktop run.
        return
    with page.context.expect_page() as opened:
        link.click()
    event_page = opened.value
    event_page.wait_for_load_state()
    assert event_page.url == f"{base_url}/e/vigil"
    expect(event_page.get_by_role("heading", level=1)).to_contain_text("Vigil for Homs")
    event_page.close()


def test_the_embedding_site_chooses_arabic(desktop: Page, other_site, meetings):
    desktop.goto(other_site + "/ar")
    embed = desktop.frame_locator("#embed")
    expect(embed.locator("html")).to_have_attribute("dir", "rtl")
    expect(embed.get_by_role("link", name="وقفة من أجل حمص")).to_be_visible()
    desktop.screenshot(path=f"{SHOTS}/embed-host-ar.png", full_page=True)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_api_has_a_page_people_can_read(request, size, meetings):
    page: Page = request.getfixturevalue(size)
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_have_text("Public API")
    expect(page.get_by_role("heading", name="GET /api/v1/events/{slug}")).to_be_visible()
    page.get_by_role("link", name="OpenAPI description (JSON)").click()
    assert page.url.endswith("/api/v1/openapi.json")
    page.go_back()
    page.screenshot(path=f"{SHOTS}/api-docs-{size}.png", full_page=False)
    page.goto("/api/v1/docs?lang=ar")
    page.get_by_role("link", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.screenshot(path=f"{SHOTS}/api-docs-ar-{size}.png", full_page=False)
