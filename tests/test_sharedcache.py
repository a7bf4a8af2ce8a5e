"""The shared cache in front of the app: it keeps only public responses to visitors without our
cookies, answers repeats before Flask runs, and never serves one visitor's page to another."""

from __future__ import annotations

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from organizer.sharedcache import MAX_BODY_BYTES, SharedCache, freshness_seconds
from tests import builders
from tests.conftest import make_test_app
from tests.security.helpers import csrf_from, csrf_secret_of
from tests.test_pagecache import dispose

PUBLIC = "public, max-age=5"


class Origin:
    """A WSGI app that answers what each test tells it to, and counts what reaches it."""

    def __init__(self) -> None:
        self.calls = 0
        self.cache_control = PUBLIC
        self.extra_headers: list[tuple[str, str]] = []
        self.status = 200
        self.body = b"page"

    def __call__(self, environ, start_response):
        self.calls += 1
        request = Request(environ)
        response = Response(self.body + f" {self.calls} {request.headers.get('Accept-Language', '')}".encode(),
                            status=self.status, headers=self.extra_headers)
        response.headers["Cache-Control"] = self.cache_control
        response.set_etag(f"v{self.calls}")
        return response(environ, start_response)


@pytest.fixture
def clock():
    return [100.0]


@pytest.fixture
def origin():
    return Origin()


@pytest.fixture
def cached(origin, clock):
    return Client(SharedCache(origin, private_cookies=("session", "remember_token"), clock=lambda: clock[0]))


def test_a_public_response_is_kept_for_its_max_age(cached, origin, clock):
    first = cached.get("/e/lmc")
    clock[0] += 4.9
    second = cached.get("/e/lmc")
    assert origin.calls == 1
    assert second.get_data() == first.get_data()
    assert second.headers["Age"] == "4"
    clock[0] += 0.2
    assert cached.get("/e/lmc").get_data().startswith(b"page 2")


def test_entries_are_apart_by_path_query_host_and_language(cached, origin):
    cached.get("/e/lmc")
    cached.get("/e/lmc?x=1")
    cached.get("/e/lmc", headers={"Host": "other.example"})
    arabic = cached.get("/e/lmc", headers={"Accept-Language": "ar"})
    assert origin.calls == 4
    assert arabic.get_data().endswith(b" ar")
    assert cached.get("/e/lmc", headers={"Accept-Language": "ar"}).get_data() == arabic.get_data()
    assert origin.calls == 4


@pytest.mark.parametrize("cookies", [{"session": "abc"}, {"lang": "en", "session": "abc"}, {"remember_token": "x"}])
def test_requests_with_our_cookies_never_read_from_it(cached, origin, cookies):
    cached.get("/e/lmc")
    for name, value in cookies.items():
        cached.set_cookie(name, value)
    personal = cached.get("/e/lmc")
    assert origin.calls == 2
    assert personal.get_data().startswith(b"page 2")


def test_other_cookies_do_not_matter(cached, origin):
    cached.get("/e/lmc")
    cached.set_cookie("theme", "dark")
    cached.get("/e/lmc")
    assert origin.calls == 1


def test_authorization_and_other_methods_go_to_the_app(cached, origin):
    cached.get("/e/lmc")
    cached.get("/e/lmc", headers={"Authorization": "Bearer x"})
    cached.post("/e/lmc")
    assert origin.calls == 3


@pytest.mark.parametrize("cache_control", ["no-store", "private, max-age=60", "public, no-cache, max-age=5",
                                           "public", "public, max-age=0", "max-age=60"])
def test_only_public_responses_with_a_max_age_are_kept(cached, origin, cache_control):
    origin.cache_control = cache_control
    cached.get("/e/lmc")
    cached.get("/e/lmc")
    assert origin.calls == 2


@pytest.mark.parametrize("headers, status", [
    ([("Set-Cookie", "session=abc")], 200),
    ([("Vary", "User-Agent")], 200),
    ([("Vary", "*")], 200),
    ([], 404),
    ([], 302),
])
def test_responses_that_set_cookies_vary_otherwise_or_are_not_200_are_not_kept(cached, origin, headers, status):
    origin.extra_headers, origin.status = headers, status
    cached.get("/e/lmc")
    cached.get("/e/lmc")
    assert origin.calls == 2


def test_large_bodies_are_passed_on_but_not_kept(cached, origin):
    origin.body = b"x" * (MAX_BODY_BYTES + 1)
    assert len(cached.get("/big").get_data()) > MAX_BODY_BYTES
    cached.get("/big")
    assert origin.calls == 2


