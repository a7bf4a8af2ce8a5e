"""RSVP pages through HTTP: the form on the event page, bad input, the private link, cancel and
delete, calendar files and the organizers' list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from organizer.extensions import db, limiter
from organizer.models import (
    Answer,
    EmailPolicy,
    EventStatus,
    OutboxMessage,
    QuestionKind,
    Role,
    Rsvp,
    RsvpStatus,
    Visibility,
)
from organizer.services.rsvp import capacity, rsvps
from organizer.timeutil import utcnow
from tests import builders
from tests.conftest import make_test_app
from tests.mailbox import last_link, path_of
from tests.security.helpers import csrf_from, csrf_secret_of, submission_key_from


@pytest.fixture
def campaign(owner):
    return builders.make_campaign(owner=owner, slug="syria-solidarity", name="Syria Solidarity")


@pytest.fixture
def event(campaign):
    return builders.make_event(campaign, slug="lmc", title="Solidarity with Homs", capacity=10, max_guests=3)


def page(client, path):
    response = client.get(path)
    return response, response.get_data(as_text=True)


def token_for(client, path):
    return csrf_from(client.get(path).get_data(as_text=True))


def event_page_token(client, event) -> str:
    """What a browser does: the event page carries the token of the visitor's session; without a
    session it carries none and rsvp.js asks /csrf-token for one."""
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', html)
    if match and match.group(1):
        return match.group(1)
    return client.get("/csrf-token").get_json()["csrf_token"]


def test_the_event_page_has_no_token_until_the_visitor_has_a_session(client, event):
    first = client.get("/e/lmc")
    assert 'name="csrf_token" type="hidden" value=""' in first.get_data(as_text=True)
    assert "Set-Cookie" not in first.headers
    token = client.get("/csrf-token").get_json()["csrf_token"]
    assert csrf_secret_of(csrf_from(client.get("/e/lmc").get_data(as_text=True))) == csrf_secret_of(token)


def submit(client, event, **fields):
    data = {"csrf_token": event_page_token(client, event), "name": "Amina", **fields}
    return client.post(f"/e/{event.slug}/rsvp", data=data)


SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}  # what a browser sends with a form from our own page


def rsvp_count() -> int:
    return db.session.scalar(select(func.count(Rsvp.id))) or 0


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


# --- The form on the event page -----------------------------------------------------------------

def test_the_form_asks_only_what_the_event_needs(client, campaign):
    builders.make_event(campaign, slug="plain", email_policy=EmailPolicy.NOT_ASKED, max_guests=0)
    _, html = page(client, "/e/plain")
    assert 'name="name"' in html
    assert 'name="email"' not in html and 'name="phone"' not in html and 'name="guests"' not in html
    assert 'name="consent"' in html and "checked" not in html.split('name="consent"')[1].split(">")[0]

    full = builders.make_event(campaign, slug="full", email_policy=EmailPolicy.REQUIRED, ask_phone=True,
                               max_guests=2)
    builders.make_question(full, label="Do you need step-free access?", kind=QuestionKind.YES_NO)
    _, html = page(client, "/e/full")
    for name in ("email", "phone", "guests"):
        assert f'name="{name}"' in html
    assert "Do you need step-free access?" in html
    assert "Me + 2 guests" in html and "Me + 3 guests" not in html
    assert 'class="honeypot" aria-hidden="true"' in html
    assert 'required' not in html.split('name="phone"')[0].rsplit("<", 1)[1]


def test_the_form_follows_every_change_an_organizer_makes(app, campaign):
    """Form classes are reused per shape of the event (rsvp/forms.py): a change to the questions, the
    email policy, the phone or the guests must still show in the very next form."""
    from werkzeug.datastructures import MultiDict

    from organizer.rsvp.forms import rsvp_form_for

    def form(event, **data):
        with app.test_request_context(method="POST"):
            built = rsvp_form_for(event, formdata=MultiDict(data), meta={"csrf": False})
            return built, built.validate()

    event = builders.make_event(campaign, slug="changing", email_policy=EmailPolicy.NOT_ASKED, max_guests=0)
    question = builders.make_question(event, label="Which coach?", kind=QuestionKind.CHOICE,
                                      choices="Leeds\nYork", required=True)
    db.session.refresh(event)
    first, ok = form(event, name="Rosa", **{f"q_{question.id}": "Hull"})
    assert not ok and "email" not in first and "guests" not in first and "phone" not in first
    assert str(first[f"q_{question.id}"].label.text) == "Which coach?"

    def change(target, **values):  # one thing at a time: each alone must reach the form
        for key, value in values.items():
            setattr(target, key, value)
        db.session.commit()
        db.session.refresh(event)

    change(question, label="Which coach are you on?")
    assert str(form(event, name="Rosa")[0][f"q_{question.id}"].label.text) == "Which coach are you on?"
    change(question, choices="Leeds\nYork\nHull")
    assert form(event, name="Rosa", **{f"q_{question.id}": "Hull"})[1]
    change(question, required=False)
    assert form(event, name="Rosa")[1]
    change(event, ask_phone=True)
    assert "phone" in form(event, name="Rosa")[0]
    change(event, max_guests=2)
    assert form(event, name="Rosa", guests="2")[0].guests.data == 2
    change(event, email_policy=EmailPolicy.REQUIRED)
    assert not form(event, name="Rosa", email="not an address")[1]
    second, ok = form(event, name="Rosa", email="rosa@example.org")
    assert ok, second.errors
    builders.make_question(event, label="Step-free access?", kind=QuestionKind.YES_NO)
    db.session.refresh(event)
    assert "Step-free access?" in [str(field.label.text) for field in form(event, name="Rosa")[0]]

    twin = builders.make_event(campaign, slug="twin", email_policy=EmailPolicy.REQUIRED, max_guests=2,
                               ask_phone=True)
    assert type(form(twin, name="Rosa")[0]) is not type(second)  # its own questions (none)


def test_closed_event_page_says_why(client, campaign):
    builders.make_event(campaign, slug="late", rsvp_deadline=utcnow() - timedelta(hours=1))
    _, html = page(client, "/e/late")
    assert "RSVPs closed on" in html and 'name="name"' not in html
    builders.make_event(campaign, slug="off", status=EventStatus.CANCELLED)
    _, html = page(client, "/e/off")
    assert "RSVPs are closed: this event was cancelled." in html


def test_full_event_offers_the_waitlist(client, campaign):
    full = builders.make_event(campaign, slug="tiny", capacity=1)
    builders.make_rsvp(full)
    _, html = page(client, "/e/tiny")
    assert "Join the waitlist" in html


# --- Submitting --------------------------------------------------------------------------------

def test_rsvp_without_email_lands_on_the_private_page(client, event):
    response = submit(client, event, guests="1")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/r/[A-Za-z0-9_-]{43}", location)
    assert flashes(client) == ["You're going!"]
    response, html = page(client, location)
    assert response.status_code == 200
    assert "You&#39;re going!" in html  # the one-line result, flashed
    assert "Going, with 1 guest" in html
    assert f"http://localhost{location}" in html  # the link to keep, from BASE_URL
    assert "Keep this link" in html
    assert "<svg" in html and 'class="qr-code"' in html
    assert f"{location}/calendar.ics" in html  # their own calendar file, with what is kept for people going
    assert response.headers["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex">' in html
    assert db.session.scalar(select(Rsvp)).guests == 1


def test_rsvp_with_email_sends_the_link_instead_of_showing_it(client, event):
    response = submit(client, event, email="amina@example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/e/lmc/rsvp/thanks"
    assert flashes(client)[0] == "You're going!"
    assert "amina@example.org" in flashes(client)[1]
    _, html = page(client, "/e/lmc/rsvp/thanks")
    assert "/r/" not in html
    link = last_link("amina@example.org", "/r/")
    response, html = page(client, path_of(link))
    assert response.status_code == 200 and "rsvp-status--going" in html  # the emailed link opens this RSVP


def test_a_duplicate_address_gets_exactly_the_same_response(client, event):
    first = submit(client, event, email="amina@example.org")
    first_flashes = flashes(client)
    _, first_page = page(client, first.headers["Location"])
    second = submit(client, event, email="AMINA@example.org", name="Someone else", guests="3")
    second_flashes = flashes(client)
    _, second_page = page(client, second.headers["Location"])
    assert (first.status_code, first.headers["Location"]) == (second.status_code, second.headers["Location"])
    assert [f.lower() for f in first_flashes] == [f.lower() for f in second_flashes]
    strip = lambda html: re.sub(r'value="[^"]*"', "", html).lower()  # noqa: E731  (the address is echoed as typed)
    assert strip(first_page) == strip(second_page)
    assert rsvp_count() == 2  # stored like any other RSVP: the places left move alike
    assert db.session.scalar(select(Rsvp).order_by(Rsvp.id)).guests == 0  # the first one is untouched
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.to_address for m in messages] == ["amina@example.org", "AMINA@example.org"]


# --- The same form sent again (its first answer was lost) -----------------------------------------

SUBMISSION_KEY = "5f2c0e9a41d84b7c9e1f3a6b8d0c2e4f"  # what static/js/rsvp.js makes: 16 random bytes in hex


def test_the_page_leaves_the_submission_key_to_the_script(client, event):
    html = client.get("/e/lmc").get_data(as_text=True)
    assert submission_key_from(html) == ""


def test_the_same_form_sent_again_is_answered_as_the_first_and_stored_once(client, event):
    first = submit(client, event, email="amina@example.org", guests="2", submission_key=SUBMISSION_KEY)
    first_flashes = flashes(client)
    again = submit(client, event, email="amina@example.org", guests="2", submission_key=SUBMISSION_KEY)
    assert (first.status_code, first.headers["Location"]) == (again.status_code, again.headers["Location"]) \
        == (303, "/e/lmc/rsvp/thanks")
    assert flashes(client) == first_flashes
    assert rsvp_count() == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert capacity.summary(event).going_people == 3  # one party of three, not two


def test_without_an_email_the_retry_lands_on_the_same_private_page(client, campaign):
    event = builders.make_event(campaign, slug="no-email", email_policy=EmailPolicy.NOT_ASKED)
    first = submit(client, event, submission_key=SUBMISSION_KEY)
    again = submit(client, event, submission_key=SUBMISSION_KEY)
    assert first.status_code == again.status_code == 303
    assert re.fullmatch(r"/r/[A-Za-z0-9_-]{43}", again.headers["Location"])
    assert again.headers["Location"] == first.headers["Location"]
    assert client.get(again.headers["Location"]).status_code == 200
    assert rsvp_count() == 1


def test_a_retry_whose_link_cant_be_made_again_says_so_on_the_event_page(app, client, campaign):
    event = builders.make_event(campaign, slug="no-email", email_policy=EmailPolicy.NOT_ASKED)
    assert submit(client, event, submission_key=SUBMISSION_KEY).status_code == 303
    old_secret = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "rotated-with-no-fallback-0123456789abcdef"
    try:
        again = submit(client, event, submission_key=SUBMISSION_KEY)
        shown = flashes(client)  # in the session signed with the new key
    finally:
        app.config["SECRET_KEY"] = old_secret
    assert (again.status_code, again.headers["Location"]) == (303, "/e/no-email")
    assert shown == ["You're going!", "You had already sent this RSVP. Its private link can't be shown again: "
                                      "ask the organizers if you need to change it."]
    assert rsvp_count() == 1


def test_answer_pages_tell_the_script_to_forget_the_sent_form(client, event):
    submit(client, event, email="amina@example.org", submission_key=SUBMISSION_KEY)
    html = client.get("/e/lmc/rsvp/thanks").get_data(as_text=True)
    assert "data-rsvp-answered" in html and "/static/js/rsvp.js" in html
    html = client.get(path_of(last_link("amina@example.org", "/r/"))).get_data(as_text=True)
    assert "data-rsvp-answered" in html and "/static/js/rsvp.js" in html


@pytest.mark.parametrize("key", ["too-short", "no spaces allowed in the key 0123", "k" * 65])
def test_a_malformed_submission_key_is_a_clear_400_and_nothing_is_kept(client, event, key):
    response = submit(client, event, email="amina@example.org", submission_key=key)
    assert response.status_code == 400
    assert "That request could not be matched. Reload the page and try again." in response.get_data(as_text=True)
    assert 'value="amina@example.org"' in response.get_data(as_text=True)  # what was typed comes back
    assert rsvp_count() == 0


def test_the_key_with_someone_elses_name_is_refused_and_the_first_rsvp_is_untouched(client, event):
    submit(client, event, email="amina@example.org", submission_key=SUBMISSION_KEY)
    response = submit(client, event, name="Bilal", email="bilal@example.org", submission_key=SUBMISSION_KEY)
    assert response.status_code == 400
    assert "Reload the page and try again." in response.get_data(as_text=True)
    assert [r.name for r in db.session.scalars(select(Rsvp))] == ["Amina"]


def test_the_duplicate_email_leads_to_a_new_link_only_when_its_owner_asks(client, event):
    submit(client, event, email="amina@example.org")
    old_path = path_of(last_link("amina@example.org", "/r/"))
    submit(client, event, email="amina@example.org", name="Someone else")
    new_link_path = path_of(last_link("amina@example.org", "/r/new-link/"))
    assert client.get(old_path).status_code == 200  # the saved link still works

    response, html = page(client, new_link_path)
    assert response.status_code == 200 and "Get a new private link?" in html and "Solidarity with Homs" in html
    assert client.get(old_path).status_code == 200  # opening the email's address (a mail scanner) changes nothing
    assert client.post(new_link_path, data={}).status_code == 400  # no CSRF token

    response = client.post(new_link_path, data={"csrf_token": token_for(client, new_link_path)})
    assert response.status_code == 303 and response.headers["Location"].startswith("/r/")
    assert "This is your new private link." in flashes(client)[0]
    assert client.get(response.headers["Location"]).status_code == 200
    assert client.get(old_path).status_code == 404
    # Used once: the address now says the link doesn't work, like any replaced link.
    response, html = page(client, new_link_path)
    assert response.status_code == 404 and "This link doesn't work" in html
    assert client.get("/r/new-link/forged.value").status_code == 404


def test_waitlisted_result_says_the_position(client, campaign):
    full = builders.make_event(campaign, slug="tiny", capacity=1)
    builders.make_rsvp(full)
    builders.make_rsvp(full, status=RsvpStatus.WAITLISTED)
    response = submit(client, full)
    assert flashes(client) == ["You're on the waitlist — position 2."]
    _, html = page(client, response.headers["Location"])
    assert "On the waitlist — position 2" in html
    assert 'class="qr-code"' not in html


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "x" * 10_000}, "name", "Use at most 120 characters."),
        ({"name": ""}, "name", "Tell us your name"),
        ({"email": "amina@"}, "email", "Enter an email address like name@example.org."),
        ({"email": "not an email"}, "email", "Enter an email address like name@example.org."),
        ({"guests": "99"}, "guests", "Choose from 0 to 3 guests."),
        ({"guests": "-1"}, "guests", "Choose from 0 to 3 guests."),
        ({"guests": "lots"}, "guests", "Choose from 0 to 3 guests."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_saved(client, event, fields, field, message):
    response = submit(client, event, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and message in html
    assert 'aria-invalid="true"' in html
    assert rsvp_count() == 0
    assert "Solidarity with Homs" in html  # still the event page, at the panel
    if field == "email":
        assert f'value="{fields["email"]}"' in html  # what was typed is kept


def test_typed_values_are_kept_when_another_field_is_wrong(client, event):
    question = builders.make_question(event, label="Diet?", kind=QuestionKind.TEXT)
    response = submit(client, event, name="Amina Haddad", email="bad@", guests="2",
                      **{f"q_{question.id}": "vegetarian"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Amina Haddad"' in html and 'value="vegetarian"' in html
    assert re.search(r'<option selected value="2">|<option value="2" selected>', html)


def test_missing_csrf_token_is_refused(client, event):
    response = client.post("/e/lmc/rsvp", data={"name": "Amina"})
    assert response.status_code == 400
    assert rsvp_count() == 0


@pytest.mark.parametrize("token", ["", "forged-token"])
def test_without_a_valid_token_the_form_comes_back_filled_in_with_a_token_and_one_more_press_sends_it(
        client, event, token):
    """A phone without JavaScript got the shared event page, which has no token."""
    fields = {"name": "Amina Haddad", "email": "amina@example.org", "guests": "1"}
    response = client.post("/e/lmc/rsvp", data={"csrf_token": token, **fields}, headers=SAME_ORIGIN)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert rsvp_count() == 0
    assert "press the button again to send your RSVP" in html
    assert 'value="Amina Haddad"' in html and 'value="amina@example.org"' in html
    assert "Please correct the highlighted fields" not in html
    again = client.post("/e/lmc/rsvp", data={"csrf_token": csrf_from(html), **fields})
    assert again.status_code == 303
    assert rsvp_count() == 1


def test_without_javascript_the_page_sent_again_after_a_lost_answer_is_answered_as_the_first(client, event):
    """The one-more-press page is this person's own, so it carries a key of its own; the browser sends
    the very same form again when the answer to it was lost (a reload, "send again")."""
    fields = {"name": "Amina Haddad", "email": "", "guests": "1"}
    html = client.post("/e/lmc/rsvp", data={"csrf_token": "", **fields}, headers=SAME_ORIGIN).get_data(as_text=True)
    key = submission_key_from(html)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", key)
    sent = {"csrf_token": csrf_from(html), "submission_key": key, **fields}
    first, again = client.post("/e/lmc/rsvp", data=sent), client.post("/e/lmc/rsvp", data=sent)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]  # the same private link, given again
    assert first.headers["Location"].startswith("/r/")
    assert rsvp_count() == 1
    # Another one-more-press page is another form: its key is new.
    other = client.post("/e/lmc/rsvp", data={"csrf_token": "", **fields}, headers=SAME_ORIGIN)
    assert submission_key_from(other.get_data(as_text=True)) not in {"", key}


@pytest.mark.parametrize(("sent", "kept"), [(SUBMISSION_KEY, True), ("not a key!", False), ("", False)])
def test_a_sending_refused_for_its_token_comes_back_with_its_own_key(client, event, sent, kept):
    """Its session ended, say: nothing was stored for it, but an earlier sending of the same form may have been."""
    response = client.post("/e/lmc/rsvp", data={"csrf_token": "forged-token", "name": "Amina",
                                                "submission_key": sent}, headers=SAME_ORIGIN)
    assert "press the button again" in response.get_data(as_text=True)
    key = submission_key_from(response.get_data(as_text=True))
    assert (key == sent) is kept
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,64}", key)


def test_a_page_with_mistakes_gets_a_new_key_not_the_one_sent(client, event):
    """A form refused for what it said stored nothing; the corrected one is a new sending."""
    response = submit(client, event, name="", submission_key=SUBMISSION_KEY)
    assert response.status_code == 400
    assert submission_key_from(response.get_data(as_text=True)) not in {"", SUBMISSION_KEY}


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site"},
    {"Origin": "https://evil.example"},
    {"Referer": "https://evil.example/page"},
    {},  # a browser that says nothing about where the form was
])
def test_a_tokenless_post_from_elsewhere_is_refused_without_showing_what_it_sent(client, event, headers):
    fields = {"name": "Chosen By Attacker", "email": "victim@example.org"}
    response = client.post("/e/lmc/rsvp", data={"csrf_token": "", **fields}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please try again" in html and "Chosen By Attacker" not in html and "victim@example.org" not in html
    assert 'name="csrf_token"' not in html and rsvp_count() == 0


@pytest.mark.parametrize("headers", [{"Origin": "http://localhost"}, {"Referer": "http://localhost/e/lmc"}])
def test_an_older_browser_on_our_page_is_recognised_by_origin_or_referer(client, event, headers):
    response = client.post("/e/lmc/rsvp", data={"csrf_token": "", "name": "Amina"}, headers=headers)
    assert "press the button again" in response.get_data(as_text=True)


def test_without_a_token_and_with_a_mistake_the_page_asks_only_to_correct_it(client, event):
    response = client.post("/e/lmc/rsvp", data={"csrf_token": "", "name": "", "email": "amina@"},
                           headers=SAME_ORIGIN)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please correct the highlighted fields" in html and "press the button again" not in html
    assert csrf_from(html)  # the corrected form will carry a token


def test_a_token_from_another_session_is_refused(client, app, event):
    stranger = app.test_client()
    stolen = stranger.get("/csrf-token").get_json()["csrf_token"]
    client.get("/csrf-token")
    response = client.post("/e/lmc/rsvp", data={"csrf_token": stolen, "name": "Amina"})
    assert response.status_code == 400
    assert rsvp_count() == 0


def test_answers_to_questions_that_dont_exist_are_refused(client, event, campaign):
    other = builders.make_event(campaign)
    foreign = builders.make_question(other)
    for key in ("q_999999", f"q_{foreign.id}", "q_nonsense"):
        response = submit(client, event, **{key: "yes"})
        assert response.status_code == 400
    assert rsvp_count() == 0
    assert db.session.scalar(select(func.count(Answer.id))) == 0


def test_question_answers_are_validated(client, event):
    required = builders.make_question(event, label="Step-free?", kind=QuestionKind.YES_NO, required=True)
    choice = builders.make_question(event, label="Help with?", kind=QuestionKind.CHOICE,
                                    choices="Stewarding\nLeafleting")
    response = submit(client, event)
    assert response.status_code == 400 and "Please answer this question." in response.get_data(as_text=True)
    response = submit(client, event, **{f"q_{required.id}": "yes", f"q_{choice.id}": "Cooking"})
    assert response.status_code == 400 and "Choose one of the options." in response.get_data(as_text=True)
    assert rsvp_count() == 0
    response = submit(client, event, **{f"q_{required.id}": "no", f"q_{choice.id}": "Leafleting"})
    assert response.status_code == 303
    saved = {a.question_id: a.value for a in db.session.scalar(select(Rsvp)).answers}
    assert saved == {required.id: "no", choice.id: "Leafleting"}


def test_honeypot_looks_like_success_and_keeps_nothing(client, event):
    response = submit(client, event, website="http://spam.example")
    assert response.status_code == 303 and response.headers["Location"] == "/e/lmc/rsvp/thanks"
    assert rsvp_count() == 0


def test_closed_rsvps_answer_with_the_reason(client, campaign):
    late = builders.make_event(campaign, slug="late")
    token = event_page_token(client, late)
    late.rsvp_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post("/e/late/rsvp", data={"csrf_token": token, "name": "Amina"})
    assert response.status_code == 409
    assert "RSVPs closed on" in response.get_data(as_text=True)
    assert rsvp_count() == 0


def test_drafts_and_unknown_events_are_404(client, campaign):
    builders.make_event(campaign, slug="draft", status=EventStatus.DRAFT)
    token = token_for(client, "/auth/login")
    for slug in ("draft", "nope"):
        assert client.post(f"/e/{slug}/rsvp", data={"csrf_token": token, "name": "A"}).status_code == 404
        assert client.get(f"/e/{slug}/calendar.ics").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 0


def test_nul_bytes_never_reach_the_database(client, event):
    question = builders.make_question(event, label="Diet?", kind=QuestionKind.TEXT)
    response = submit(client, event, name="Ami\x00na", **{f"q_{question.id}": "ve\x00gan"})
    assert response.status_code in (303, 400)  # refused, or stored without the NUL
    for value in db.session.scalars(select(Rsvp.name)).all() + db.session.scalars(select(Answer.value)).all():
        assert "\x00" not in value


def test_without_javascript_a_sending_over_the_rate_limit_keeps_its_key(database_url):
    """The node died after storing it; the reload came while the hall's network was over the limit. The 429
    page asks to press again: that press must send the same key, or it would store the RSVP twice."""
    was_enabled = limiter.enabled
    limited = make_test_app(database_url, RATELIMIT_ENABLED=True, RSVP_RATE_LIMIT="1 per minute",
                            WTF_CSRF_ENABLED=False)
    try:
        with limited.app_context():
            campaign = builders.make_campaign(owner=builders.make_user())
            builders.make_event(campaign, slug="busy-hall", email_policy="optional")
            client = limited.test_client()
            sent = {"name": "Amina Haddad", "email": "", "submission_key": SUBMISSION_KEY}
            first = client.post("/e/busy-hall/rsvp", data=sent)  # taken; its answer is lost
            refused = client.post("/e/busy-hall/rsvp", data=sent)
            assert (first.status_code, refused.status_code) == (303, 429)
            assert submission_key_from(refused.get_data(as_text=True)) == SUBMISSION_KEY
            limiter.reset()  # a minute later: the press the page asks for
            again = client.post("/e/busy-hall/rsvp", data=sent)
            assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
            assert rsvp_count() == 1
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.reset()
        limiter.enabled = was_enabled


def test_rate_limit_gives_a_friendly_429(database_url):
    was_enabled = limiter.enabled  # the limiter is one object shared by every app in this process
    limited = make_test_app(database_url, RATELIMIT_ENABLED=True, RSVP_RATE_LIMIT="2 per minute",
                            WTF_CSRF_ENABLED=False)
    try:
        with limited.app_context():
            campaign = builders.make_campaign(owner=builders.make_user())
            builders.make_event(campaign, slug="busy")
            client = limited.test_client()
            codes = [client.post("/e/busy/rsvp", data={"name": f"P{i}"}).status_code for i in range(3)]
            assert codes == [303, 303, 429]
            response = client.post("/e/busy/rsvp", data={"name": "Person four"})
            html = response.get_data(as_text=True)
            # The event page again, with what was typed and why it wasn't taken.
            assert response.status_code == 429 and "<html" in html
            assert "Too many RSVPs came from your network" in html and 'value="Person four"' in html
            assert client.get("/e/busy").status_code == 200  # only submitting is limited
            db.session.remove()
            db.engine.dispose()
    finally:
        limiter.reset()
        limiter.enabled = was_enabled


# --- The private link --------------------------------------------------------------------------

def test_bad_token_is_a_404_that_explains_links_get_replaced(client):
    response, html = page(client, "/r/" + "x" * 43)
    assert response.status_code == 404
    assert "Use the link in your most recent email" in html


def test_change_guests_and_answers(client, event):
    question = builders.make_question(event, label="Diet?", kind=QuestionKind.TEXT)
    _, token, _ = builders.make_rsvp(event, name="Amina")
    path = f"/r/{token}"
    response = client.post(path, data={"csrf_token": token_for(client, path), "guests": "2",
                                       f"q_{question.id}": "halal"})
    assert response.status_code == 303 and response.headers["Location"] == path
    saved = db.session.scalar(select(Rsvp))
    db.session.refresh(saved)
    assert saved.guests == 2 and [a.value for a in saved.answers] == ["halal"]
    _, html = page(client, path)
    assert "Your changes are saved." in html and "halal" in html


def test_growing_beyond_the_free_places_is_refused_with_a_clear_message(client, campaign):
    small = builders.make_event(campaign, capacity=3, max_guests=3)
    _, token, _ = builders.make_rsvp(small, name="Amina")
    builders.make_rsvp(small, name="Bilal")
    path = f"/r/{token}"
    response = client.post(path, data={"csrf_token": token_for(client, path), "guests": "3"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Only 1 more place is left. You can bring at most 1 guest now." in html
    assert db.session.scalar(select(Rsvp).where(Rsvp.name == "Amina")).guests == 0


def test_manage_post_refuses_bad_input(client, event):
    _, token, _ = builders.make_rsvp(event)
    path = f"/r/{token}"
    assert client.post(path, data={"guests": "1"}).status_code == 400  # no CSRF token
    assert client.post(path, data={"csrf_token": token_for(client, path), "guests": "42"}).status_code == 400
    assert client.post(path, data={"csrf_token": token_for(client, path), "q_424242": "x"}).status_code == 400
    assert db.session.scalar(select(Rsvp)).guests == 0


def test_cancel_asks_first_then_cancels_and_promotes(client, campaign):
    tiny = builders.make_event(campaign, capacity=1)
    _, token, _ = builders.make_rsvp(tiny, name="Amina")
    waiting, _, _ = builders.make_rsvp(tiny, name="Bilal", status=RsvpStatus.WAITLISTED)
    path = f"/r/{token}/cancel"
    response, html = page(client, path)
    assert response.status_code == 200 and "Cancel your RSVP?" in html
    assert db.session.scalar(select(Rsvp).where(Rsvp.name == "Amina")).status is RsvpStatus.GOING
    assert client.post(path, data={}).status_code == 400  # no CSRF: nothing happens
    response = client.post(path, data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303 and response.headers["Location"] == f"/r/{token}"
    db.session.expire_all()
    assert db.session.get(Rsvp, waiting.id).status is RsvpStatus.GOING
    _, html = page(client, f"/r/{token}")
    assert "rsvp-status--cancelled" in html and "Changed your mind? RSVP again" in html


def test_delete_erases_everything_and_the_link_dies(client, event):
    _, token, _ = builders.make_rsvp(event)
    path = f"/r/{token}/delete"
    response, html = page(client, path)
    assert response.status_code == 200 and "Delete your data?" in html
    response = client.post(path, data={"csrf_token": csrf_from(html)})
    assert response.status_code == 303 and response.headers["Location"] == "/e/lmc"
    assert rsvp_count() == 0
    assert client.get(f"/r/{token}").status_code == 404


# --- Calendar files ----------------------------------------------------------------------------

def test_event_calendar_file(client, event):
    response = client.get("/e/lmc/calendar.ics")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="lmc.ics"' in response.headers["Content-Disposition"]
    assert "BEGIN:VTIMEZONE" in body and "TZID:Europe/London" in body
    assert "DTSTART;TZID=Europe/London:" in body
    assert "SUMMARY:Solidarity with Homs" in body
    unfolded = body.replace("\r\n ", "")
    assert "LOCATION:London Muslim Centre\\, 46 Whitechapel Road\\, London\\, United Kingdom" in unfolded
    assert "URL:http://localhost/e/lmc" in body
    assert "STATUS:CONFIRMED" in body


def test_event_calendar_in_another_zone_and_cancelled(client, campaign):
    builders.make_event(campaign, slug="beirut", timezone="Asia/Beirut", status=EventStatus.CANCELLED)
    body = client.get("/e/beirut/calendar.ics").get_data(as_text=True)
    assert "DTSTART;TZID=Asia/Beirut:" in body and "TZID:Asia/Beirut" in body
    assert "STATUS:CANCELLED" in body


def test_campaign_feed_lists_upcoming_public_events_only(client, campaign):
    builders.make_event(campaign, slug="soon", title="Soon")
    builders.make_event(campaign, slug="called-off", title="Called off", status=EventStatus.CANCELLED)
    builders.make_event(campaign, slug="secret", title="Unlisted one", visibility=Visibility.UNLISTED)
    builders.make_event(campaign, slug="draft", title="Draft one", status=EventStatus.DRAFT)
    builders.make_event(campaign, slug="old", title="Past one", starts_at=utcnow() - timedelta(days=30))
    # Announced well ahead: on the campaign page, so in the feed too.
    builders.make_event(campaign, slug="next-year", title="Anniversary", starts_at=utcnow() + timedelta(days=500))
    other = builders.make_campaign(owner=builders.make_user())
    builders.make_event(other, slug="elsewhere", title="Other campaign")
    response = client.get("/c/syria-solidarity/calendar.ics")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "X-WR-CALNAME:Syria Solidarity" in body
    assert body.count("BEGIN:VEVENT") == 3
    assert "SUMMARY:Soon" in body and "SUMMARY:Called off" in body and "SUMMARY:Anniversary" in body
    assert "Anniversary" in client.get("/c/syria-solidarity").get_data(as_text=True)
    assert client.get("/c/nope/calendar.ics").status_code == 404


# --- Organizers --------------------------------------------------------------------------------

@pytest.fixture
def busy_event(campaign):
    event = builders.make_event(campaign, slug="busy", capacity=2, max_guests=3)
    question = builders.make_question(event, label="Step-free?", kind=QuestionKind.YES_NO)
    db.session.refresh(event)
    for name, guests in (("Amina", 1), ("Bilal", 0), ("Carla", 2)):
        rsvps.create_rsvp(event, name=name, guests=guests, email=f"{name.lower()}@example.org",
                          answers={question.id: "yes"})
        db.session.commit()
    rsvps.cancel_rsvp(db.session.scalar(select(Rsvp).where(Rsvp.name == "Bilal")))
    db.session.commit()
    return event


def test_a_long_list_comes_in_pages_and_a_search_finds_anyone(client, login, campaign, owner):
    from sqlalchemy import insert

    event = builders.make_event(campaign, slug="big")
    db.session.execute(insert(Rsvp), [
        {"event_id": event.id, "name": f"Person {index:03d}", "search_name": f"person {index:03d}",
         "email": f"p{index:03d}@example.org", "email_normalized": f"p{index:03d}@example.org",
         "status": RsvpStatus.GOING, "manage_token_hash": f"m{index:063d}", "ticket_token_hash": f"t{index:063d}"}
        for index in range(103)
    ])
    db.session.commit()
    login(owner)
    url = f"/manage/e/{event.id}/rsvps"
    response, html = page(client, url)
    assert response.status_code == 200
    assert "Person 000" in html and "Person 099" in html and "Person 100" not in html
    assert "1–100 of 103" in html and f'href="{url}?page=2"' in html and 'rel="prev"' not in html
    response, html = page(client, f"{url}?page=2")
    assert "Person 100" in html and "Person 102" in html and "Person 099" not in html
    assert "101–103 of 103" in html and 'rel="next"' not in html
    token = csrf_from(html)
    html = client.post(url, data={"csrf_token": token, "q": "p101@"}).get_data(as_text=True)
    assert "Person 101" in html and "Person 000" not in html and "1–1 of 1" not in html  # one page: no pager
    html = client.post(url, data={"csrf_token": token, "q": "nobody", "status": "waitlisted"}).get_data(as_text=True)
    assert "Nobody matches “nobody”." in html
    for odd in ("page=0", "page=-3", "page=abc", "page=99999999999", "page=9999", "page=%C2%B2"):
        assert client.get(f"{url}?{odd}").status_code == 200
    assert client.get(f"{url}?q=%00").status_code == 400  # the input checks refuse NUL everywhere
    assert client.post(url, data={"csrf_token": token, "q": "a\x00b"}).status_code == 400


def test_the_list_shows_totals_answers_and_status(client, login, busy_event, owner):
    login(owner)
    response, html = page(client, f"/manage/e/{busy_event.id}/rsvps")
    assert response.status_code == 200
    for name in ("Amina", "Bilal", "Carla"):
        assert name in html
    assert "Promote anyway (3 over capacity)" in html  # Carla's party of 3, no place left
    assert "amina@example.org" in html and "Yes" in html
    stats = dict(re.findall(r'stat__label">([^<]+)</dt><dd class="stat__value">(\d+)', html))
    assert stats == {"Going (people)": "2", "Going RSVPs": "1", "Guests": "1", "Waitlisted": "1",
                     "Cancelled": "1", "Places left": "0"}


def test_the_list_filters_by_status(client, login, busy_event, owner):
    login(owner)
    _, html = page(client, f"/manage/e/{busy_event.id}/rsvps?status=waitlisted")
    table = html.split("<tbody>")[1]
    assert "Carla" in table and "Amina" not in table and "Bilal" not in table
    _, html = page(client, f"/manage/e/{busy_event.id}/rsvps?status=bogus")
    assert all(name in html.split("<tbody>")[1] for name in ("Amina", "Bilal", "Carla"))


def test_coordinators_see_the_list_but_no_buttons(client, login, busy_event, campaign):
    coordinator = builders.make_user()
    builders.make_membership(campaign, coordinator, Role.COORDINATOR)
    login(coordinator)
    response, html = page(client, f"/manage/e/{busy_event.id}/rsvps")
    assert response.status_code == 200 and "Carla" in html
    assert "/remove" not in html and "/promote" not in html
    carla = db.session.scalar(select(Rsvp).where(Rsvp.name == "Carla"))
    token = csrf_from(html)  # the sign-out form carries one
    response = client.post(f"/manage/e/{busy_event.id}/rsvps/{carla.id}/promote", data={"csrf_token": token})
    assert response.status_code == 404


def test_remove_asks_then_removes_and_promotes(client, login, busy_event, owner):
    login(owner)
    amina = db.session.scalar(select(Rsvp).where(Rsvp.name == "Amina"))
    path = f"/manage/e/{busy_event.id}/rsvps/{amina.id}/remove"
    token = token_for(client, f"/manage/e/{busy_event.id}/rsvps")
    response = client.post(path, data={"csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Remove <bdi>Amina</bdi>'s RSVP?" in html.replace("&#39;", "'")
    assert db.session.get(Rsvp, amina.id) is not None
    response = client.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Rsvp, amina.id) is None
    # 2 places are free now, but Carla's party of 3 still doesn't fit: she keeps waiting.
    assert db.session.scalar(select(Rsvp).where(Rsvp.name == "Carla")).status is RsvpStatus.WAITLISTED
    assert capacity.summary(busy_event).places_left == 2
    assert flashes(client) == ["Amina's RSVP was removed."]


def test_removing_someone_going_promotes_who_fits(client, login, campaign, owner):
    event = builders.make_event(campaign, capacity=1)
    amina, _, _ = builders.make_rsvp(event, name="Amina")
    bilal, _, _ = builders.make_rsvp(event, name="Bilal", status=RsvpStatus.WAITLISTED)
    login(owner)
    token = token_for(client, f"/manage/e/{event.id}/rsvps")
    response = client.post(f"/manage/e/{event.id}/rsvps/{amina.id}/remove", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Rsvp, bilal.id).status is RsvpStatus.GOING
    assert db.session.get(Rsvp, amina.id) is None
    assert flashes(client) == ["Amina's RSVP was removed."]
    assert last_link("bilal@example.org", "/r/")  # told they are going now


def test_promote_by_hand_warns_when_over_capacity(client, login, busy_event, owner):
    login(owner)
    carla = db.session.scalar(select(Rsvp).where(Rsvp.name == "Carla"))
    token = token_for(client, f"/manage/e/{busy_event.id}/rsvps")
    response = client.post(f"/manage/e/{busy_event.id}/rsvps/{carla.id}/promote", data={"csrf_token": token})
    assert response.status_code == 303
    assert flashes(client) == ["Carla is going now. The event is 3 over capacity."]
    assert last_link("carla@example.org", "/r/")


def test_nested_ids_of_another_event_are_404(client, login, busy_event, owner, campaign):
    login(owner)
    other = builders.make_event(campaign)
    stranger, _, _ = builders.make_rsvp(other, status=RsvpStatus.WAITLISTED)
    token = token_for(client, f"/manage/e/{busy_event.id}/rsvps")
    for action in ("remove", "promote"):
        response = client.post(f"/manage/e/{busy_event.id}/rsvps/{stranger.id}/{action}",
                               data={"csrf_token": token, "confirm": "yes"})
        assert response.status_code == 404
    assert db.session.get(Rsvp, stranger.id).status is RsvpStatus.WAITLISTED


def test_the_list_takes_a_fixed_number_of_queries(client, login, campaign, owner):
    event = builders.make_event(campaign, capacity=None, max_guests=3)
    question = builders.make_question(event, label="Diet?", kind=QuestionKind.TEXT)
    login(owner)
    path = f"/manage/e/{event.id}/rsvps"

    def queries_for_page() -> int:
        count = 0

        def count_it(*args, **kwargs):
            nonlocal count
            count += 1

        sa_event.listen(db.engine, "before_cursor_execute", count_it)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count_it)
        return count

    queries_for_page()  # the day's first look writes (and commits) its access-log entry: a constant, not per row
    for index in range(3):
        builders.make_rsvp(event, name=f"Early{index}")
    few = queries_for_page()
    for index in range(30):
        rsvp, _, _ = builders.make_rsvp(event, name=f"Later{index}")
        db.session.add(Answer(rsvp_id=rsvp.id, question_id=question.id, value="vegan"))
    db.session.commit()
    assert queries_for_page() == few


def test_a_cancelled_event_shows_no_ticket_and_no_cancel_button(client, event, owner):
    from organizer.services.events import events as event_service

    _, token, _ = builders.make_rsvp(event)
    event_service.cancel_event(owner, event)
    db.session.commit()
    response, html = page(client, f"/r/{token}")
    assert response.status_code == 200
    assert "RSVPs are closed: this event was cancelled." in html
    assert 'class="qr-code"' not in html and "Cancel my RSVP" not in html
    assert "Delete my data" in html
