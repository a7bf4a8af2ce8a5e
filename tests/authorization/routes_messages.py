"""Messages to a segment: owners and organizers only (coordinators and the door may not write to people)."""

from __future__ import annotations

from tests.authorization.rules import ORGANIZERS_UP, Rule, only

ANON = {"anonymous": 302, "supporter_link": 302, "door_link": 302}


def _draft(segments: list[str], step: str, **extra: str):
    def data(w) -> dict:
        return {"segments": segments, "subject": "We moved", "body": "Next door.", step: "x", **extra}
    return data


ROUTES: list[Rule] = [
    Rule("messages.event_message", "GET", lambda w: f"/manage/e/{w.event.id}/message", only(ORGANIZERS_UP, 200, **ANON)),
    Rule("messages.event_message", "POST", lambda w: f"/manage/e/{w.event.id}/message",
         only(ORGANIZERS_UP, 200, **ANON), data=_draft(["going"], "preview")),
    Rule("messages.event_message", "POST", lambda w: f"/manage/e/{w.event.id}/message",
         only(ORGANIZERS_UP, 303, **ANON), data=_draft(["going", "waitlisted"], "send",
                                                       idempotency_key="matrix-key-0123456789"),
         id_suffix=" send"),
    Rule("messages.event_message", "GET", lambda w: f"/manage/e/{w.other_event.id}/message",
         {**ANON, "other_organizer": 200, "admin": 200}, id_suffix=" other campaign"),
    Rule("messages.campaign_message", "GET", lambda w: f"/manage/c/{w.campaign.slug}/message",
         only(ORGANIZERS_UP, 200, **ANON)),
    Rule("messages.campaign_message", "POST", lambda w: f"/manage/c/{w.campaign.slug}/message",
         only(ORGANIZERS_UP, 200, **ANON), data=_draft(["consented"], "preview")),
]
