"""Bidi isolation (issue 11.5): text people wrote, mixing Arabic, Latin and digits, is isolated wherever
it is shown: <bdi> in pages and HTML mails, FSI … PDI in text mails, so that "محمد العلي + 1 guest"
and an Arabic headline ending in a full stop keep their order."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import CoverageRelation, OutboxMessage, QuestionKind, RsvpStatus
from organizer.services.door import door_links
from organizer.services.rsvp import changes as rsvp_changes
from organizer.services.rsvp import rsvps
from tests import builders
from tests.mailbox import as_sent

NAME = "محمد العلي 2"
TITLE = "وقفة حمص 2026 Homs"
CAMPAIGN = "تضامن Syria 11"
VENUE = "مركز London 46"
HEADLINE = "السوريون يتحدون الحصار 3 Homs."
QUESTION = "هل تحتاج 1 step-free؟"
LINK_LABEL = "الباب Front 2"
MIXED = (NAME, TITLE, CAMPAIGN, VENUE, HEADLINE, QUESTION, LINK_LABEL)


def unisolated(page: str, text: str) -> list[str]:
    """Where ``text`` is shown (not inside a tag or the <title>) without a <bdi> right around it."""
    # Not checked: the <title> (plain text) and charts, where each label is a <text> of its own (a bidi
    # paragraph by itself) and the svg's title and description are what screen readers speak.
    body = re.sub(r"<title>.*?</title>|<svg\b.*?</svg>", "", page, flags=re.S)
    escaped = html_lib.escape(text, quote=False)
    problems = []
    for match in re.finditer(re.escape(escaped), body):
        start, end = match.start(), match.end()
        before = body[:start]
        if before.rfind("<") > before.rfind(">"):  # an attribute (aria-label, value, data-label)
            continue
        if not (before.endswith("<bdi>") and body[end:].startswith("</bdi>")):
            problems.append(body[max(0, start - 60):end + 20].replace("\n", " "))
    return problems


@pytest.fixture
def world(owner):
    campaign = builders.make_campaign(owner=owner, slug="syria", name=CAMPAIGN, summary="Standing with Syria")
    event = builders.make_event(campaign, slug="homs", title=TITLE, venue_name=VENUE, city="لندن", capacity=1)
    question = builders.make_question(event, label=QUESTION, kind=QuestionKind.TEXT)
    news = builders.make_coverage(campaign, headline=HEADLINE, outlet="الجزيرة", language="ar",
                                  published_on=date(2026, 11, 1))
    builders.link_coverage(event, news, CoverageRelation.PROMPTED_BY)
    supporter, manage, ticket = builders.make_rsvp(event, name=NAME, guests=1, email="m@example.org")
    db.session.add(__import__("organizer.models", fromlist=["Answer"]).Answer(
        rsvp_id=supporter.id, question_id=question.id, value="نعم 2 yes"))
    builders.make_rsvp(event, name="Amina 3 أمينة", email=None, status=RsvpStatus.WAITLISTED)
    door_links.create(event, LINK_LABEL, owner)
    db.session.commit()
    return {"campaign": campaign, "event": event, "manage": manage, "ticket": ticket}


def test_every_page_isolates_names_and_titles(client, login, owner, world):
    event, slug = world["event"], world["campaign"].slug
    public = ["/", f"/c/{slug}", f"/e/{event.slug}", f"/r/{world['manage']}", f"/r/{world['manage']}/cancel"]
    staff = ["/manage/", f"/manage/c/{slug}", f"/manage/e/{event.id}", f"/manage/e/{event.id}/rsvps",
             f"/manage/e/{event.id}/questions", f"/manage/e/{event.id}/coverage", f"/manage/c/{slug}/coverage",
             f"/manage/e/{event.id}/turnout", f"/manage/c/{slug}/turnout", f"/manage/e/{event.id}/door-links",
             f"/door/e/{event.id}", f"/door/e/{event.id}/print", f"/t/{world['ticket']}", f"/manage/c/{slug}/members",
             f"/manage/e/{event.id}/cancel"]
    problems = []
    shown = set()
    for path in public:
        page = client.get(path).get_data(as_text=True)
        for text in MIXED:
            shown.update(text for _ in [0] if html_lib.escape(text, quote=False) in page)
            problems += [f"{path}: {text!r} in …{where}…" for where in unisolated(page, text)]
    login(owner)
    for path in staff:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        for text in MIXED:
            if html_lib.escape(text, quote=False) in page:
                shown.add(text)
            problems += [f"{path}: {text!r} in …{where}…" for where in unisolated(page, text)]
    assert not problems, "\n".join(problems)
    assert shown == set(MIXED)  # each was on some page, so each was checked


def test_the_ticket_keeps_the_name_and_the_guests_in_order(client, world):
    page = client.get(f"/r/{world['manage']}").get_data(as_text=True)
    assert f"<bdi>{NAME}</bdi> · <bdi>+1 guest</bdi>" in page


def test_text_mails_isolate_with_unicode_isolates_and_html_mails_with_bdi(world):
    event = world["event"]
    rsvps.create_rsvp(event, name="رشا 7 Rasha", email="rasha@example.org")  # waitlisted
    db.session.commit()
    rsvp_changes.notify_event_changed(event, "place")
    db.session.commit()
    messages = [as_sent(m) for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert len(messages) >= 2
    for message in messages:
        assert f"\u2068{TITLE}\u2069" in message.body_text, message.subject
        assert f"\u2068{CAMPAIGN}\u2069" in message.body_text
        assert "\x00" not in message.body_text
        if message.body_html:
            assert f"<bdi>{TITLE}</bdi>" in message.body_html
    changed = messages[-1]
    assert f"\u2068{VENUE}, " in changed.body_text  # the place, isolated as one
    # Typed isolates and overrides never survive: only ours are there.
    assert changed.body_text.count("\u2068") == changed.body_text.count("\u2069")
