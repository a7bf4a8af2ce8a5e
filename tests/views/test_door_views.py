"""Door pages: the list, check-in/undo/walk-in/crowd (HTML and JSON), door links, QR tickets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import CheckIn, DoorLink, Membership, Rsvp, RsvpSource, RsvpStatus
from organizer.rendering import qr
from organizer.services.common.tokens import hash_token, new_token
from organizer.services.door import checkins, crowd
from organizer.services.rsvp import tickets
from organizer.timeutil import utcnow
from tests import builders

JSON = {"Accept": "application/json"}

pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.fixture
def world():
    team = builders.make_team("door", "organizer")
    outsider = builders.make_user("outsider@example.org", name="Otto")
    campaign = team["campaign"]
    event = builders.make_event(campaign, title="Homs meeting")
    amina, amina_manage, amina_ticket = builders.make_rsvp(event, name="Amina Yusuf", email="amina@example.org",
                                                           phone="07700 900123", guests=2)
    bilal, _, _ = builders.make_rsvp(event, name="Bilal Haddad", email="bilal@example.org")
    cancelled, _, cancelled_ticket = builders.make_rsvp(event, name="Carla Cancelled", email="carla@example.org",
                                                        status=RsvpStatus.CANCELLED)
    other_event = builders.make_event(campaign, title="Other meeting")
    other_rsvp, _, other_ticket = builders.make_rsvp(other_event, name="Omar Other", email="omar@example.org")
    return dict(**team, outsider=outsider, event=event,
                amina=amina, amina_manage=amina_manage, amina_ticket=amina_ticket, bilal=bilal,
                cancelled=cancelled, cancelled_ticket=cancelled_ticket, other_event=other_event,
                other_rsvp=other_rsvp, other_ticket=other_ticket)


def make_link(event, **overrides) -> tuple[DoorLink, str]:
    token = new_token()
    values = dict(event_id=event.id, label="Front door", token_hash=hash_token(token),
                  expires_at=utcnow() + timedelta(days=1))
    values.update(overrides)
    link = DoorLink(**values)
    db.session.add(link)
    db.session.commit()
    return link, token


def check_ins(rsvp) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.rsvp_id == rsvp.id))


# --- the list ---------------------------------------------------------------------------------

def test_door_list_shows_names_counts_and_no_contact_details(client, login, world):
    checkins.check_in(world["amina"])
    crowd.add(world["event"], 40)
    db.session.commit()
    login(world["door"])
    response = client.get(f"/door/e/{world['event'].id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Amina Yusuf" in html and "Bilal Haddad" in html and "+ 2 guests" in html
    assert "Carla Cancelled" not in html and "Omar Other" not in html
    for secret in ("amina@example.org", "07700 900123", "bilal@example.org"):
        assert secret not in html
    # Counted by persons: Amina comes with 2 guests (3), Bilal alone.
    assert 'data-count="checked_in">3<' in html and 'data-count="going">4<' in html
    assert 'data-count="crowd">40<' in html
    assert html.index("Amina Yusuf") < html.index("Bilal Haddad")
    assert f'class="door-row is-in" id="rsvp-{world["amina"].id}"' in html
    assert "style=" not in html and "<script>" not in html and "onclick" not in html
    assert 'class="site-nav"' not in html  # no menus at the door


def test_search_without_javascript(client, login, world):
    login(world["door"])
    html = client.post(f"/door/e/{world['event'].id}", data={"q": "bil"}).get_data(as_text=True)
    assert "Bilal Haddad" in html and "Amina Yusuf" not in html
    html = client.post(f"/door/e/{world['event'].id}", data={"q": "zzz"}).get_data(as_text=True)
    assert "No one matches" in html and "zzz" in html


def test_door_js_search_gets_the_matches_only_with_working_check_in_forms(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}"
    part = client.post(url, data={"q": "bil", "part": "results"})
    html = part.get_data(as_text=True)
    assert part.status_code == 200
    assert html.lstrip().startswith('<div class="door-results" data-door-results data-door-server-search>')
    assert "Bilal Haddad" in html and "Amina Yusuf" not in html
    assert "<html" not in html and "door-dock" not in html and "data-count" not in html
    form_action = re.search(r'action="([^"]+/check-in)"', html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    tapped = client.post(form_action, data={"csrf_token": token, "idempotency_key": key},
                         headers={"Accept": "application/json"})
    assert tapped.status_code == 200, tapped.get_data(as_text=True)
    assert form_action.endswith(f"/{world['bilal'].id}/check-in")
    assert "No one matches" in client.post(url, data={"q": "zzz", "part": "results"}).get_data(as_text=True)


def test_a_long_list_shows_the_first_names_and_a_search_finds_the_rest(app, client, login, world, monkeypatch):
    monkeypatch.setitem(app.config, "DOOR_LIST_LIMIT", 1)
    extra, _, _ = builders.make_rsvp(world["event"], name="Zaid Zayed", email=None)
    login(world["door"])
    url = f"/door/e/{world['event'].id}"
    html = client.get(url).get_data(as_text=True)
    assert "Amina Yusuf" in html and "Bilal Haddad" not in html and "Zaid Zayed" not in html
    assert "Showing 1 of 3. Type a name to find someone." in html
    assert "data-door-server-search" in html  # door.js asks the server as you type
    assert 'data-count="going">5<' in html  # the counts still count everyone (persons, guests too)
    html = client.post(url, data={"q": "zay"}).get_data(as_text=True)
    assert "Zaid Zayed" in html and f'id="rsvp-{extra.id}"' in html and "Amina Yusuf" not in html
    assert "Showing" not in html
    html = client.post(url, data={"q": "a"}).get_data(as_text=True)  # all three have an "a"
    assert "Amina Yusuf" in html and "Bilal Haddad" not in html
    assert "Showing the first 1 of 3 matches. Type more of the name to narrow it down." in html
    # The printable list is for a hall without signal: it is never cut short.
    html = client.get(f"{url}/print").get_data(as_text=True)
    assert "Amina Yusuf" in html and "Bilal Haddad" in html and "Zaid Zayed" in html


def test_a_short_list_is_filtered_in_the_page(client, login, world):
    login(world["door"])
    html = client.get(f"/door/e/{world['event'].id}").get_data(as_text=True)
    assert "Amina Yusuf" in html and "Bilal Haddad" in html
    assert "Showing" not in html and "data-door-server-search" not in html


def test_check_in_and_undo_without_javascript(client, login, world):
    login(world["door"])
    amina = world["amina"]
    base = f"/door/e/{world['event'].id}/rsvps/{amina.id}"
    response = client.post(f"{base}/check-in", data={"idempotency_key": "tap-0000000001"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/door/e/{world['event'].id}#rsvp-{amina.id}")
    assert checkins.is_checked_in(amina)
    # The browser resubmits the same form (back button, double tap): nothing more is written.
    client.post(f"{base}/check-in", data={"idempotency_key": "tap-0000000001"})
    assert check_ins(amina) == 1
    entry = db.session.scalar(select(CheckIn).where(CheckIn.rsvp_id == amina.id))
    assert entry.actor_user_id == world["door"].id and entry.door_link_id is None
    follow = client.get(response.headers["Location"])
    assert "Amina Yusuf is checked in." in follow.get_data(as_text=True)
    assert client.post(f"{base}/undo", data={"idempotency_key": "tap-0000000002"}).status_code == 303
    assert not checkins.is_checked_in(amina)


def test_check_in_json_for_the_script(client, login, world):
    login(world["door"])
    amina = world["amina"]
    url = f"/door/e/{world['event'].id}/rsvps/{amina.id}/check-in"
    response = client.post(url, data={"idempotency_key": "tap-json-0001"}, headers=JSON)
    assert response.status_code == 200
    data = response.get_json()
    assert data["ok"] and data["checked_in"] and data["changed"]
    assert re.fullmatch(r"\d\d:\d\d [A-Z]{3,4}", data["at"])  # e.g. "19:05 GMT", in the event's zone
    # What the tap changed, by persons (Amina and her two guests): door.js adds it to its figures.
    assert data["counts_change"] == {"checked_in": 3} and "counts" not in data
    assert (data["persons_in"], data["party"]) == (3, 3)
    retry = client.post(url, data={"idempotency_key": "tap-json-0001"}, headers=JSON).get_json()
    assert retry["ok"] and retry["checked_in"] and not retry["changed"]
    # A retry: the phone may or may not have counted the first delivery (its answer lost, or the page
    # reloaded with figures that hold it), so it gets the figures themselves.
    assert retry["counts"] == {"checked_in": 3, "going": 4, "walk_ins": 0, "crowd": 0} and "counts_change" not in retry
    again = client.post(url, data={"idempotency_key": "tap-json-0002"}, headers=JSON).get_json()
    assert again["ok"] and not again["changed"] and again["counts_change"] == {}
    assert check_ins(amina) == 1
    undone = client.post(url.replace("/check-in", "/undo"), data={"idempotency_key": "tap-json-0003"},
                         headers=JSON).get_json()
    assert undone["ok"] and not undone["checked_in"] and undone["counts_change"] == {"checked_in": -3}
    state = client.get(f"/door/e/{world['event'].id}/state", headers=JSON).get_json()
    assert state["counts"] == {"checked_in": 0, "going": 4, "walk_ins": 0, "crowd": 0}


def test_the_state_of_the_names_on_screen_for_door_js(client, login, world):
    login(world["door"])
    event, amina, bilal = world["event"], world["amina"], world["bilal"]
    client.post(f"/door/e/{event.id}/rsvps/{amina.id}/check-in", data={"idempotency_key": "tap-state-0001"},
                headers=JSON)
    url = f"/door/e/{event.id}/state"
    data = client.get(f"{url}?ids={amina.id},{bilal.id},{world['other_rsvp'].id}", headers=JSON).get_json()
    assert set(data["rows"]) == {str(amina.id), str(bilal.id)}  # another event's RSVP is not told
    assert data["rows"][str(amina.id)]["in"] and re.fullmatch(r"\d\d:\d\d [A-Z]{3,4}", data["rows"][str(amina.id)]["at"])
    assert data["rows"][str(bilal.id)] == {"in": False, "persons_in": 0, "at": ""}
    assert data["rows"][str(amina.id)]["persons_in"] == 3
    assert data["counts"] == {"checked_in": 3, "going": 4, "walk_ins": 0, "crowd": 0}
    assert client.get(url).get_json()["rows"] == {}
    for bad in ("1,x", "-1", ",".join(["1"] * 201), "1" * 13, "%C2%B2"):
        response = client.get(f"{url}?ids={bad}")
        assert response.status_code == 400 and response.get_json()["ok"] is False
    assert client.get(f"{url}?ids=99999999999,{amina.id}").get_json()["rows"].keys() == {str(amina.id)}


def test_check_in_refusals_are_json_for_the_script(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}/rsvps/{world['cancelled'].id}/check-in"
    response = client.post(url, data={"idempotency_key": "tap-json-0002"}, headers=JSON)
    assert response.status_code == 409 and response.get_json()["ok"] is False
    bad_key = client.post(f"/door/e/{world['event'].id}/rsvps/{world['amina'].id}/check-in",
                          data={"idempotency_key": "bad key!"}, headers=JSON)
    assert bad_key.status_code == 409 and "Reload" in bad_key.get_json()["message"]
    assert check_ins(world["cancelled"]) == 0 and check_ins(world["amina"]) == 0


def test_rsvp_of_another_event_is_404(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}/rsvps/{world['other_rsvp'].id}/check-in"
    assert client.post(url, data={"idempotency_key": "tap-0000000003"}).status_code == 404
    assert check_ins(world["other_rsvp"]) == 0


def test_walk_in(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}/walk-in"
    response = client.post(url, data={"name": "Layla Walker", "email": "", "idempotency_key": "walk-00000001"})
    assert response.status_code == 303
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.name == "Layla Walker"))
    assert rsvp.source is RsvpSource.WALK_IN and checkins.is_checked_in(rsvp)
    client.post(url, data={"name": "Layla Walker", "idempotency_key": "walk-00000001"})  # resubmitted
    assert db.session.scalar(select(func.count()).select_from(Rsvp).where(Rsvp.name == "Layla Walker")) == 1
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Walk-in added and checked in: Layla Walker." in html


def test_walk_in_errors_keep_what_was_typed(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}/walk-in"
    response = client.post(url, data={"name": "", "email": "x@", "idempotency_key": "walk-00000002"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter the person" in html and 'value="x@"' in html
    assert '<details class="door-walkin" open>' in html
    response = client.post(url, data={"name": "Sam", "email": "not-an-email", "idempotency_key": "walk-00000003"},
                           headers=JSON)
    assert response.status_code == 400 and response.get_json()["ok"] is False


def test_crowd_counter(client, login, world):
    login(world["door"])
    url = f"/door/e/{world['event'].id}/crowd"
    assert client.post(url, data={"change": "10", "idempotency_key": "crowd-0000001"}).status_code == 303
    assert client.post(url, data={"change": "10", "idempotency_key": "crowd-0000001"}).status_code == 303  # retry
    data = client.post(url, data={"change": "1", "idempotency_key": "crowd-0000002"}, headers=JSON).get_json()
    assert data["crowd"] == 11 and data["counts"]["crowd"] == 11
    data = client.post(url, data={"change": "set", "count": "400", "idempotency_key": "crowd-0000003"},
                       headers=JSON).get_json()
    assert data["crowd"] == 400
    for key in ("crowd-0000004", "crowd-0000005"):
        client.post(url, data={"change": "set", "count": "0", "idempotency_key": key})
    data = client.post(url, data={"change": "-1", "idempotency_key": "crowd-0000006"}, headers=JSON).get_json()
    assert data["crowd"] == 0
    assert crowd.crowd_count(world["event"]) == 0


@pytest.mark.parametrize("data", [{"change": "set"}, {"change": "set", "count": "-5"}, {"change": "1000"},
                                  {"change": "set", "count": "lots"}])
def test_crowd_counter_refuses_bad_input(client, login, world, data):
    login(world["door"])
    response = client.post(f"/door/e/{world['event'].id}/crowd", data={**data, "idempotency_key": "crowd-bad-01"})
    assert response.status_code == 400
    assert crowd.crowd_count(world["event"]) == 0


def test_printable_list(client, login, world):
    checkins.check_in(world["bilal"])
    db.session.commit()
    login(world["door"])
    html = client.get(f"/door/e/{world['event'].id}/print").get_data(as_text=True)
    assert "Amina Yusuf" in html and "Bilal Haddad" in html and "amina@example.org" not in html
    assert "print-box--done" in html


def test_anonymous_is_sent_to_sign_in_and_outsiders_get_404(client, login, world):
    url = f"/door/e/{world['event'].id}"
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(world["outsider"])
    assert client.get(url).status_code == 404


# --- door links -------------------------------------------------------------------------------

def test_door_link_holder_sees_names_only_and_can_act(client, world):
    link, token = make_link(world["event"])
    response = client.get(f"/door/{token}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/door/e/{world['event'].id}")
    with client.session_transaction() as session:
        assert session["door_link_id"] == link.id
    html = client.get(f"/door/e/{world['event'].id}").get_data(as_text=True)
    assert "Amina Yusuf" in html and "amina@example.org" not in html and "07700 900123" not in html
    assert "Door link: </span><bdi>Front door</bdi>" in html and "door-header__exit" not in html
    assert f'action="/door/e/{world["event"].id}/leave"' in html  # leaving wipes the phone's copy
    client.post(f"/door/e/{world['event'].id}/rsvps/{world['amina'].id}/check-in",
                data={"idempotency_key": "link-tap-0001"})
    entry = db.session.scalar(select(CheckIn).where(CheckIn.rsvp_id == world["amina"].id))
    assert entry.door_link_id == link.id and entry.actor_user_id is None
    assert client.post(f"/door/e/{world['event'].id}/walk-in",
                       data={"name": "Link Walker", "idempotency_key": "link-walk-001"}).status_code == 303
    assert client.post(f"/door/e/{world['event'].id}/crowd",
                       data={"change": "10", "idempotency_key": "link-crowd-01"}).status_code == 303


def test_door_link_opens_nothing_else(client, world):
    _link, token = make_link(world["event"])
    client.get(f"/door/{token}")
    assert client.get(f"/door/e/{world['other_event'].id}").status_code == 404
    assert client.post(f"/door/e/{world['other_event'].id}/rsvps/{world['other_rsvp'].id}/check-in",
                       data={"idempotency_key": "link-tap-0002"}).status_code == 404
    assert check_ins(world["other_rsvp"]) == 0
    for path in (f"/manage/e/{world['event'].id}", f"/manage/e/{world['event'].id}/door-links",
                 f"/manage/e/{world['event'].id}/turnout", "/manage/c/syria/export"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], path


def open_link_then_end_it(client, event, state: str) -> str:
    """Open a door link in ``client``, then let it expire or revoke it; returns its token."""
    link, token = make_link(event)
    assert client.get(f"/door/{token}").status_code == 303
    if state == "expired":
        link.expires_at = utcnow() - timedelta(minutes=1)
    else:
        link.revoked_at = utcnow()
    db.session.commit()
    return token


TURNED_OFF = "This door link was turned off — ask the organizer for a new one."


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_expired_or_revoked_link_says_it_was_turned_off_and_ends_the_session(client, world, state):
    token = open_link_then_end_it(client, world["event"], state)
    opened = client.get(f"/door/{token}")
    assert opened.status_code == 410 and TURNED_OFF in opened.get_data(as_text=True)
    # The session opened earlier stops working at once too: the same words, not a sign-in page.
    response = client.get(f"/door/e/{world['event'].id}")
    assert response.status_code == 403 and TURNED_OFF in response.get_data(as_text=True)
    assert "data-door-ended" in response.get_data(as_text=True)  # door.js wipes what the phone kept
    with client.session_transaction() as session:
        assert "door_link_id" not in session
    # Someone who never held a link still gets the sign-in page.
    assert client.application.test_client().get(f"/door/e/{world['event'].id}").status_code == 302


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_a_tap_with_an_expired_or_revoked_link_is_refused_with_the_same_words(client, world, state):
    """A tap reads the link, the event and the RSVP in one query: the link's state still decides."""
    open_link_then_end_it(client, world["event"], state)
    url = f"/door/e/{world['event'].id}/rsvps/{world['amina'].id}/check-in"
    response = client.post(url, data={"idempotency_key": "late-tap-0001"}, headers=JSON)
    assert response.status_code == 403
    assert response.get_json() == {"ok": False, "ended": True, "message": TURNED_OFF}
    without_js = client.post(url, data={"idempotency_key": "late-tap-0002"})
    assert without_js.status_code == 403 and TURNED_OFF in without_js.get_data(as_text=True)
    for path in (f"/door/e/{world['event'].id}/state?ids=1", f"/door/e/{world['event'].id}/names"):
        assert client.get(path, headers=JSON).get_json()["ended"] is True, path
    with client.session_transaction() as session:
        assert "door_link_id" not in session
    assert db.session.scalar(select(CheckIn).where(CheckIn.rsvp_id == world["amina"].id)) is None


