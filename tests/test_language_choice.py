"""Choosing the language (issue 11.2): Accept-Language, the switcher's cookie, the account setting;
the shared public cache never serves a page in a language someone else chose."""

from __future__ import annotations

import re

import pytest
from werkzeug.test import Client

from organizer import pagecache
from organizer.extensions import db
from organizer.sharedcache import SharedCache
from tests import builders
from tests.conftest import make_test_app
from tests.test_pagecache import dispose


def _html_lang(response) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', response.get_data(as_text=True))
    assert match, "no <html lang dir>"
    return match.group(1), match.group(2)


def test_accept_language_picks_arabic_and_right_to_left(client):
    assert _html_lang(client.get("/", headers={"Accept-Language": "ar-SY,ar;q=0.9,en;q=0.5"})) == ("ar", "rtl")
    assert _html_lang(client.get("/", headers={"Accept-Language": "de-DE"})) == ("en-GB", "ltr")
    assert _html_lang(client.get("/")) == ("en-GB", "ltr")


def test_every_page_has_the_switcher_with_plain_links_back_to_it(client):
    campaign = builders.make_campaign(slug="syria")
    builders.make_event(campaign, slug="lmc")
    page = client.get("/e/lmc").get_data(as_text=True)
    assert 'href="/language/ar?next=/e/lmc"' in page
    assert 'lang="ar" dir="rtl"' in page and "العربية" in page
    assert '<span aria-current="true" lang="en" dir="ltr">English</span>' in page


def test_the_switcher_remembers_the_choice_in_a_cookie_and_goes_back(client):
    response = client.get("/language/ar?next=/e/lmc")
    assert response.status_code == 303
    assert response.headers["Location"] == "/e/lmc"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ar;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    assert response.headers["Cache-Control"] == "no-store"
    # The cookie wins over the browser's Accept-Language, both ways.
    assert _html_lang(client.get("/", headers={"Accept-Language": "en"})) == ("ar", "rtl")
    client.get("/language/en?next=/")
    assert _html_lang(client.get("/", headers={"Accept-Language": "ar"})) == ("en-GB", "ltr")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "", None])
def test_the_switcher_never_sends_anyone_off_site(client, target):
    query = {} if target is None else {"next": target}
    response = client.get("/language/ar", query_string=query)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_a_404_and_sets_nothing(client):
    response = client.get("/language/xx?next=/")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers
    # A forged cookie value is ignored.
    client.set_cookie("lang", "xx")
    assert _html_lang(client.get("/", headers={"Accept-Language": "ar"})) == ("ar", "rtl")


def test_an_organizers_language_is_kept_with_the_account_and_set_on_sign_in(app, client, login, no_csrf):
    user = builders.make_user("amal@example.org")
    login(user)
    page = client.get("/auth/password").get_data(as_text=True)
    assert 'name="locale"' in page
    response = client.post("/auth/language", data={"locale": "ar"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.locale == "ar"
    assert "lang=ar;" in response.headers["Set-Cookie"]
    # On another device (no cookie), the account decides once signed in.
    other = app.test_client()
    login(user, on=other)
    assert _html_lang(other.get("/manage/", headers={"Accept-Language": "en"})) == ("ar", "rtl")
    # Signing in on a new device sets its cookie to the account's language.
    fresh = app.test_client()
    signed_in = fresh.post("/auth/login", data={"email": "amal@example.org", "password": builders.DEFAULT_PASSWORD})
    assert signed_in.status_code == 303 and "lang=ar;" in signed_in.headers["Set-Cookie"]
    # "As my browser says" clears the account's choice and the device's cookie.
    response = client.post("/auth/language", data={"locale": ""})
    db.session.refresh(user)
    assert user.locale == "" and response.headers["Set-Cookie"].startswith("lang=;")


def test_an_unknown_account_language_is_refused(client, login, no_csrf):
    user = builders.make_user()
    login(user)
    response = client.post("/auth/language", data={"locale": "xx"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.locale == ""


# --- The shared public cache keys on the chosen language ------------------------------------------

@pytest.fixture
def cached_app(database_url):
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=30)
    pagecache.clear()
    yield app
    pagecache.clear()
    dispose(app)


def test_a_visitor_never_gets_the_cached_page_in_someone_elses_language(cached_app):
    campaign = builders.make_campaign(slug="syria")
    builders.make_event(campaign, slug="lmc")
    english_first = cached_app.test_client().get("/e/lmc", headers={"Accept-Language": "en"})
    assert english_first.headers["Cache-Control"].startswith("public")
    # Same Accept-Language, but this visitor chose Arabic on the switcher.
    chooser = cached_app.test_client()
    chooser.set_cookie("lang", "ar")
    assert _html_lang(chooser.get("/e/lmc", headers={"Accept-Language": "en"})) == ("ar", "rtl")
    # And the Arabic copy now cached is not served to the English visitor, nor the other way round.
    assert _html_lang(cached_app.test_client().get("/e/lmc", headers={"Accept-Language": "en"})) == ("en-GB", "ltr")
    english_chooser = cached_app.test_client()
    english_chooser.set_cookie("lang", "en")
    assert _html_lang(english_chooser.get("/e/lmc", headers={"Accept-Language": "ar"})) == ("en-GB", "ltr")
    assert _html_lang(cached_app.test_client().get("/e/lmc", headers={"Accept-Language": "ar"})) == ("ar", "rtl")


class _Origin:
    calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response("200 OK", [("Cache-Control", "public, max-age=5"), ("Vary", "Cookie, Accept-Language")])
        return [environ.get("HTTP_COOKIE", "").encode()]


def test_the_shared_cache_keys_on_the_language_cookie_only():
    origin = _Origin()
    client = Client(SharedCache(origin, private_cookies=("session",), key_cookies=("lang",)))
    client.get("/e/lmc")
    client.set_cookie("lang", "ar")
    assert client.get("/e/lmc").get_data() == b"lang=ar"
    assert origin.calls == 2
    client.set_cookie("theme", "dark")  # any other cookie shares the entry
    assert client.get("/e/lmc").get_data() == b"lang=ar"
    assert origin.calls == 2


def test_an_rsvp_keeps_the_language_its_page_was_read_in(client, no_csrf):
    from sqlalchemy import select

    from organizer.models import Rsvp

    event = builders.make_event(builders.make_campaign(slug="syria"), slug="lmc")
    client.set_cookie("lang", "ar")
    response = client.post("/e/lmc/rsvp", data={"name": "Rasha", "email": "rasha@example.org"})
    assert response.status_code == 303
    english = client.application.test_client()
    english.post("/e/lmc/rsvp", data={"name": "Emma", "email": "emma@example.org"},
                 headers={"Accept-Language": "en-US"})
    rows = dict(db.session.execute(select(Rsvp.name, Rsvp.locale).where(Rsvp.event_id == event.id)).all())
    assert rows == {"Rasha": "ar", "Emma": "en_GB"}
