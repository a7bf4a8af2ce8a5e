"""Issue 16, item 2 in a browser: searching the door list or the organizers' RSVP list for someone
never puts what was typed into a URL — not in a request the page makes, not in the address bar."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from organizer.timeutil import utcnow
from tests import builders


def sign_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(builders.DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def world():
    team = builders.make_team("door", "organizer")
    event = builders.make_event(team["campaign"], title="Homs meeting", starts_at=utcnow() + timedelta(hours=1))
    people = {}
    for name in ("Amina Yusuf", "Bilal Haddad", "Carla Mendes", "Dana Cohen"):
        people[name], _, _ = builders.make_rsvp(event, name=name, email=f"{name.split()[0].lower()}@example.org")
    return event, people


def watch(page: Page) -> list[tuple[str, str]]:
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    return requests


def test_the_door_search_asks_the_server_without_the_name_in_any_url(app, monkeypatch, phone: Page):
    monkeypatch.setitem(app.config, "DOOR_LIST_LIMIT", 2)  # a long list: each search asks the server
    event, people = world()
    sign_in(phone, "door@example.org")
    phone.goto(f"/door/e/{event.id}")
    requests = watch(phone)
    phone.get_by_label("Find a name").press_sequentially("cohen")
    row = phone.locator(f"#rsvp-{people['Dana Cohen'].id}")
    expect(row).to_be_visible()
    expect(phone.locator(".door-row")).to_have_count(1)
    assert any(method == "POST" and url.endswith(f"/door/e/{event.id}") for method, url in requests)
    assert not [url for _method, url in requests if "coh" in url.lower()]
    assert "q=" not in phone.url and "coh" not in phone.url.lower()
    row.get_by_role("button", name="Check in").click()
    expect(row.locator("[data-state]")).to_contain_text("Checked in")
    assert "coh" not in phone.url.lower()


def test_the_organizers_search_keeps_the_email_out_of_the_address_bar(desktop: Page):
    event, _people = world()
    sign_in(desktop, "org@example.org")
    desktop.goto(f"/manage/e/{event.id}/rsvps")
    requests = watch(desktop)
    desktop.get_by_label("Find someone").fill("dana@example")
    desktop.get_by_role("button", name="Search").click()
    expect(desktop.get_by_role("rowheader", name="Dana Cohen")).to_be_visible()
    expect(desktop.get_by_role("rowheader", name="Amina Yusuf")).to_have_count(0)
    assert not [url for _method, url in requests if "dana" in url.lower()]
    assert "dana" not in desktop.url.lower()
    expect(desktop.get_by_label("Find someone")).to_have_value("dana@example")
