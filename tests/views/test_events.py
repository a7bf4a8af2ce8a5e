"""Event pages through HTTP: create (pre-filled), the organizer's page, edit, publish, cancel, duplicate,
coverage links and the questions editor."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import (
    Answer,
    Coverage,
    CoverageRelation,
    Event,
    EventCoverage,
    EventStatus,
    Question,
    QuestionKind,
    Role,
    RsvpStatus,
)
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import messages_to

NASTY = '<script>alert(1)</script><img src=x onerror=alert(2)>'

pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.fixture
def campaign(owner):
    return builders.make_campaign(owner=owner, slug="syria", default_venue_name="London Muslim Centre",
                                  default_address="46-92 Whitechapel Road, London E1 1JQ", default_city="London",
                                  default_country="United Kingdom", default_timezone="Europe/London")


@pytest.fixture
def signed_in(client, login, owner):
    login(owner)
    return client


def body(response) -> str:
    return unescape(response.get_data(as_text=True))


def event_data(**overrides):
    data = {"title": "Manchester stands with Syria", "description": "Come along.",
            "starts_local": "2030-07-04T19:00", "ends_local": "2030-07-04T21:00", "timezone": "Europe/London",
            "venue_name": "Friends Meeting House", "address": "6 Mount Street", "city": "Manchester",
            "country": "United Kingdom", "online_url": "", "visibility": "public", "capacity": "120",
            "rsvp_deadline_local": "", "email_policy": "required", "max_guests": "2", "prompted_by": "0"}
    data.update(overrides)
    return data


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- Create ------------------------------------------------------------------------------------

def test_new_event_form_is_prefilled_from_the_campaign(signed_in, campaign):
    html = body(signed_in.get("/manage/c/syria/events/new"))
    assert 'value="London Muslim Centre"' in html and 'value="46-92 Whitechapel Road, London E1 1JQ"' in html
    assert '<option selected value="Europe/London">' in html or 'value="Europe/London" selected' in html
    for legend in ("What", "When", "Where", "Who may come", "RSVP settings", "Coverage"):
        assert f"<legend>{legend}</legend>" in html


def test_create_event_stores_utc_as_a_draft_and_links_the_news(signed_in, campaign):
    article = builders.make_coverage(campaign, headline="Syrians defy assault on Homs")
    response = signed_in.post("/manage/c/syria/events/new",
                              data=event_data(prompted_by=str(article.id), prompted_by_note="The news"))
    assert response.status_code == 303
    event = db.session.scalar(select(Event))
    assert response.headers["Location"].endswith(f"/manage/e/{event.id}")
    assert event.status is EventStatus.DRAFT
    assert event.starts_at == datetime(2030, 7, 4, 18, 0)  # 19:00 BST
    assert (event.capacity, event.max_guests, event.city) == (120, 2, "Manchester")
    link = db.session.scalar(select(EventCoverage))
    assert (link.coverage_id, link.relation, link.note) == (article.id, CoverageRelation.PROMPTED_BY, "The news")
    html = body(signed_in.get(f"/manage/e/{event.id}"))
    assert "Syrians defy assault on Homs" in html and "Draft" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Give the event a title."),
        ({"title": "x" * 201}, "Use at most 200 characters."),
        ({"description": "x" * 20_001}, "Use at most 20000 characters."),
        ({"venue_name": "x" * 161}, "Use at most 160 characters."),
        ({"address": "x" * 301}, "Use at most 300 characters."),
        ({"starts_local": ""}, "Enter when the event starts."),
        ({"starts_local": "next Tuesday"}, "Not a valid datetime value."),
        ({"ends_local": "2030-07-04T18:00"}, "The end must be after the start."),
        ({"timezone": "Atlantis/Capital"}, "Choose a timezone from the list."),
        ({"capacity": "0"}, "Enter a number from 1 to 100000, or leave it empty."),
        ({"capacity": "99999999999999999999"}, "Enter a number from 1 to 100000, or leave it empty."),
        ({"capacity": "lots"}, "Not a valid integer value."),
        ({"max_guests": "21"}, "Enter a number from 0 to 20."),
        ({"max_guests": "-1"}, "Enter a number from 0 to 20."),
        ({"rsvp_deadline_local": "2030-07-04T22:00"}, "The RSVP deadline must be before the event ends."),
        ({"online_url": "javascript:alert(1)"}, "starting with https:// or http://"),
        ({"online_url": "https://example.org/" + "x" * 500}, "Use at most 500 characters."),
        ({"visibility": "secret"}, "Choose one of the options."),
        ({"email_policy": "maybe"}, "Choose one of the options."),
        ({"prompted_by_note": "x" * 301}, "Use at most 300 characters."),
        ({"prompted_by": "999999"}, "No such article"),
        ({"prompted_by": "2147483648"}, "No such article"),  # past a 32-bit key: never a database error
        ({"prompted_by": "99999999999999999999"}, "No such article"),
        ({"starts_local": "0001-01-01T00:00", "timezone": "Pacific/Kiritimati"}, "Enter a date between 1900 and 2200."),
        ({"ends_local": "9999-12-31T23:59"}, "Enter a date between 1900 and 2200."),
    ],
)
def test_bad_event_input_is_a_form_error_and_saves_nothing(signed_in, campaign, overrides, message):
    response = signed_in.post("/manage/c/syria/events/new", data=event_data(**overrides))
    assert response.status_code == 400
    html = body(response)
    assert message in html
    assert 'value="Friends Meeting House"' in html or overrides.get("venue_name")  # what was typed is kept
    assert count(Event) == 0


def test_event_text_is_stored_as_typed_and_shown_escaped(signed_in, campaign):
    fields = {name: f"{name} {NASTY}" for name in ("title", "description", "venue_name", "address", "city",
                                                   "country")}
    assert signed_in.post("/manage/c/syria/events/new", data=event_data(**fields)).status_code == 303
    event = db.session.scalar(select(Event))
    assert event.title == f"title {NASTY}"
    signed_in.post(f"/manage/e/{event.id}/publish")
    for path in (f"/manage/e/{event.id}", f"/manage/e/{event.id}/edit", "/manage/c/syria", "/", f"/e/{event.slug}",
                 "/c/syria", f"/manage/e/{event.id}/cancel", f"/manage/e/{event.id}/coverage"):
        html = signed_in.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path


def test_coordinators_and_door_cannot_create(client, login, campaign):
    for role in (Role.COORDINATOR, Role.DOOR):
        member = builders.make_user()
        builders.make_membership(campaign, member, role)
        login(member)
        assert client.get("/manage/c/syria/events/new").status_code == 404
        assert client.post("/manage/c/syria/events/new", data=event_data()).status_code == 404
    assert count(Event) == 0


# --- The organizer's event page, edit, publish -------------------------------------------------

def test_detail_shows_counts_and_links_by_role(client, login, owner, campaign):
    event = builders.make_event(campaign, capacity=10, title="Manchester meeting")
    builders.make_rsvp(event, guests=2)
    builders.make_rsvp(event, status=RsvpStatus.WAITLISTED)
    login(owner)
    html = body(client.get(f"/manage/e/{event.id}"))
    assert "Manchester meeting" in html
    assert '<span class="stat__value">3</span><span class="stat__label">going (with guests)' in html
    assert '<span class="stat__value">7</span><span class="stat__label">places left' in html
    assert f'/manage/e/{event.id}/edit' in html and f'/manage/e/{event.id}/cancel' in html
    door = builders.make_user()
    builders.make_membership(campaign, door, Role.DOOR)
    login(door)
    html = body(client.get(f"/manage/e/{event.id}"))
    assert f'/manage/e/{event.id}/edit' not in html and f'/manage/e/{event.id}/cancel' not in html


def test_detail_names_the_end_day_when_an_event_runs_past_midnight(signed_in, campaign):
    same_day = builders.make_event(campaign, starts_at=datetime(2030, 3, 20, 17, 0), ends_at=datetime(2030, 3, 20, 19, 0),
                                   timezone="Asia/Beirut")
    html = body(signed_in.get(f"/manage/e/{same_day.id}"))
    assert "Wednesday 20 March 2030, 19:00 EET" in html and "21:00 EET" in html and "(Asia/Beirut)" in html
    overnight = builders.make_event(campaign, starts_at=datetime(2030, 3, 20, 20, 0), ends_at=datetime(2030, 3, 21, 4, 0),
                                    timezone="America/New_York")
    html = body(signed_in.get(f"/manage/e/{overnight.id}"))
    assert "Wednesday 20 March 2030, 16:00 EDT" in html and "Thursday 21 March 2030, 00:00 EDT" in html
    assert "(America/New York)" in html


def test_edit_shows_local_times_and_saves(signed_in, campaign):
    event = builders.make_event(campaign, starts_at=datetime(2030, 7, 4, 18, 0), ends_at=datetime(2030, 7, 4, 20, 0))
    html = body(signed_in.get(f"/manage/e/{event.id}/edit"))
    assert 'value="2030-07-04T19:00"' in html and 'value="2030-07-04T21:00"' in html
    response = signed_in.post(f"/manage/e/{event.id}/edit", data=event_data(title="Renamed", capacity=""))
    assert response.status_code == 303
    db.session.refresh(event)
    assert (event.title, event.capacity) == ("Renamed", None)


def test_a_failed_edit_keeps_the_saved_event(signed_in, campaign):
    event = builders.make_event(campaign, title="Original")
    response = signed_in.post(f"/manage/e/{event.id}/edit", data=event_data(title="Changed", ends_local="2030-07-04T10:00"))
    assert response.status_code == 400
    db.session.refresh(event)
    assert event.title == "Original"


def test_an_edit_says_who_is_emailed_and_who_got_a_place(signed_in, campaign):
    event = builders.make_event(campaign, capacity=1, starts_at=datetime(2030, 7, 4, 18, 0),
                                ends_at=datetime(2030, 7, 4, 20, 0), timezone="Europe/London",
                                venue_name="Friends Meeting House", address="6 Mount Street", city="Manchester",
                                country="United Kingdom", online_url="")  # where and when event_data() says
    builders.make_rsvp(event)
    builders.make_rsvp(event, status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(event, status=RsvpStatus.WAITLISTED)
    response = signed_in.post(f"/manage/e/{event.id}/edit", data=event_data(capacity="3"), follow_redirects=True)
    html = body(response)
    assert "2 RSVPs on the waitlist got the new places and are being emailed." in html
    assert "who RSVPed are being emailed" not in html  # same time, same place
    response = signed_in.post(f"/manage/e/{event.id}/edit", data=event_data(capacity="3", venue_name="Another hall"),
                              follow_redirects=True)
    html = body(response)
    assert "3 people who RSVPed are being emailed the new details." in html and "waitlist" not in html


def test_publish_puts_it_on_the_home_page(signed_in, campaign):
    event = builders.make_event(campaign, status=EventStatus.DRAFT, title="Brand new meeting")
    assert "Brand new meeting" not in body(signed_in.get("/"))
    response = signed_in.post(f"/manage/e/{event.id}/publish")
    assert response.status_code == 303
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED
    assert "Brand new meeting" in body(signed_in.get("/"))


def test_a_cancelled_event_cannot_be_published(signed_in, campaign):
    event = builders.make_event(campaign, status=EventStatus.CANCELLED)
    response = signed_in.post(f"/manage/e/{event.id}/publish", follow_redirects=True)
    assert "can't be published again" in body(response)
    db.session.refresh(event)
    assert event.status is EventStatus.CANCELLED


# --- Cancel, duplicate -------------------------------------------------------------------------

def test_cancel_says_how_many_people_will_be_emailed(signed_in, campaign):
    event = builders.make_event(campaign, title="Glasgow meeting")
    for _ in range(3):
        builders.make_rsvp(event)
    builders.make_rsvp(event, email=None)
    html = body(signed_in.get(f"/manage/e/{event.id}/cancel"))
    assert "3 people will be emailed that the event is cancelled." in html
    response = signed_in.post(f"/manage/e/{event.id}/cancel")
    assert response.status_code == 303
    db.session.refresh(event)
    assert event.status is EventStatus.CANCELLED
    assert "This event has been cancelled." in body(signed_in.get(f"/e/{event.slug}"))
    # Asking again just says so.
    response = signed_in.get(f"/manage/e/{event.id}/cancel", follow_redirects=True)
    assert "already cancelled" in body(response)


def test_cancelling_with_a_note_puts_it_in_the_email_and_a_too_long_one_keeps_what_was_typed(signed_in, campaign):
    event = builders.make_event(campaign, title="Glasgow meeting")
    builders.make_rsvp(event, email="amina@example.org")
    assert 'name="note"' in body(signed_in.get(f"/manage/e/{event.id}/cancel"))
    too_long = "We've moved next door. " + "x" * 1000
    response = signed_in.post(f"/manage/e/{event.id}/cancel", data={"note": too_long})
    assert response.status_code == 400
    assert too_long in unescape(body(response))
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED
    response = signed_in.post(f"/manage/e/{event.id}/cancel", data={"note": "We've moved to <b>the hall</b>."})
    assert response.status_code == 303
    [message] = messages_to("amina@example.org")
    assert "We've moved to <b>the hall</b>." in message.body_text
    assert "We&#39;ve moved to &lt;b&gt;the hall&lt;/b&gt;." in message.body_html


def test_a_draft_has_nobody_to_tell_so_no_note_is_asked(signed_in, campaign):
    event = builders.make_event(campaign, status=EventStatus.DRAFT)
    assert 'name="note"' not in body(signed_in.get(f"/manage/e/{event.id}/cancel"))


def test_cancelling_a_draft_emails_nobody(signed_in, campaign):
    event = builders.make_event(campaign, status=EventStatus.DRAFT)
    assert "nobody will be emailed" in body(signed_in.get(f"/manage/e/{event.id}/cancel"))


def test_duplicate_makes_next_weeks_draft(signed_in, campaign):
    event = builders.make_event(campaign, title="Weekly meeting", starts_at=datetime(2030, 7, 4, 18, 0),
                                ends_at=datetime(2030, 7, 4, 20, 0))
    builders.make_question(event, label="Access needs?")
    response = signed_in.post(f"/manage/e/{event.id}/duplicate")
    assert response.status_code == 303
    copy = db.session.scalar(select(Event).where(Event.id != event.id))
    assert response.headers["Location"].endswith(f"/manage/e/{copy.id}/edit")
    assert copy.starts_at == datetime(2030, 7, 11, 18, 0) and copy.status is EventStatus.DRAFT
    assert [q.label for q in copy.questions] == ["Access needs?"]
    assert "Copied to the same time next week" in body(signed_in.get(response.headers["Location"]))


# --- Back to draft, delete ----------------------------------------------------------------------

def test_back_to_draft_takes_the_page_down_until_published_again(signed_in, campaign):
    event = builders.make_event(campaign, title="Too early")
    assert "Back to draft" in body(signed_in.get(f"/manage/e/{event.id}"))
    response = signed_in.post(f"/manage/e/{event.id}/unpublish", follow_redirects=True)
    assert "Back to draft: the public page is gone" in body(response)
    db.session.refresh(event)
    assert event.status is EventStatus.DRAFT
    assert "Too early" not in body(signed_in.get("/"))


def test_delete_asks_first_then_deletes_and_goes_back_to_the_campaign(signed_in, campaign):
    event = builders.make_event(campaign, title="Set up by mistake")
    html = body(signed_in.get(f"/manage/e/{event.id}/delete"))
    assert "Delete “<bdi>Set up by mistake</bdi>”?" in html and "Its public page will be gone" in html
    assert count(Event) == 1  # asking changes nothing
    response = signed_in.post(f"/manage/e/{event.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/manage/c/{campaign.slug}")
    assert "“Set up by mistake” is deleted." in body(signed_in.get(response.headers["Location"]))
    assert count(Event) == 0
    assert signed_in.get(f"/e/{event.slug}").status_code == 404


def test_an_event_people_rsvped_to_offers_neither_and_refuses_both(signed_in, campaign):
    event = builders.make_event(campaign, title="Happening")
    builders.make_rsvp(event)
    html = body(signed_in.get(f"/manage/e/{event.id}"))
    assert "Back to draft" not in html and "Delete event" not in html and "Cancel event" in html
    assert "can't be deleted or go back to draft" in html
    response = signed_in.get(f"/manage/e/{event.id}/delete", follow_redirects=True)
    assert "so it can't be deleted" in body(response)
    response = signed_in.post(f"/manage/e/{event.id}/delete", follow_redirects=True)
    assert "so it can't be deleted" in body(response)
    response = signed_in.post(f"/manage/e/{event.id}/unpublish", follow_redirects=True)
    assert "People have already RSVPed" in body(response)
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED and count(Event) == 1


# --- Coverage ----------------------------------------------------------------------------------

def test_coverage_page_searches_the_library_without_javascript(signed_in, campaign):
    event = builders.make_event(campaign)
    builders.make_coverage(campaign, headline="Syrians defy assault on Homs")
    builders.make_coverage(campaign, headline="Aleppo strikes", url="https://example.org/aleppo")
    html = body(signed_in.get(f"/manage/e/{event.id}/coverage?q=aleppo"))
    picker = html[html.index('id="pick-results"'):]
    assert "Aleppo strikes" in picker and "Syrians defy" not in picker
    assert 'data-coverage-mode="pick"' in html


def test_link_from_the_library_and_unlink(signed_in, campaign):
    event = builders.make_event(campaign)
    item = builders.make_coverage(campaign, headline="Syrians defy assault on Homs")
    response = signed_in.post(f"/manage/e/{event.id}/coverage/link",
                              data={"coverage_id": str(item.id), "relation": "prompted_by", "note": "Why"})
    assert response.status_code == 303
    link = db.session.scalar(select(EventCoverage))
    assert (link.relation, link.note) == (CoverageRelation.PROMPTED_BY, "Why")
    # The same link twice is explained, not duplicated.
    response = signed_in.post(f"/manage/e/{event.id}/coverage/link",
                              data={"coverage_id": str(item.id), "relation": "prompted_by"})
    assert response.status_code == 400 and "already linked" in body(response)
    assert signed_in.post(f"/manage/e/{event.id}/coverage/{link.id}/unlink").status_code == 303
    assert count(EventCoverage) == 0 and count(Coverage) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Pick an article."),
        ({"coverage_id": "abc"}, "Not a valid integer value."),
        ({"coverage_id": "999999"}, "No such article"),
        ({"coverage_id": "2147483648"}, "No such article"),  # past a 32-bit key: never a database error
        ({"coverage_id": "99999999999999999999"}, "No such article"),
        ({"coverage_id": "-1"}, "No such article"),
        ({"relation": "inspired"}, "Choose how the article relates to the event."),
        ({"note": "x" * 301}, "Use at most 300 characters."),
    ],
)
def test_bad_link_input(signed_in, campaign, data, message):
    event = builders.make_event(campaign)
    item = builders.make_coverage(campaign)
    full = {"coverage_id": str(item.id), "relation": "report", **data}
    if not data:
        full.pop("coverage_id")
    response = signed_in.post(f"/manage/e/{event.id}/coverage/link", data=full)
    assert response.status_code == 400 and message in body(response)
    assert count(EventCoverage) == 0


def test_linking_an_article_of_another_campaign_is_refused(signed_in, owner, campaign):
    event = builders.make_event(campaign)
    foreign = builders.make_coverage(builders.make_campaign(owner=owner))
    response = signed_in.post(f"/manage/e/{event.id}/coverage/link",
                              data={"coverage_id": str(foreign.id), "relation": "report"})
    assert response.status_code == 400 and count(EventCoverage) == 0


def test_add_a_new_article_and_link_it_as_prompted_by(signed_in, campaign):
    event = builders.make_event(campaign, slug="lmc")
    response = signed_in.post(f"/manage/e/{event.id}/coverage/new", data={
        "new-url": "https://socialistworker.co.uk/art/27271", "new-headline": "Syrians defy assault on Homs",
        "new-outlet": "Socialist Worker", "new-author": "Simon Assaf", "new-published_on": "2012-03-06",
        "new-excerpt": "Mass executions…", "new-language": "en", "new-relation": "prompted_by", "new-note": ""})
    assert response.status_code == 303
    link = db.session.scalar(select(EventCoverage))
    assert link.relation is CoverageRelation.PROMPTED_BY and link.coverage.author == "Simon Assaf"
    html = body(signed_in.get("/e/lmc"))
    assert "Why we're meeting" in html and "Syrians defy assault on Homs" in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "ftp://x.org/a",
                                 " https://example.org/with space"])
def test_new_article_urls_must_be_http(signed_in, campaign, url):
    event = builders.make_event(campaign)
    response = signed_in.post(f"/manage/e/{event.id}/coverage/new", data={
        "new-url": url, "new-headline": "Headline", "new-relation": "report"})
    assert response.status_code == 400 and "starting with https:// or http://" in body(response)
    assert count(Coverage) == 0


def test_coverage_link_note_is_escaped(signed_in, campaign):
    event = builders.make_event(campaign, slug="lmc")
    item = builders.make_coverage(campaign)
    signed_in.post(f"/manage/e/{event.id}/coverage/link",
                   data={"coverage_id": str(item.id), "relation": "prompted_by", "note": NASTY})
    for path in ("/e/lmc", f"/manage/e/{event.id}", f"/manage/e/{event.id}/coverage"):
        html = signed_in.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


# --- Questions ---------------------------------------------------------------------------------

def test_questions_add_edit_move_delete(signed_in, campaign):
    event = builders.make_event(campaign)
    path = f"/manage/e/{event.id}/questions"
    assert signed_in.post(path, data={"label": "Access needs?", "kind": "yes_no"}).status_code == 303
    assert signed_in.post(path, data={"label": "Which group?", "kind": "choice", "choices": "Students\nUnion",
                                      "required": "y"}).status_code == 303
    first, second = db.session.scalars(select(Question).order_by(Question.position)).all()
    assert (second.kind, second.choice_list, second.required) == (QuestionKind.CHOICE, ["Students", "Union"], True)
    html = body(signed_in.get(path))
    assert html.index("Access needs?") < html.index("Which group?")
    assert signed_in.post(f"{path}/{second.id}/move", data={"direction": "up"}).status_code == 303
    html = body(signed_in.get(path))
    assert html.index("Which group?") < html.index("Access needs?")
    assert signed_in.post(f"{path}/{second.id}/move", data={"direction": "sideways"}).status_code == 400
    assert 'value="Access needs?"' in body(signed_in.get(f"{path}/{first.id}/edit"))
    assert signed_in.post(f"{path}/{first.id}/edit", data={"label": "Access needs", "kind": "text"}).status_code == 303
    db.session.refresh(first)
    assert (first.label, first.kind) == ("Access needs", QuestionKind.TEXT)
    assert signed_in.post(f"{path}/{first.id}/delete").status_code == 303
    assert count(Question) == 1


def test_removing_a_question_asks_first_and_says_how_many_answers_go(signed_in, campaign):
    event = builders.make_event(campaign, max_guests=0)
    question = builders.make_question(event, label="Which branch?", kind=QuestionKind.TEXT)
    for name in ("Amina", "Bilal"):
        from organizer.services.rsvp import rsvps

        rsvps.create_rsvp(event, name=name, answers={question.id: "Tower Hamlets"})
    db.session.commit()
    path = f"/manage/e/{event.id}/questions"
    assert f'href="{path}/{question.id}/delete"' in body(signed_in.get(path))  # a link to the question, not a button
    html = body(signed_in.get(f"{path}/{question.id}/delete"))
    assert "Remove “<bdi>Which branch?</bdi>”?" in html and "2 people answered it: their answers are deleted with it." in html
    assert count(Question) == 1  # looking changes nothing
    assert signed_in.post(f"{path}/{question.id}/delete").status_code == 303
    assert count(Question) == 0 and count(Answer) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"label": "", "kind": "text"}, "Write the question."),
        ({"label": "x" * 201, "kind": "text"}, "Use at most 200 characters."),
        ({"label": "Pick", "kind": "choice", "choices": "Only one"}, "Give at least two choices, one per line."),
        ({"label": "Pick", "kind": "essay"}, "Choose one of the options."),
        ({"label": "Pick", "kind": "choice", "choices": "x" * 5000}, "That's too long."),
    ],
)
def test_bad_question_input(signed_in, campaign, data, message):
    event = builders.make_event(campaign)
    response = signed_in.post(f"/manage/e/{event.id}/questions", data=data)
    assert response.status_code == 400 and message in body(response)
    assert count(Question) == 0


def test_at_most_ten_questions(signed_in, campaign):
    event = builders.make_event(campaign)
    for number in range(10):
        builders.make_question(event, label=f"Question {number}", position=number)
    html = body(signed_in.get(f"/manage/e/{event.id}/questions"))
    assert "That's the most an event can ask (10)." in html and "Add question" not in html
    response = signed_in.post(f"/manage/e/{event.id}/questions", data={"label": "Eleven", "kind": "text"})
    assert response.status_code == 400 and "at most 10 questions" in body(response)
    assert count(Question) == 10


def test_question_text_is_escaped(signed_in, campaign):
    event = builders.make_event(campaign, slug="lmc")
    signed_in.post(f"/manage/e/{event.id}/questions",
                   data={"label": f"Q {NASTY}", "kind": "choice", "choices": f"A {NASTY}\nB"})
    for path in (f"/manage/e/{event.id}/questions", f"/manage/e/{event.id}", "/e/lmc"):
        html = signed_in.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path


def test_questions_of_another_event_are_404(signed_in, campaign):
    event = builders.make_event(campaign)
    foreign = builders.make_question(builders.make_event(campaign))
    assert signed_in.get(f"/manage/e/{event.id}/questions/{foreign.id}/edit").status_code == 404
    assert signed_in.post(f"/manage/e/{event.id}/questions/{foreign.id}/delete").status_code == 404
    assert count(Question) == 1


def test_buttons_need_csrf(client, login, owner, campaign, app):
    app.config["WTF_CSRF_ENABLED"] = True
    event = builders.make_event(campaign, status=EventStatus.DRAFT)
    login(owner)
    for action in ("publish", "duplicate", "cancel"):
        assert client.post(f"/manage/e/{event.id}/{action}").status_code == 400
    db.session.refresh(event)
    assert event.status is EventStatus.DRAFT and count(Event) == 1


def test_event_dates_on_the_dashboard_use_the_events_zone(signed_in, campaign):
    builders.make_event(campaign, title="Tokyo meeting", timezone="Asia/Tokyo",
                        starts_at=utcnow().replace(microsecond=0) + timedelta(days=3))
    html = body(signed_in.get("/manage/c/syria"))
    assert "JST" in html or "UTC+09" in html


def test_publishing_a_past_event_asks_first_and_publishes_only_when_confirmed(signed_in, campaign):
    event = builders.make_event(campaign, status=EventStatus.DRAFT, title="Yesterday's meeting",
                                starts_at=utcnow() - timedelta(days=1))
    response = signed_in.post(f"/manage/e/{event.id}/publish")
    html = body(response)
    assert response.status_code == 200
    assert "Publish “Yesterday&#39;s meeting” anyway?" in html or "Publish “Yesterday's meeting” anyway?" in unescape(html)
    assert "has already passed" in html and 'name="confirmed" value="y"' in html
    db.session.refresh(event)
    assert event.status is EventStatus.DRAFT
    response = signed_in.post(f"/manage/e/{event.id}/publish", data={"confirmed": "y"})
    assert response.status_code == 303
    db.session.refresh(event)
    assert event.status is EventStatus.PUBLISHED
