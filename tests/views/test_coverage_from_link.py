""""Fill from link" on the new-article form, without JavaScript (the button) and with it (JSON)."""

from __future__ import annotations

from html import unescape
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import Coverage
from tests import builders, pageserver
from tests.pageserver import page_server


@pytest.fixture
def owner():
    return builders.make_user(name="Olive Owner")


@pytest.fixture
def campaign(owner):
    return builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")


@pytest.fixture(scope="module")
def server():
    with page_server() as url:
        yield url


@pytest.fixture
def test_server_allowed(app, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_FETCH_TEST_ADDRESSES", frozenset({"127.0.0.1"}))


def body(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_the_button_fills_the_form_and_saves_nothing(client, login, no_csrf, owner, campaign, server,
                                                     test_server_allowed):
    login(owner)
    response = client.post("/manage/c/syria/coverage/new",
                           data={"url": f"{server}/article", "author": "Typed by me", "language": "en",
                                 "published_on": "", "headline": "", "fill": "1"})
    assert response.status_code == 200
    page = body(response)
    assert f'value="{pageserver.HEADLINE}"' in page
    assert f'value="{pageserver.OUTLET}"' in page
    assert 'value="2012-03-03"' in page
    assert pageserver.EXCERPT in page
    assert 'value="en-GB"' in page
    assert 'value="Typed by me"' in page  # what the organizer typed stays
    assert "Filled in from the article" in page
    assert db.session.scalar(select(func.count(Coverage.id))) == 0


def test_a_refused_address_is_a_form_error_that_keeps_what_was_typed(client, login, no_csrf, owner, campaign,
                                                                     server, test_server_allowed):
    login(owner)
    target = quote("http://169.254.169.254/latest/meta-data/", safe="")
    response = client.post("/manage/c/syria/coverage/new",
                           data={"url": f"{server}/redirect?to={target}", "headline": "My own headline",
                                 "fill": "1"})
    assert response.status_code == 400
    page = body(response)
    assert "private or local network" in page
    assert 'value="My own headline"' in page


def test_the_local_server_is_refused_without_the_test_setting(client, login, no_csrf, owner, campaign, server):
    login(owner)
    response = client.post("/manage/c/syria/coverage/new", data={"url": f"{server}/article", "fill": "1"})
    assert response.status_code == 400
    assert "usual web ports (80 and 443)" in body(response)
    response = client.post("/manage/c/syria/coverage/new", data={"url": "http://127.0.0.1/article", "fill": "1"})
    assert response.status_code == 400
    assert "private or local network" in body(response)


def test_the_script_gets_the_fields_as_json(client, login, no_csrf, owner, campaign, server, test_server_allowed):
    login(owner)
    response = client.post("/manage/c/syria/coverage/from-link",
                           data={"url": f"{server}/article", "headline": "", "language": "en"})
    assert response.status_code == 200
    filled = response.get_json()["filled"]
    assert filled["headline"] == pageserver.HEADLINE
    assert filled["published_on"] == "2012-03-03"
    assert filled["author"] == pageserver.AUTHOR

    refused = client.post("/manage/c/syria/coverage/from-link", data={"url": "http://2852039166/"})
    assert refused.status_code == 400
    assert "private or local network" in refused.get_json()["error"]


def test_the_library_shows_each_article_in_its_own_direction(client, login, owner, campaign):
    builders.make_coverage(campaign, headline="السوريون يتحدون الحصار", language="ar")
    builders.make_coverage(campaign, headline="Syrians defy assault", language="en")
    login(owner)
    page = body(client.get("/manage/c/syria/coverage?lang=ar"))
    assert 'lang="ar" dir="rtl"' in page
    assert 'lang="en" dir="ltr"' in page


def test_an_events_add_a_new_article_form_fills_from_a_link_too(client, login, no_csrf, owner, campaign, server,
                                                                 test_server_allowed):
    event = builders.make_event(campaign, title="Solidarity with Homs")
    login(owner)
    # Without JavaScript: the page again, its new-article form filled in, nothing saved or linked.
    page = client.post(f"/manage/e/{event.id}/coverage/new",
                       data={"new-url": f"{server}/article", "new-author": "Typed by me", "new-language": "en",
                             "new-relation": "reported_in", "fill": "1"})
    assert page.status_code == 200
    html = body(page)
    assert f'value="{pageserver.HEADLINE}"' in html and 'value="Typed by me"' in html
    assert "Filled in from the article" in html
    assert db.session.scalar(select(func.count(Coverage.id))) == 0
    # The page's script: the fields by their names on that page (the form's prefix).
    answer = client.post("/manage/c/syria/coverage/from-link?prefix=new", data={"new-url": f"{server}/article"})
    assert answer.status_code == 200
    assert answer.get_json()["filled"]["new-headline"] == pageserver.HEADLINE
    assert client.post("/manage/c/syria/coverage/from-link?prefix=other",
                       data={"other-url": f"{server}/article"}).status_code == 400
    # A refused address: said next to the field, what was typed kept.
    refused = client.post(f"/manage/e/{event.id}/coverage/new",
                          data={"new-url": "http://169.254.169.254/latest/meta-data/", "new-headline": "My own",
                                "fill": "1"})
    assert refused.status_code == 400
    assert "private or local network" in body(refused) and 'value="My own"' in body(refused)