def test_a_volunteer_whose_role_was_removed_is_told_so(client, login, world):
    login(world["door"])
    assert client.get(f"/door/e/{world['event'].id}").status_code == 200
    membership = db.session.scalar(select(Membership).where(Membership.user_id == world["door"].id))
    db.session.delete(membership)
    db.session.commit()
    response = client.get(f"/door/e/{world['event'].id}")
    assert response.status_code == 403
    assert "You can no longer keep this door — ask the organizer to add you again." in response.get_data(as_text=True)
    tap = client.post(f"/door/e/{world['event'].id}/rsvps/{world['amina'].id}/check-in",
                      data={"idempotency_key": "late-tap-0003"}, headers=JSON)
    assert tap.status_code == 403 and tap.get_json()["ended"] is True
    # A door they never kept is still a plain 404 for them.
    assert client.get(f"/door/e/{world['other_event'].id}").status_code == 404


def test_a_link_holder_tapping_a_missing_event_or_rsvp_gets_404(client, world):
    _link, token = make_link(world["event"])
    client.get(f"/door/{token}")
    event_id = world["event"].id
    for path in (f"/door/e/{event_id}/rsvps/{world['other_rsvp'].id}/check-in",  # another event's RSVP
                 f"/door/e/{event_id}/rsvps/999999/check-in",
                 f"/door/e/999999/rsvps/{world['amina'].id}/check-in"):
        assert client.post(path, data={"idempotency_key": "miss-tap-0001"}).status_code == 404, path
    with client.session_transaction() as session:
        assert "door_link_id" in session  # a wrong address is not a reason to end the session


