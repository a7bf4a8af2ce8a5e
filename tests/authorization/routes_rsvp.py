"""RSVP routes. The public form and calendar files are for everyone. On /r/<token> the token is the
credential: whoever holds the URL gets the page, whatever else they are; a wrong token is a 404.
The organizers' list is for coordinators and up; removing, promoting and answering requests for organizers and up."""

from __future__ import annotations

from tests.authorization.rules import COORDINATORS_UP, ORGANIZERS_UP, Rule, only

BAD_TOKEN = "not-a-real-token-0123456789abcdefghijklmnopq"
# Not signed in: /manage sends them to the sign-in page.
NO_ACCOUNT = {"anonymous": 302, "supporter_link": 302, "door_link": 302}


def _manage(w):
    return f"/r/{w.manage_token}"


def _new_link(w):
    from organizer.services.rsvp import links as rsvp_links

    return f"/r/new-link/{rsvp_links.new_link_token(w.rsvp)}"


def _rsvp(w):
    return {"name": "Zainab", "email": "zainab@example.org", "guests": "1"}


def _list(w):
    return f"/manage/e/{w.event.id}/rsvps"


ROUTES: list[Rule] = [
    Rule("rsvp.submit", "POST", lambda w: "/e/lmc-meeting/rsvp", {}, default=303, data=_rsvp),
    Rule("rsvp.submit", "POST", lambda w: "/e/no-such-event/rsvp", {}, data=_rsvp, id_suffix=" unknown event"),
    Rule("rsvp.thanks", "GET", lambda w: "/e/lmc-meeting/rsvp/thanks", {}, default=200),
    Rule("rsvp.manage", "GET", _manage, {}, default=200),
    Rule("rsvp.manage", "POST", _manage, {}, default=303, data=lambda w: {"guests": "2"}),
    Rule("rsvp.manage", "GET", lambda w: f"/r/{BAD_TOKEN}", {}, id_suffix=" bad token"),
    Rule("rsvp.manage", "POST", lambda w: f"/r/{BAD_TOKEN}", {}, data=lambda w: {"guests": "2"},
         id_suffix=" bad token"),
    Rule("rsvp.new_link", "GET", _new_link, {}, default=200),
    Rule("rsvp.new_link", "POST", _new_link, {}, default=303),
    Rule("rsvp.new_link", "GET", lambda w: f"/r/new-link/{BAD_TOKEN}", {}, id_suffix=" bad link"),
    Rule("rsvp.new_link", "POST", lambda w: f"/r/new-link/{BAD_TOKEN}", {}, id_suffix=" bad link"),
    Rule("rsvp.cancel", "GET", lambda w: f"{_manage(w)}/cancel", {}, default=200),
    Rule("rsvp.cancel", "POST", lambda w: f"{_manage(w)}/cancel", {}, default=303),
    Rule("rsvp.cancel", "GET", lambda w: f"/r/{BAD_TOKEN}/cancel", {}, id_suffix=" bad token"),
    Rule("rsvp.cancel", "POST", lambda w: f"/r/{BAD_TOKEN}/cancel", {}, id_suffix=" bad token"),
    Rule("rsvp.delete", "GET", lambda w: f"{_manage(w)}/delete", {}, default=200),
    Rule("rsvp.delete", "POST", lambda w: f"{_manage(w)}/delete", {}, default=303),
    Rule("rsvp.delete", "GET", lambda w: f"/r/{BAD_TOKEN}/delete", {}, id_suffix=" bad token"),
    Rule("rsvp.delete", "POST", lambda w: f"/r/{BAD_TOKEN}/delete", {}, id_suffix=" bad token"),
    Rule("rsvp.event_ics", "GET", lambda w: "/e/lmc-meeting/calendar.ics", {}, default=200),
    Rule("rsvp.event_ics", "GET", lambda w: "/e/no-such-event/calendar.ics", {}, id_suffix=" unknown event"),
    Rule("rsvp.campaign_ics", "GET", lambda w: "/c/syria/calendar.ics", {}, default=200),
    Rule("rsvp.campaign_ics", "GET", lambda w: "/c/no-such-campaign/calendar.ics", {},
         id_suffix=" unknown campaign"),
    Rule("rsvp.admin_list", "GET", _list, only(COORDINATORS_UP, 200, **NO_ACCOUNT)),
    Rule("rsvp.admin_list", "POST", _list, only(COORDINATORS_UP, 200, **NO_ACCOUNT), data=lambda w: {"q": "a"}),
    Rule("rsvp.admin_remove", "POST", lambda w: f"{_list(w)}/{w.rsvp.id}/remove",
         only(ORGANIZERS_UP, 303, **NO_ACCOUNT), data=lambda w: {"confirm": "yes"}),
    Rule("rsvp.admin_remove", "POST", lambda w: f"{_list(w)}/{w.rsvp.id}/remove",
         only(ORGANIZERS_UP, 200, **NO_ACCOUNT), id_suffix=" asks first"),
    Rule("rsvp.admin_remove", "POST", lambda w: f"{_list(w)}/{w.other_rsvp.id}/remove",
         dict(NO_ACCOUNT), data=lambda w: {"confirm": "yes"}, id_suffix=" rsvp of another event"),
    # Adding an RSVP by hand (by phone, at the desk): organizers and up, like removing one.
    Rule("rsvp.admin_add", "GET", lambda w: f"{_list(w)}/add", only(ORGANIZERS_UP, 200, **NO_ACCOUNT)),
    Rule("rsvp.admin_add", "POST", lambda w: f"{_list(w)}/add", only(ORGANIZERS_UP, 303, **NO_ACCOUNT),
         data=lambda w: {"name": "Phoned In"}),
    Rule("rsvp.admin_add", "GET", lambda w: f"/manage/e/{w.other_event.id}/rsvps/add",
         {**NO_ACCOUNT, "other_organizer": 200, "admin": 200}, id_suffix=" other event"),
    Rule("rsvp.admin_promote", "POST", lambda w: f"{_list(w)}/{w.waitlisted_rsvp.id}/promote",
         only(ORGANIZERS_UP, 303, **NO_ACCOUNT)),
    Rule("rsvp.admin_promote", "POST", lambda w: f"{_list(w)}/{w.other_rsvp.id}/promote",
         dict(NO_ACCOUNT), id_suffix=" rsvp of another event"),
    # Answering requests (events on approval): those who manage RSVPs, organizers and up, like promoting.
    # Coordinators see requests in the list (they may see everyone's data) but can't answer them.
    Rule("rsvp.admin_answer", "POST", lambda w: f"{_list(w)}/answer", only(ORGANIZERS_UP, 303, **NO_ACCOUNT),
         data=lambda w: {"rsvp": str(w.rsvp.id), "decision": "approve"}),
    Rule("rsvp.admin_answer", "POST", lambda w: f"/manage/e/{w.other_event.id}/rsvps/answer",
         {**NO_ACCOUNT, "other_organizer": 303, "admin": 303},
         data=lambda w: {"rsvp": str(w.other_rsvp.id), "decision": "decline", "confirm": "yes"},
         id_suffix=" other event"),
    Rule("rsvp.admin_answer", "POST", lambda w: f"{_list(w)}/answer", only(ORGANIZERS_UP, 200, **NO_ACCOUNT),
         data=lambda w: {"rsvp": str(w.rsvp.id), "decision": "decline"}, id_suffix=" decline asks first"),
    # The supporter's own calendar file: the token is the credential, as for the manage page.
    Rule("rsvp.personal_ics", "GET", lambda w: f"{_manage(w)}/calendar.ics", {}, default=200),
    Rule("rsvp.personal_ics", "GET", lambda w: f"/r/{BAD_TOKEN}/calendar.ics", {}, id_suffix=" bad token"),
]