def test_a_matching_if_none_match_gets_304_and_head_gets_no_body(cached, origin):
    etag = cached.get("/e/lmc").headers["ETag"]
    not_modified = cached.get("/e/lmc", headers={"If-None-Match": f'"old", {etag}'})
    assert not_modified.status_code == 304 and not_modified.get_data() == b""
    assert "Content-Length" not in not_modified.headers
    assert cached.get("/e/lmc", headers={"If-None-Match": '"old"'}).status_code == 200
    head = cached.head("/e/lmc")
    assert head.status_code == 200 and head.get_data() == b""
    assert origin.calls == 1


def test_a_head_request_never_fills_it(cached, origin):
    cached.head("/e/lmc")
    cached.get("/e/lmc")
    assert origin.calls == 2


@pytest.mark.parametrize("header, seconds", [
    ("public, max-age=5", 5), ("max-age=30, public", 30), ("Public, Max-Age=7", 7),
    ("public, s-maxage=5", 0), ("no-store", 0), ("", 0),
])
def test_freshness_seconds(header, seconds):
    assert freshness_seconds(header) == seconds


# --- The app itself, with PUBLIC_CACHE_SECONDS on -----------------------------------------------

@pytest.fixture
def cached_app(database_url):
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=30)
    reached_flask = []

    @app.before_request
    def count():
        reached_flask.append(1)

    app.reached_flask = reached_flask
    yield app
    dispose(app)


def test_the_event_page_for_visitors_without_a_session_is_served_before_flask(cached_app):
    campaign = builders.make_campaign()
    builders.make_event(campaign, slug="lmc", capacity=400)
    first = cached_app.test_client().get("/e/lmc")
    second = cached_app.test_client().get("/e/lmc")
    assert first.status_code == second.status_code == 200
    assert len(cached_app.reached_flask) == 1
    assert second.get_data() == first.get_data()
    assert 'name="csrf_token" type="hidden" value=""' in second.get_data(as_text=True)
    # Served from the cache with every security header the app set.
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "ETag"):
        assert second.headers[header] == first.headers[header]


def test_signed_in_people_and_visitors_with_a_session_never_get_the_shared_copy(cached_app):
    campaign = builders.make_campaign()
    builders.make_event(campaign, slug="lmc")
    organizer = builders.make_user(name="Organizer Only Name")
    cached_app.test_client().get("/e/lmc")
    signed_in = cached_app.test_client()
    with signed_in.session_transaction() as session:
        session["_user_id"] = organizer.get_id()
        session["_fresh"] = True
    mine = signed_in.get("/e/lmc")
    assert "Sign out" in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "no-store"
    visitor = cached_app.test_client()
    token = visitor.get("/csrf-token").get_json()["csrf_token"]
    assert csrf_secret_of(csrf_from(visitor.get("/e/lmc").get_data(as_text=True))) == csrf_secret_of(token)
    # Neither personal page was stored: a visitor without a session still gets the shared one.
    anonymous = cached_app.test_client().get("/e/lmc").get_data(as_text=True)
    assert "Sign out" not in anonymous and token not in anonymous


def test_pages_that_are_not_public_are_never_kept(cached_app):
    client = cached_app.test_client()
    client.get("/auth/login")
    client.get("/auth/login")
    client.get("/csrf-token")
    assert len(cached_app.reached_flask) == 3


def test_click_ids_added_to_shared_links_share_one_entry_and_other_parameters_do_not(cached, origin):
    cached.get("/e/lmc?fbclid=IwAR1abc")
    cached.get("/e/lmc?fbclid=IwAR2def&utm_source=facebook")
    cached.get("/e/lmc")
    assert origin.calls == 1
    cached.get("/e/lmc?page=2")
    cached.get("/e/lmc?page=2&gclid=xyz")
    assert origin.calls == 2


def test_when_full_the_older_half_goes_and_the_newest_stays(cached, origin):
    cached.application.store.max_entries = 4
    for language in ("a", "b", "c", "d", "e"):
        cached.get("/e/lmc", headers={"Accept-Language": language})
    assert origin.calls == 5
    cached.get("/e/lmc", headers={"Accept-Language": "e"})
    cached.get("/e/lmc", headers={"Accept-Language": "d"})
    assert origin.calls == 5  # still there
    cached.get("/e/lmc", headers={"Accept-Language": "a"})
    assert origin.calls == 6  # the oldest went