def test_garbage_door_link_is_404(client, world):
    assert client.get("/door/nope").status_code == 404
    assert client.get("/door/" + "x" * 300).status_code == 404


def test_organizer_makes_lists_and_revokes_links(client, login, world):
    login(world["organizer"])
    url = f"/manage/e/{world['event'].id}/door-links"
    response = client.post(url, data={"label": "Side door, Sam"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    link = db.session.scalar(select(DoorLink).where(DoorLink.label == "Side door, Sam"))
    assert link.expires_at == world["event"].ends_at + timedelta(hours=12)
    assert link.created_by_id == world["organizer"].id
    start = html.index("http://localhost/door/")
    shown = html[start:html.index('"', start)]
    assert hash_token(shown.rsplit("/", 1)[1]) == link.token_hash  # shown once, stored only hashed
    assert '<svg role="img"' in html
    listing = client.get(url).get_data(as_text=True)
    assert "Side door, Sam" in listing and shown not in listing
    response = client.post(f"{url}/{link.id}/revoke")
    assert response.status_code == 303
    db.session.refresh(link)
    assert link.revoked_at is not None
    assert "Revoked" in client.get(url).get_data(as_text=True)


def test_no_door_links_after_the_event(client, login, world):
    event = world["event"]
    event.starts_at = utcnow() - timedelta(days=3)
    event.ends_at = utcnow() - timedelta(days=2)
    db.session.commit()
    login(world["organizer"])
    response = client.post(f"/manage/e/{event.id}/door-links", data={"label": "Late"})
    assert response.status_code == 400
    assert "over" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(DoorLink)) == 0


def test_door_volunteers_cannot_make_links(client, login, world):
    login(world["door"])
    assert client.get(f"/manage/e/{world['event'].id}/door-links").status_code == 404
    assert client.post(f"/manage/e/{world['event'].id}/door-links", data={"label": "x"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(DoorLink)) == 0


def test_revoking_a_link_of_another_event_is_404(client, login, world):
    link, _token = make_link(world["other_event"])
    login(world["organizer"])
    assert client.post(f"/manage/e/{world['event'].id}/door-links/{link.id}/revoke").status_code == 404
    db.session.refresh(link)
    assert link.revoked_at is None


# --- QR tickets -------------------------------------------------------------------------------

def test_ticket_url_and_qr(world):
    url = tickets.ticket_url(world["amina_manage"])
    assert url == f"http://localhost/t/{world['amina_ticket']}"
    svg = str(qr.qr_svg(url))
    assert svg.startswith('<svg role="img" aria-label=') and "<title>" in svg
    assert "<?xml" not in svg and "style=" not in svg


def test_ticket_valid_for_door_staff(client, login, world):
    login(world["door"])
    url = f"/t/{world['amina_ticket']}"
    html = client.get(url).get_data(as_text=True)
    assert "Amina Yusuf" in html and "with 2 guests" in html and "Check in" in html
    assert "amina@example.org" not in html
    response = client.post(url, data={"idempotency_key": "ticket-tap-01"})
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    assert checkins.is_checked_in(world["amina"])
    assert "Checked in at" in client.get(url).get_data(as_text=True)
    client.post(url, data={"idempotency_key": "ticket-tap-02"})  # scanned twice
    assert check_ins(world["amina"]) == 1


def test_ticket_with_a_door_link(client, world):
    _link, token = make_link(world["event"])
    client.get(f"/door/{token}")
    mine = client.get(f"/t/{world['amina_ticket']}")
    assert mine.status_code == 200 and "Amina Yusuf" in mine.get_data(as_text=True)
    other = client.get(f"/t/{world['other_ticket']}")
    assert other.status_code == 404 and "Not valid" in other.get_data(as_text=True)
    assert "Omar" not in other.get_data(as_text=True)


@pytest.mark.parametrize("which", ["cancelled", "garbage", "other_campaign"])
def test_ticket_not_valid(client, login, world, which):
    if which == "other_campaign":
        login(world["outsider"])
        token = world["amina_ticket"]
    else:
        login(world["door"])
        token = world["cancelled_ticket"] if which == "cancelled" else "garbage-token-" + "x" * 30
    response = client.get(f"/t/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "Not valid" in html
    assert "Amina" not in html and "Carla" not in html
    assert client.post(f"/t/{token}", data={"idempotency_key": "ticket-tap-03"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_ticket_anonymous_signs_in_first(client, world):
    response = client.get(f"/t/{world['amina_ticket']}")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "Amina" not in response.get_data(as_text=True)
