"""Every main page, as each kind of person sees it, in English (left to right) and in Arabic (right to
left), on a 390 px phone: no horizontal scrolling, and no axe-core violation of WCAG 2.1 A and AA
(issue 11.4 and 11.9). A screenshot of each page is kept under test-artifacts/pages/.

axe-core comes from the npm registry (tests/browser/axe/package.json, installed by `make test`), never
from a CDN; it is injected into pages opened with bypass_csp=True (the app's own CSP is unchanged).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page

from organizer.extensions import db
from organizer.models import CoverageRelation, ExportRecord, QuestionKind, RsvpStatus
from organizer.services.door import door_links
from organizer.services.mail import unsubscribe
from organizer.timeutil import utcnow
from tests import builders

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Mixed-direction text on purpose: an Arabic name with Latin and digits, an Arabic headline ending in a full stop.
ARABIC_NAME = "محمد العلي"
ARABIC_TITLE = "وقفة تضامن مع حمص 2026 — Homs"
ARABIC_HEADLINE = "السوريون يتحدون الحصار على حمص."


def build_world() -> dict:
    team = builders.make_team("organizer", "coordinator", "door")
    campaign = team["campaign"]
    campaign.name = "Syria Solidarity"
    db.session.commit()
    event = builders.make_event(campaign, slug="homs", title=ARABIC_TITLE, capacity=3,
                                starts_at=(utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0),
                                venue_name="London Muslim Centre", description="**Speakers from Homs** and Aleppo.")
    builders.make_question(event, label="Do you need step-free access?", kind=QuestionKind.YES_NO)
    news = builders.make_coverage(campaign, headline=ARABIC_HEADLINE, outlet="Al Jazeera", language="ar",
                                  published_on=date(2026, 11, 30))
    builders.link_coverage(event, news, CoverageRelation.PROMPTED_BY, note="Why we meet")
    builders.link_coverage(event, builders.make_coverage(campaign), CoverageRelation.REPORT)
    supporter, manage_token, ticket_token = builders.make_rsvp(event, name=ARABIC_NAME, guests=1,
                                                               email="mohammed@example.org")
    for name in ("Amina Yusuf", "Bilal Haddad"):
        builders.make_rsvp(event, name=name, email=None, status=RsvpStatus.WAITLISTED)
    _link, door_token = door_links.create(event, "Front door", team["owner"])
    db.session.add(ExportRecord(campaign_id=campaign.id, event_id=event.id, user_id=team["owner"].id,
                                user_email="owner@example.org", scope="event", file_format="csv",
                                filters=json.dumps({"people": "going"}), columns="name,email", row_count=1))
    db.session.commit()
    return {"campaign": campaign, "event": event, "supporter": supporter, "manage": manage_token,
            "ticket": ticket_token, "door_link": door_token,
            "unsubscribe": unsubscribe.unsubscribe_token(campaign.id, "mohammed@example.org")}


def pages_for(persona: str, w: dict) -> list[str]:
    event, slug = w["event"], w["campaign"].slug
    if persona == "anonymous":
        return ["/", f"/c/{slug}", f"/e/{event.slug}", f"/e/{event.slug}/rsvp/thanks", "/auth/login",
                "/auth/signup", "/auth/reset", "/no-such-page", f"/door/{w['door_link']}"]
    if persona == "supporter":
        return [f"/r/{w['manage']}", f"/r/{w['manage']}/cancel", f"/r/{w['manage']}/delete",
                f"/unsubscribe/{w['unsubscribe']}"]
    if persona == "door":
        return [f"/door/e/{event.id}", f"/door/e/{event.id}/print", f"/t/{w['ticket']}"]
    return ["/manage/", f"/manage/c/{slug}", f"/manage/c/{slug}/edit", f"/manage/c/{slug}/coverage",
            f"/manage/c/{slug}/coverage/new", f"/manage/c/{slug}/members", "/manage/campaigns/new",
            f"/manage/c/{slug}/events/new", f"/manage/e/{event.id}", f"/manage/e/{event.id}/edit",
            f"/manage/e/{event.id}/questions", f"/manage/e/{event.id}/coverage", f"/manage/e/{event.id}/rsvps",
            f"/manage/e/{event.id}/turnout", f"/manage/e/{event.id}/door-links", f"/manage/e/{event.id}/cancel",
            f"/manage/c/{slug}/turnout", f"/manage/c/{slug}/export", f"/manage/c/{slug}/audit", "/auth/password",
            f"/manage/e/{event.id}/message", f"/manage/c/{slug}/message",
            f"/e/{event.slug}"]


SIGN_IN = {"organizer": "owner@example.org", "door": "door@example.org"}


def sign_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(builders.DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
             const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
             return result.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
               v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
           }""",
        WCAG_TAGS,
    )
    return list(found)


def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.fixture
def phone_ctx(browser, base_url):
    contexts = []

    def make(language: str):
        context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844},
                                      device_scale_factor=1, is_mobile=True, has_touch=True, bypass_csp=True)
        context.add_cookies([{"name": "lang", "value": language, "url": base_url}])
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.mark.skipif(not AXE.exists(), reason=f"{AXE} missing: run `make test` (npm install in tests/browser/axe)")
@pytest.mark.parametrize("language,direction", [("en", "ltr"), ("ar", "rtl")])
@pytest.mark.parametrize("persona", ["anonymous", "supporter", "organizer", "door"])
def test_every_page_fits_a_phone_and_passes_axe(phone_ctx, persona, language, direction):
    world = build_world()
    page = phone_ctx(language)
    if persona in SIGN_IN:
        sign_in(page, SIGN_IN[persona])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for path in pages_for(persona, world):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("dir") == direction, path
        # Secret links (manage, ticket, door) stay out of file names.
        name = f"{persona}-{language}-" + (re.sub(r"[A-Za-z0-9_-]{32,}", "link", path.strip("/")).replace("/", "_")
                                           or "home")
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        wider = overflow(page)
        if wider > 0:
            problems.append(f"{path}: {wider}px of horizontal scrolling at 390 px")
        problems += [f"{path}: {violation}" for violation in axe_violations(page)]
    assert not problems, "\n".join(problems)
