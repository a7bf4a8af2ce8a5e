"""Door routes: the door list, check-in, walk-ins, crowd count, QR tickets and door links.

A door-link holder (no account) reaches only that event's door pages; anonymous visitors are sent to
sign in; members of another campaign, other events and other events' RSVPs get 404.
"""

from __future__ import annotations

from organizer.models import RsvpStatus
from tests import builders
from tests.authorization.rules import ORGANIZERS_UP, STAFF, Rule, only

DOOR = only(STAFF, 200, door_link=200, anonymous=302, supporter_link=302)
DOOR_POST = only(STAFF, 303, door_link=303, anonymous=302, supporter_link=302)
SIGN_IN_FIRST = {"anonymous": 302, "supporter_link": 302}
MANAGE = only(ORGANIZERS_UP, 200, anonymous=302, supporter_link=302, door_link=302)
MANAGE_POST = only(ORGANIZERS_UP, 303, anonymous=302, supporter_link=302, door_link=302)


def _key(_w) -> dict:
    return {"idempotency_key": "matrix-key-0001"}


def _sibling_event(w):
    """Another event of the same campaign, with no door link: a door link must not open it."""
    if getattr(w, "_door_sibling", None) is None:
        w._door_sibling = builders.make_event(w.campaign, slug="sibling-meeting")
    return w._door_sibling


def _ticket_of(w, event, **overrides) -> str:
    _rsvp, _manage, ticket_token = builders.make_rsvp(event, name="Ticket Holder", email=None, **overrides)
    return ticket_token


# Looks like a real token (so the "not valid" page may differ from the generic 404) but matches nothing.
GARBAGE_TOKEN = "A" * 43


