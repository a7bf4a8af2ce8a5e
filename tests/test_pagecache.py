"""Public-page caching: rendered once per PUBLIC_CACHE_SECONDS per process for anonymous visitors;
those without a session all get the same public page with no token in it, those with one get a
CSRF token of their own; nothing personal is ever stored or served."""

from __future__ import annotations

import re

import pytest
from flask import abort, flash, redirect, render_template_string

from organizer import pagecache
from organizer.extensions import db
from organizer.services.common.errors import ValidationFailed
from organizer.services.common.validation import clean_client_key
from organizer.services.rsvp.sent_again import KEY_MIN_LENGTH
from organizer.views_common import EmptyForm
from tests.builders import make_user
from tests.conftest import make_test_app
from tests.security.helpers import csrf_secret_of, submission_key_from

PAGE = """{% extends "base.html" %}{% block content %}
<p id="render">render {{ n }}</p>
<form method="post" action="/_cache/post">{{ form.csrf_token }}
<input name="submission_key" type="hidden" value="{{ page_submission_key() }}"><button>Go</button></form>
{% endblock %}"""


KEY_ONLY_PAGE = """<form method="post"><input name="submission_key" type="hidden" value="{{ page_submission_key() }}">
</form>"""


@pytest.fixture(scope="module")
def cache_app(database_url):
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=60)
    renders: list[str] = []

    @app.get("/_cache/<name>")
    def page(name):
        def render():
            if name == "missing":
                abort(404)
            renders.append(name)
            return render_template_string(PAGE, n=len(renders), form=EmptyForm())

        return pagecache.cached_page(("test", name), render)

    @app.get("/_cache_key_only/<name>")
    def key_only_page(name):
        def render():
            renders.append(name)
            return render_template_string(KEY_ONLY_PAGE)

        return pagecache.cached_page(("test-key-only", name), render)

    @app.post("/_cache/post")
    def post():
        return ("ok", 200) if EmptyForm().validate_on_submit() else ("refused", 400)

    @app.get("/_cache/flash")
    def add_flash():
        flash("Saved for you alone.", "success")
        return redirect("/_cache/flashed")

    app.renders = renders
    yield app
    dispose(app)


def dispose(app) -> None:
    """Close this app's own connection pool (psycopg warns about connections left open)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def empty_cache(cache_app):
    cache_app.extensions["page_cache"].clear()
    cache_app.extensions["shared_cache"].clear()
    cache_app.renders.clear()
    yield
    cache_app.extensions["page_cache"].clear()


def token_of(response) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"',
                      response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(1) or match.group(2)


def key_of(response) -> str:
    return submission_key_from(response.get_data(as_text=True))


def with_session(app):
    """A visitor who has a session: what rsvp.js's token request gives them."""
    client = app.test_client()
    token = client.get("/csrf-token").get_json()["csrf_token"]
    return client, token


def test_visitors_without_a_session_share_one_public_page_with_no_token_and_no_cookie(cache_app):
    first, second = cache_app.test_client(), cache_app.test_client()
    page_one = first.get("/_cache/event")
    page_two = second.get("/_cache/event", headers={"Cookie": "unrelated=1"})
    assert page_one.status_code == page_two.status_code == 200
    assert cache_app.renders == ["event"]
    assert page_one.get_data() == page_two.get_data()
    assert 'name="csrf_token" type="hidden" value=""' in page_one.get_data(as_text=True)
    assert "placeholder" not in page_one.get_data(as_text=True)
    assert "Set-Cookie" not in page_one.headers
    assert page_one.cache_control.public and page_one.cache_control.max_age == 60
    assert {"Cookie", "Accept-Language"} <= set(page_one.vary)
    assert page_one.headers["ETag"]
    # A form sent from that page is refused: the token still has to come from a session.
    assert first.post("/_cache/post", data={"csrf_token": ""}).status_code == 400


