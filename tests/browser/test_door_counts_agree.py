"""Two phones on two app servers (two processes, one database) show the same totals after a refresh,
through a burst of check-ins and undos (issue 14.2). Each server is told to keep its door figures
for 30 seconds: a process that kept figures of its own and adjusted them by its own taps (as the door
did) shows different totals here, even negative ones."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from playwright.sync_api import expect

from organizer.extensions import db
from organizer.services.door import counts as door_counts
from tests.browser.test_door_flow import door_phone, door_world, fresh, settled
from tests.services.test_door_counts import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"DOOR_COUNTS_SECONDS": 30, "DOOR_REFRESH_SECONDS": 0}


def shown(page) -> dict[str, int]:
    return {name: int(page.locator(f"dd [data-count={name}], dd[data-count={name}]").first.inner_text())
            for name in ("checked_in", "going", "walk_ins", "crowd")}


@pytest.mark.parametrize("cache", ["exact", "redis"])
def test_two_phones_on_two_app_servers_show_identical_totals(browser, base_url, app, database_url, monkeypatch,
                                                            cache):
    settings = dict(SETTINGS)
    if cache == "redis":
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).flushdb()
        except redis.RedisError:
            pytest.skip("no Redis on 127.0.0.1:6379")
        settings["CACHE_REDIS_URL"] = REDIS_URL
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    _campaign, event, people = door_world()
    amina, bilal, carla, dana = (people[name] for name in ("Amina Yusuf", "Bilal Haddad", "Carla Mendes",
                                                           "Dana Cohen"))
    mohammed = people["محمد الأحمد"]
    server = subprocess.Popen([sys.executable, "-m", "tests.browser.second_server", database_url, json.dumps(settings)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    contexts = []
    try:
        second_url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        phones = [door_phone(browser, url, event, contexts) for url in (base_url, second_url)]
        front, side = phones
        assert shown(front) == shown(side) == {"checked_in": 0, "going": 6, "walk_ins": 0, "crowd": 0}

        def tap(page, rsvp, button):
            page.locator(f"#rsvp-{rsvp.id}").get_by_role("button", name=button).click()

        for rsvp in (amina, bilal, carla):  # the front door, through the first server
            tap(front, rsvp, "Check in")
        settled(front)
        side.reload()  # the side door, through the second server, sees them and undoes two
        tap(side, dana, "Check in")
        tap(side, bilal, "Undo")
        tap(side, amina, "Undo")
        tap(side, mohammed, "Check in")
        front.get_by_role("button", name="Crowd plus 10").click()
        side.get_by_role("button", name="Crowd minus 1").click()
        tap(front, carla, "Undo")
        settled(front)
        settled(side)

        fresh()
        truth = door_counts.attendances([event])[event.id]
        expected = {"checked_in": truth.checked_in_people, "going": truth.going_people, "walk_ins": truth.walk_ins,
                    "crowd": truth.crowd}
        assert expected == {"checked_in": 2, "going": 6, "walk_ins": 0, "crowd": 9}
        for page in phones:
            page.reload()
        assert shown(front) == shown(side) == expected
        expect(front.locator("[data-count=checked_in]").first).to_have_text("2")
    finally:
        for context in contexts:
            context.close()
        server.kill()
        server.wait(timeout=10)
        server.stdout.close()
        db.session.remove()