ROUTES: list[Rule] = [
    Rule("door.door_list", "GET", lambda w: f"/door/e/{w.event.id}", DOOR),
    Rule("door.door_list", "GET", lambda w: f"/door/e/{_sibling_event(w).id}",
         only(STAFF, 200, **SIGN_IN_FIRST), id_suffix=" sibling event",
         note="a door link opens its own event only, not the campaign's other events"),
    Rule("door.door_list", "GET", lambda w: "/door/e/999999", SIGN_IN_FIRST, id_suffix=" missing event"),
    # The search, posted so that the name searched for stays out of URLs.
    Rule("door.door_list", "POST", lambda w: f"/door/e/{w.event.id}", DOOR, data=lambda w: {"q": "a"}),
    Rule("door.door_list", "POST", lambda w: f"/door/e/{_sibling_event(w).id}",
         only(STAFF, 200, **SIGN_IN_FIRST), data=lambda w: {"q": "a"}, id_suffix=" sibling event"),
    Rule("door.door_state", "GET", lambda w: f"/door/e/{w.event.id}/state?ids={w.rsvp.id}", DOOR),
    Rule("door.door_state", "GET", lambda w: f"/door/e/{_sibling_event(w).id}/state?ids={w.rsvp.id}",
         only(STAFF, 200, **SIGN_IN_FIRST), id_suffix=" sibling event"),
    Rule("door.print_list", "GET", lambda w: f"/door/e/{w.event.id}/print", DOOR),
    Rule("door.print_list", "GET", lambda w: f"/door/e/{_sibling_event(w).id}/print",
         only(STAFF, 200, **SIGN_IN_FIRST), id_suffix=" sibling event"),
    Rule("door.check_in", "POST", lambda w: f"/door/e/{w.event.id}/rsvps/{w.rsvp.id}/check-in", DOOR_POST,
         data=_key),
    Rule("door.check_in", "POST", lambda w: f"/door/e/{w.event.id}/rsvps/{w.other_rsvp.id}/check-in",
         SIGN_IN_FIRST, data=_key, id_suffix=" other event's rsvp"),
    Rule("door.check_in", "POST", lambda w: f"/door/e/{w.other_event.id}/rsvps/{w.other_rsvp.id}/check-in",
         {**SIGN_IN_FIRST, "other_organizer": 303, "admin": 303}, data=_key, id_suffix=" other event"),
    Rule("door.undo", "POST", lambda w: f"/door/e/{w.event.id}/rsvps/{w.rsvp.id}/undo", DOOR_POST, data=_key),
    Rule("door.undo", "POST", lambda w: f"/door/e/{w.event.id}/rsvps/{w.other_rsvp.id}/undo",
         SIGN_IN_FIRST, data=_key, id_suffix=" other event's rsvp"),
    Rule("door.walk_in", "POST", lambda w: f"/door/e/{w.event.id}/walk-in", DOOR_POST,
         data=lambda w: {"name": "Walk In", "idempotency_key": "matrix-walk-01"}),
    Rule("door.walk_in", "POST", lambda w: f"/door/e/{w.other_event.id}/walk-in",
         {**SIGN_IN_FIRST, "other_organizer": 303, "admin": 303},
         data=lambda w: {"name": "Walk In", "idempotency_key": "matrix-walk-01"}, id_suffix=" other event"),
    Rule("door.crowd", "POST", lambda w: f"/door/e/{w.event.id}/crowd", DOOR_POST,
         data=lambda w: {"change": "10", "idempotency_key": "matrix-crowd-1"}),
    Rule("door.crowd", "POST", lambda w: f"/door/e/{w.other_event.id}/crowd",
         {**SIGN_IN_FIRST, "other_organizer": 303, "admin": 303},
         data=lambda w: {"change": "10", "idempotency_key": "matrix-crowd-1"}, id_suffix=" other event"),
    Rule("door.names", "GET", lambda w: f"/door/e/{w.event.id}/names", DOOR),
    Rule("door.names", "GET", lambda w: f"/door/e/{_sibling_event(w).id}/names",
         only(STAFF, 200, **SIGN_IN_FIRST), id_suffix=" sibling event",
         note="the names a phone keeps offline: a door link gives its own event's only"),
    Rule("door.scan", "POST", lambda w: f"/door/e/{w.event.id}/scan", DOOR_POST,
         data=lambda w: {"code": w.ticket_token, "idempotency_key": "matrix-scan-01"}),
    Rule("door.scan", "POST", lambda w: f"/door/e/{w.other_event.id}/scan",
         {**SIGN_IN_FIRST, "other_organizer": 303, "admin": 303},
         data=lambda w: {"code": w.ticket_token, "idempotency_key": "matrix-scan-01"}, id_suffix=" other event"),
    Rule("door.leave", "POST", lambda w: f"/door/e/{w.event.id}/leave", DOOR_POST),
    # The service worker script holds no data; its scope (/door/e/) is what matters.
    Rule("door.service_worker", "GET", lambda w: "/door/sw.js", {}, default=200),
    # Opening a door link starts a door session for anyone who holds it.
    Rule("door.open_link", "GET", lambda w: f"/door/{w.door_token}", {}, default=303),
    Rule("door.open_link", "GET", lambda w: "/door/not-a-real-door-link-token", {}, id_suffix=" garbage"),
    # The QR ticket: door staff of that campaign or the event's door link; anonymous signs in first.
    Rule("door.ticket", "GET", lambda w: f"/t/{w.ticket_token}", DOOR),
    Rule("door.ticket", "GET", lambda w: f"/t/{GARBAGE_TOKEN}", SIGN_IN_FIRST, id_suffix=" garbage"),
    Rule("door.ticket", "GET", lambda w: f"/t/{_ticket_of(w, w.event, status=RsvpStatus.CANCELLED)}",
         SIGN_IN_FIRST, id_suffix=" cancelled rsvp"),
    Rule("door.ticket", "GET", lambda w: f"/t/{_ticket_of(w, w.other_event)}",
         {**SIGN_IN_FIRST, "other_organizer": 200, "admin": 200}, id_suffix=" other event",
         note="another event's ticket is not valid with this event's door link"),
    Rule("door.ticket", "POST", lambda w: f"/t/{w.ticket_token}", DOOR_POST, data=_key),
    Rule("door.ticket", "POST", lambda w: f"/t/{GARBAGE_TOKEN}", SIGN_IN_FIRST, data=_key,
         id_suffix=" garbage"),
    # Door links are made and revoked by organizers and owners.
    Rule("door.links", "GET", lambda w: f"/manage/e/{w.event.id}/door-links", MANAGE),
    Rule("door.links", "GET", lambda w: f"/manage/e/{w.other_event.id}/door-links",
         {**SIGN_IN_FIRST, "door_link": 302, "other_organizer": 200, "admin": 200}, id_suffix=" other event"),
    Rule("door.links", "POST", lambda w: f"/manage/e/{w.event.id}/door-links", MANAGE,
         data=lambda w: {"label": "Side door"}),
    Rule("door.revoke_link", "POST", lambda w: f"/manage/e/{w.event.id}/door-links/{w.door_link.id}/revoke",
         MANAGE_POST),
    Rule("door.revoke_link", "POST", lambda w: f"/manage/e/{w.other_event.id}/door-links/{w.door_link.id}/revoke",
         {**SIGN_IN_FIRST, "door_link": 302}, id_suffix=" link of another event"),
]
