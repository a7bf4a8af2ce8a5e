"""What a door phone asks beyond the list: the names it keeps, scanning a ticket (JSON and plain
form), the tap time it sends, leaving the door; the camera allowed on the door list only."""

from __future__ import annotations

import pytest

from organizer.extensions import db
from organizer.models import CheckIn, RsvpStatus
from organizer.services.door import checkins, scanning
from organizer.timeutil import utcnow
from tests import builders
from tests.views.test_door_views import JSON, check_ins, make_link, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("no_csrf")


def test_the_camera_is_allowed_on_the_door_list_only(client, login, world):
    login(world["door"])
    door = client.get(f"/door/e/{world['event'].id}")
    assert "camera=(self)" in door.headers["Permissions-Policy"]
    for path in (f"/door/e/{world['event'].id}/names", f"/door/e/{world['event'].id}/print",
                 f"/manage/e/{world['event'].id}", "/"):
        assert "camera=()" in client.get(path).headers["Permissions-Policy"], path


def test_names_are_what_the_list_shows_and_nothing_more(client, world):
    checkins.check_in(world["amina"])
    db.session.commit()
    _link, token = make_link(world["event"])
    client.get(f"/door/{token}")
    data = client.get(f"/door/e/{world['event'].id}/names").get_json()
    by_name = {entry["name"]: entry for entry in data["names"]}
    assert set(by_name) == {"Amina Yusuf", "Bilal Haddad"}  # going only
    assert set(by_name["Amina Yusuf"]) == {"id", "name", "guests", "walk_in", "key", "in", "at", "party",
                                              "persons_in"}
    assert by_name["Amina Yusuf"]["in"] and not by_name["Bilal Haddad"]["in"]
    assert "amina@example.org" not in str(data) and "07700" not in str(data)
    assert data["counts"]["checked_in"] == 3  # persons: Amina and her two guests


@pytest.mark.parametrize("shape", ["url", "token", "short", "short-typed"])
def test_a_scanned_or_typed_ticket_checks_that_person_in(client, login, world, shape):
    login(world["door"])
    amina = world["amina"]
    code = {"url": f"https://organizer.example/t/{world['amina_ticket']}",
            "token": world["amina_ticket"],
            "short": scanning.short_code(amina.ticket_token_hash),
            "short-typed": " " + scanning.short_code(amina.ticket_token_hash).lower().replace("-", " ") + " "}[shape]
    response = client.post(f"/door/e/{world['event'].id}/scan", data={"code": code, "idempotency_key": "scan-000001"},
                           headers=JSON)
    assert response.status_code == 200
    assert response.get_json()["message"] == "Amina Yusuf is checked in."
    assert response.get_json()["counts_change"] == {"checked_in": 3}  # Amina and her two guests
    answer = response.get_json()
    assert (answer["persons_in"], answer["party"], answer["last_step"]) == (3, 3, 3)  # the whole party, one step
    again = client.post(f"/door/e/{world['event'].id}/scan", data={"code": code, "idempotency_key": "scan-000002"},
                        headers=JSON).get_json()
    assert not again["changed"] and again["message"].startswith("Amina Yusuf was already checked in, at ")
    assert again["counts_change"] == {}
    assert check_ins(amina) == 1


@pytest.mark.parametrize("which, status, message", [
    ("other", 409, "This ticket is for another event."),
    ("cancelled", 409, "The ticket of Carla Cancelled was cancelled."),
    ("waitlisted", 409, "Wanda Waiting is on the waitlist, not on the list of people going."),
    ("garbage", 404, "No ticket has this code. Check it and try again, or find the name in the list."),
    ("nonsense", 404, "That is not a ticket code. Scan the QR code again or type the code under it."),
])
def test_a_ticket_that_cannot_be_checked_in_says_why(client, login, world, which, status, message):
    login(world["door"])
    _waiting, _m, waiting_ticket = builders.make_rsvp(world["event"], name="Wanda Waiting", email=None,
                                                      status=RsvpStatus.WAITLISTED)
    code = {"other": world["other_ticket"], "cancelled": world["cancelled_ticket"], "waitlisted": waiting_ticket,
            "garbage": "A" * 43, "nonsense": "hello!"}[which]
    response = client.post(f"/door/e/{world['event'].id}/scan", data={"code": code, "idempotency_key": "scan-000001"},
                           headers=JSON)
    assert response.status_code == status
    assert response.get_json() == {"ok": False, "message": message}
    assert db.session.query(CheckIn).count() == 0


def test_without_javascript_a_typed_code_checks_in_and_comes_back_to_the_list(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}/scan"
    response = client.post(url, data={"code": scanning.short_code(world["amina"].ticket_token_hash),
                                      "idempotency_key": "scan-000001"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#rsvp-{world['amina'].id}")
    assert "Amina Yusuf is checked in." in client.get(response.headers["Location"]).get_data(as_text=True)
    empty = client.post(url, data={"code": "", "idempotency_key": "scan-000002"})
    assert empty.status_code == 303
    assert "Type the code under the ticket" in client.get(empty.headers["Location"]).get_data(as_text=True)


def test_the_supporter_sees_the_short_code_under_the_qr(client, world):
    html = client.get(f"/r/{world['amina_manage']}").get_data(as_text=True)
    assert scanning.short_code(world["amina"].ticket_token_hash) in html


def test_a_tap_made_offline_keeps_its_time_within_bounds(client, login, world):
    login(world["door"])
    base = f"/door/e/{world['event'].id}/rsvps"
    before = utcnow()
    client.post(f"{base}/{world['amina'].id}/check-in", data={"idempotency_key": "tap-000001", "tapped_ago": "60000"},
                headers=JSON)
    client.post(f"{base}/{world['bilal'].id}/check-in",
                data={"idempotency_key": "tap-000002", "tapped_ago": str(10**12)}, headers=JSON)  # 31 years: no
    amina_entry = db.session.query(CheckIn).filter_by(rsvp_id=world["amina"].id).one()
    bilal_entry = db.session.query(CheckIn).filter_by(rsvp_id=world["bilal"].id).one()
    assert abs((before - amina_entry.tapped_at).total_seconds() - 60) < 5
    assert bilal_entry.tapped_at == bilal_entry.created_at


def test_leaving_the_door_forgets_the_link(client, world):
    _link, token = make_link(world["event"])
    client.get(f"/door/{token}")
    response = client.post(f"/door/e/{world['event'].id}/leave")
    assert response.status_code == 303 and response.headers["Location"].endswith("/")
    with client.session_transaction() as session:
        assert "door_link_id" not in session
    assert client.get(f"/door/e/{world['event'].id}").status_code == 302  # no longer at the door


def test_the_service_worker_is_served_from_the_door_path(client):
    response = client.get("/door/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b"addEventListener(\"fetch\"" in response.data
