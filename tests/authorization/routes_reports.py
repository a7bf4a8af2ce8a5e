"""Reports routes: turnout (coordinator and up), exports (coordinator and up, POST with CSRF), the export log (owners)."""

from __future__ import annotations

from tests.authorization.rules import COORDINATORS_UP, OWNERS, Rule, only

SIGNED_OUT = {"anonymous": 302, "supporter_link": 302, "door_link": 302}
COORDINATORS = only(COORDINATORS_UP, 200, **SIGNED_OUT)


def _export_data(target):
    def data(w) -> dict:
        return {"target": target(w), "statuses": ["going"], "checked_in": "any", "preset": "names",
                "file_format": "csv"}
    return data


ROUTES: list[Rule] = [
    Rule("reports.event_turnout", "GET", lambda w: f"/manage/e/{w.event.id}/turnout", COORDINATORS),
    Rule("reports.event_turnout", "GET", lambda w: f"/manage/e/{w.other_event.id}/turnout",
         {**SIGNED_OUT, "other_organizer": 200, "admin": 200}, id_suffix=" other campaign"),
    Rule("reports.campaign_turnout", "GET", lambda w: f"/manage/c/{w.campaign.slug}/turnout", COORDINATORS),
    Rule("reports.export", "GET", lambda w: f"/manage/c/{w.campaign.slug}/export", COORDINATORS),
    Rule("reports.export", "POST", lambda w: f"/manage/c/{w.campaign.slug}/export", COORDINATORS,
         data=_export_data(lambda w: "campaign")),
    Rule("reports.export", "POST", lambda w: f"/manage/c/{w.campaign.slug}/export",
         only(COORDINATORS_UP, 200, **SIGNED_OUT), data=_export_data(lambda w: str(w.event.id)),
         id_suffix=" one event"),
    # Another campaign's event is not a choice here: the form refuses it (400), nothing is exported.
    Rule("reports.export", "POST", lambda w: f"/manage/c/{w.campaign.slug}/export",
         only(COORDINATORS_UP, 400, **SIGNED_OUT), data=_export_data(lambda w: str(w.other_event.id)),
         id_suffix=" other campaign's event"),
    Rule("reports.audit", "GET", lambda w: f"/manage/c/{w.campaign.slug}/audit", only(OWNERS, 200, **SIGNED_OUT)),
]
