"""Issue 16, item 2 (the app's half): what someone searches for — a supporter's name or email — is
personal data, and a URL ends up in access logs, proxy logs and browser history. So the organizers'
RSVP search and the door search are sent as POST (with the CSRF token), a ``q`` in the query string
is ignored, and no URL the app writes into a page or a redirect carries a search."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert

from organizer.extensions import db
from organizer.models import Rsvp, RsvpStatus
from tests import builders
from tests.security.helpers import csrf_from

# Every URL a page hands to the browser: links, form targets, scripts' data-*-url attributes.
_URLS = re.compile(r'(?:href|action|src|data-[a-z-]*url)="([^"]*)"')


def urls_in(html: str) -> list[str]:
    return _URLS.findall(html)


def assert_no_url_holds(html: str, *needles: str) -> None:
    for url in urls_in(html):
        if url.startswith("mailto:"):
            continue  # the contact column's own links: opened by a mail program, never requested
        for needle in needles:
            assert needle.lower() not in url.lower(), f"{url!r} carries {needle!r}"
        assert "q=" not in url, url


@pytest.fixture
def world():
    team = builders.make_team("door", "organizer")
    event = builders.make_event(team["campaign"], title="Homs meeting", capacity=500)
    amina, _, _ = builders.make_rsvp(event, name="Amina Yusuf", email="amina.private@example.org")
    bilal, _, _ = builders.make_rsvp(event, name="Bilal Haddad", email="bilal@example.org")
    return dict(**team, event=event, amina=amina, bilal=bilal)


def _many(event, count: int) -> None:
    db.session.execute(insert(Rsvp), [
        {"event_id": event.id, "name": f"Person {index:03d}", "search_name": f"person {index:03d}",
         "email": f"p{index:03d}@example.org", "email_normalized": f"p{index:03d}@example.org",
         "status": RsvpStatus.GOING, "manage_token_hash": f"m{index:063d}", "ticket_token_hash": f"t{index:063d}"}
        for index in range(count)
    ])
    db.session.commit()


# --- the organizers' RSVP list ------------------------------------------------------------------

def test_the_rsvp_search_is_a_post_with_csrf_and_finds_by_email(client, login, world):
    login(world["organizer"])
    url = f"/manage/e/{world['event'].id}/rsvps"
    html = client.get(url).get_data(as_text=True)
    form = re.search(r'<form class="list-search"[^>]*>', html).group(0)
    assert 'method="post"' in form
    response = client.post(url, data={"csrf_token": csrf_from(html), "q": "amina.private@"})
    found = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Amina Yusuf" in found and "Bilal Haddad" not in found
    assert 'value="amina.private@"' in found  # the box keeps what was typed
    assert_no_url_holds(found, "amina")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_search_in_the_url_is_ignored(client, login, world):
    login(world["organizer"])
    html = client.get(f"/manage/e/{world['event'].id}/rsvps?q=amina").get_data(as_text=True)
    assert "Amina Yusuf" in html and "Bilal Haddad" in html  # not filtered: nobody should send that
    assert 'value="amina"' not in html


def test_the_rsvp_search_needs_the_csrf_token(client, login, world):
    login(world["organizer"])
    response = client.post(f"/manage/e/{world['event'].id}/rsvps", data={"q": "amina"})
    assert response.status_code == 400 and "Amina Yusuf" not in response.get_data(as_text=True)


def test_pages_of_a_search_keep_the_search_out_of_the_url(client, login, world):
    _many(world["event"], 103)
    login(world["organizer"])
    url = f"/manage/e/{world['event'].id}/rsvps"
    token = csrf_from(client.get(url).get_data(as_text=True))
    html = client.post(url, data={"csrf_token": token, "q": "person"}).get_data(as_text=True)
    assert "1–100 of 103" in html and "Person 000" in html and "Person 100" not in html
    assert_no_url_holds(html, "person")
    # The next page is a form that posts the search again, with the page number.
    later = re.search(r'<form[^>]*method="post"[^>]*>(?:(?!</form>).)*Later <span class="arrow" aria-hidden="true">→', html, re.S).group(0)
    assert 'name="q" value="person"' in later and 'name="page" value="2"' in later
    html = client.post(url, data={"csrf_token": token, "q": "person", "page": "2"}).get_data(as_text=True)
    assert "101–103 of 103" in html and "Person 102" in html and "Person 099" not in html


# --- the door list ----------------------------------------------------------------------------

def test_the_door_search_is_a_post_with_csrf(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}"
    html = client.get(url).get_data(as_text=True)
    form = re.search(r'<form class="door-search"[^>]*>', html).group(0)
    assert 'method="post"' in form
    response = client.post(url, data={"csrf_token": csrf_from(html), "q": "bil"})
    found = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bilal Haddad" in found and "Amina Yusuf" not in found
    assert_no_url_holds(found, "bil")
    assert response.headers["Cache-Control"] == "no-store"
    # What door.js asks for as someone types: the matches only, posted the same way.
    part = client.post(url, data={"csrf_token": csrf_from(html), "q": "bil", "part": "results"})
    assert part.status_code == 200
    assert "Bilal Haddad" in part.get_data(as_text=True) and "door-dock" not in part.get_data(as_text=True)
    assert_no_url_holds(part.get_data(as_text=True), "bil")


def test_the_door_search_needs_the_csrf_token(client, login, world):
    login(world["door"])
    response = client.post(f"/door/e/{world['event'].id}", data={"q": "bil"})
    assert response.status_code == 400 and "Bilal Haddad" not in response.get_data(as_text=True)


def test_a_door_search_in_the_url_is_ignored(client, login, world):
    login(world["door"])
    html = client.get(f"/door/e/{world['event'].id}?q=bil").get_data(as_text=True)
    assert "Bilal Haddad" in html and "Amina Yusuf" in html


def test_a_check_in_from_a_search_without_javascript_returns_to_it_without_a_url_search(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    html = client.post(url, data={"csrf_token": token, "q": "bil"}).get_data(as_text=True)
    action = re.search(r'action="([^"]+/check-in)"', html).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    assert 'name="q" value="bil"' in html  # the search rides in the form's body
    response = client.post(action, data={"csrf_token": token, "idempotency_key": key, "q": "bil"})
    assert "q=" not in response.headers.get("Location", "")
    answer = response.get_data(as_text=True)
    if response.status_code in (302, 303):
        answer = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bilal Haddad is checked in." in answer
    assert_no_url_holds(answer, "bil")
