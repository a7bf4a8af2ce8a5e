"""The reminder's links and "send the report". /reminder/<signed> is a capability like /r/<token>: whoever
holds the URL answers for that RSVP, whatever else they are; a wrong or forged one is a 404. Sending the
report is for organizers and up (with nothing to send it says so and redirects, the same for each of them)."""

from __future__ import annotations

from tests.authorization.rules import ORGANIZERS_UP, Rule, only

BAD_SIGNED = "not-a-real-signed-link.0123456789abcdefghij.klmnop"
NO_ACCOUNT = {"anonymous": 302, "supporter_link": 302, "door_link": 302}


def _answer(w):
    from organizer.services.reminders.links import reminder_token

    return f"/reminder/{reminder_token(w.rsvp)}"


ROUTES: list[Rule] = [
    Rule("reminders.answer", "GET", _answer, {}, default=200),
    Rule("reminders.answer", "GET", lambda w: f"/reminder/{BAD_SIGNED}", {}, id_suffix=" bad link"),
    Rule("reminders.coming", "GET", lambda w: f"{_answer(w)}/coming", {}, default=200),
    Rule("reminders.coming", "GET", lambda w: f"/reminder/{BAD_SIGNED}/coming", {}, id_suffix=" bad link"),
    Rule("reminders.coming", "POST", lambda w: f"{_answer(w)}/coming", {}, default=303),
    Rule("reminders.coming", "POST", lambda w: f"/reminder/{BAD_SIGNED}/coming", {}, id_suffix=" bad link"),
    Rule("reminders.cant_make_it", "GET", lambda w: f"{_answer(w)}/cancel", {}, default=200),
    Rule("reminders.cant_make_it", "POST", lambda w: f"{_answer(w)}/cancel", {}, default=303),
    Rule("reminders.cant_make_it", "GET", lambda w: f"/reminder/{BAD_SIGNED}/cancel", {}, id_suffix=" bad link"),
    Rule("reminders.cant_make_it", "POST", lambda w: f"/reminder/{BAD_SIGNED}/cancel", {},
         id_suffix=" bad link"),
    Rule("reminders.send_report", "POST", lambda w: f"/manage/e/{w.event.id}/send-report",
         only(ORGANIZERS_UP, 303, **NO_ACCOUNT)),
    Rule("reminders.send_report", "POST", lambda w: f"/manage/e/{w.other_event.id}/send-report",
         {**NO_ACCOUNT, "other_organizer": 303, "admin": 303}, id_suffix=" other event"),
]