def test_a_conditional_request_for_the_public_page_gets_304(cache_app):
    etag = cache_app.test_client().get("/_cache/event").headers["ETag"]
    again = cache_app.test_client().get("/_cache/event", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_visitors_with_a_session_each_get_their_own_valid_token_and_no_store(cache_app):
    (first, token_one), (second, token_two) = with_session(cache_app), with_session(cache_app)
    page_one = first.get("/_cache/event")
    page_two = second.get("/_cache/event")
    assert cache_app.renders == ["event"]
    assert csrf_secret_of(token_of(page_one)) == csrf_secret_of(token_one)
    assert csrf_secret_of(token_of(page_two)) == csrf_secret_of(token_two)
    assert token_one != token_two
    assert page_two.headers["Cache-Control"] == "no-store"
    assert "placeholder" not in page_two.get_data(as_text=True)
    # Each token works in its own session only: CSRF is as strict as without the cache.
    assert second.post("/_cache/post", data={"csrf_token": token_one}).status_code == 400
    assert first.post("/_cache/post", data={"csrf_token": token_one}).status_code == 200
    assert second.post("/_cache/post", data={"csrf_token": token_two}).status_code == 200


def test_the_form_key_is_empty_in_the_shared_page_and_fresh_in_each_visitors_own(cache_app):
    """So that a browser without JavaScript, sending its own page again, sends the same key (rsvp/views.py)."""
    shared = cache_app.test_client().get("/_cache/event")
    assert key_of(shared) == ""
    (first, _token), (second, _other) = with_session(cache_app), with_session(cache_app)
    keys = [key_of(first.get("/_cache/event")), key_of(second.get("/_cache/event")),
            key_of(first.get("/_cache/event"))]
    assert cache_app.renders == ["event"]  # one render, stored with the placeholder, each key put in after
    assert len(set(keys)) == 3 and all(re.fullmatch(r"[A-Za-z0-9_-]{22}", key) for key in keys), keys
    assert "placeholder" not in first.get("/_cache/event").get_data(as_text=True)


def test_a_stored_page_with_a_form_key_but_no_token_gets_its_key_filled_in_too(cache_app):
    personal, _token = with_session(cache_app)
    first, second = personal.get("/_cache_key_only/a"), personal.get("/_cache_key_only/a")
    assert cache_app.renders == ["a"]
    assert key_of(first) != key_of(second) and "placeholder" not in first.get_data(as_text=True)
    assert key_of(cache_app.test_client().get("/_cache_key_only/a")) == ""


def test_the_key_placeholder_could_never_be_taken_for_a_key(cache_app):
    """Were it ever sent, the RSVP would be refused as malformed rather than matched with anyone's."""
    placeholder = cache_app.extensions["page_cache_key_placeholder"]
    assert placeholder != cache_app.extensions["page_cache_placeholder"]
    with pytest.raises(ValidationFailed):
        clean_client_key(placeholder, min_length=KEY_MIN_LENGTH, field="submission_key")


def test_a_returning_visitor_keeps_the_token_of_their_session(cache_app):
    visitor, token = with_session(cache_app)
    again = visitor.get("/_cache/event")
    assert csrf_secret_of(token_of(again)) == csrf_secret_of(token)
    assert visitor.post("/_cache/post", data={"csrf_token": token}).status_code == 200


def test_signed_in_people_get_their_own_render_which_is_never_stored(cache_app):
    user = make_user(name="Organizer Only Name")
    signed_in = cache_app.test_client()
    with signed_in.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    mine = signed_in.get("/_cache/event").get_data(as_text=True)
    assert "Sign out" in mine
    anonymous = cache_app.test_client().get("/_cache/event").get_data(as_text=True)
    assert "Sign out" not in anonymous
    assert cache_app.renders == ["event", "event"]
    signed_in.get("/_cache/event")
    assert cache_app.renders == ["event", "event", "event"]


def test_a_remember_me_cookie_bypasses_the_cache(cache_app):
    cache_app.test_client().get("/_cache/event")
    remembered = cache_app.test_client()
    remembered.set_cookie("remember_token", "anything")
    remembered.get("/_cache/event")
    assert cache_app.renders == ["event", "event"]


def test_a_flash_message_is_shown_to_its_visitor_only(cache_app):
    cache_app.test_client().get("/_cache/flashed")
    visitor = cache_app.test_client()
    visitor.get("/_cache/flash")
    page = visitor.get("/_cache/flashed").get_data(as_text=True)
    assert "Saved for you alone." in page
    assert cache_app.renders == ["flashed", "flashed"]
    assert "Saved for you alone." not in cache_app.test_client().get("/_cache/flashed").get_data(as_text=True)


def test_pages_expire_after_public_cache_seconds(cache_app, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(cache_app.extensions["page_cache"], "clock", lambda: now[0])
    client, _ = with_session(cache_app)  # past organizer.sharedcache, which keeps its own clock
    client.get("/_cache/event")
    now[0] += 59
    client.get("/_cache/event")
    assert cache_app.renders == ["event"]
    now[0] += 2
    assert "render 2" in client.get("/_cache/event").get_data(as_text=True)


def test_errors_are_not_cached_and_keys_are_apart(cache_app):
    client = cache_app.test_client()
    assert client.get("/_cache/missing").status_code == 404
    assert client.get("/_cache/missing").status_code == 404
    client.get("/_cache/one")
    client.get("/_cache/two")
    assert cache_app.renders == ["one", "two"]


def test_no_caching_when_public_cache_seconds_is_zero(database_url):
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=0)
    renders = []

    @app.get("/_nocache")
    def page():
        return pagecache.cached_page("nocache", lambda: renders.append(1) or "page")

    client = app.test_client()
    client.get("/_nocache")
    client.get("/_nocache")
    assert renders == [1, 1]
    dispose(app)
