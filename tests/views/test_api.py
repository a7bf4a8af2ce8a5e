"""The public API (issue 13 point 5): its OpenAPI document validates, every documented endpoint answers
as documented, nothing personal and nothing hidden comes out, cursors are validated, CORS and caching."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from organizer.models import CoverageRelation, EventStatus, Role, Visibility
from organizer.services.open_data import cursors
from organizer.timeutil import utcnow
from tests import builders

SECRET_STRINGS = ["Rosa Secret", "rosa.secret@example.org", "+44 7700 900123", "Simon Assaf",
                  "owner-secret@example.org", "coordinator-secret@example.org", "Hidden draft meeting",
                  "Unlisted house meeting", "draft-secret", "unlisted-secret"]
PERSONAL_KEYS = {"email", "phone", "author", "user", "users", "members", "member", "rsvps", "attendees",
                 "guests", "supporters", "token", "password", "created_by", "checked_in"}


@pytest.fixture
def world():
    owner = builders.make_user("owner-secret@example.org")
    campaign = builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")
    builders.make_membership(campaign, builders.make_user("coordinator-secret@example.org"), Role.COORDINATOR)
    soon = (utcnow() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    events = [builders.make_event(campaign, slug=f"meeting-{index}", title=f"Meeting {index}",
                                  starts_at=soon + timedelta(days=index)) for index in range(5)]
    past = builders.make_event(campaign, slug="last-year", title="Last year",
                               starts_at=soon - timedelta(days=365))
    cancelled = builders.make_event(campaign, slug="called-off", status=EventStatus.CANCELLED,
                                    starts_at=soon + timedelta(days=10))
    builders.make_event(campaign, slug="draft-secret", title="Hidden draft meeting", status=EventStatus.DRAFT,
                        starts_at=soon)
    builders.make_event(campaign, slug="unlisted-secret", title="Unlisted house meeting",
                        visibility=Visibility.UNLISTED, starts_at=soon)
    article = builders.make_coverage(campaign)  # by "Simon Assaf": an author is a person, never in the API
    builders.link_coverage(events[0], article, CoverageRelation.PROMPTED_BY)
    report = builders.make_coverage(campaign, headline="Hundreds rally", published_on=None,
                                    url="https://example.org/report")
    builders.link_coverage(past, report, CoverageRelation.REPORT)
    builders.make_coverage(campaign, headline="Undated and unlinked", published_on=None,
                           url="https://example.org/private-research")
    for event in events + [past]:
        builders.make_rsvp(event, name="Rosa Secret", email="rosa.secret@example.org", phone="+44 7700 900123")
    # A campaign with nothing public is not listed at all.
    builders.make_campaign(slug="quiet-campaign", name="Quiet campaign")
    return dict(campaign=campaign, events=events, past=past, cancelled=cancelled)


def get_json(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/json"
    return response, response.get_json()


def spec_of(client) -> dict:
    return get_json(client, "/api/v1/openapi.json")[1]


def check(spec: dict, schema: dict, document) -> None:
    # The schema's $refs point into the OpenAPI document: validate against it as the root.
    Draft202012Validator({**schema, "components": spec["components"]}).validate(document)


def test_the_openapi_document_validates_and_is_served_with_a_page_to_read(client, world):
    spec = spec_of(client)
    validate(spec)  # raises on any error (OpenAPI 3.1)
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/api/v1/campaigns", "/api/v1/campaigns/{slug}", "/api/v1/campaigns/{slug}/events",
        "/api/v1/campaigns/{slug}/coverage", "/api/v1/events", "/api/v1/events/{slug}"}
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for path in spec["paths"]:
        assert f"GET {path}" in text


def test_every_documented_endpoint_answers_as_documented(client, world):
    spec = spec_of(client)
    values = {"/api/v1/events/{slug}": "/api/v1/events/meeting-0"}
    for path, operations in spec["paths"].items():
        operation = operations["get"]
        url = values.get(path, path).replace("{slug}", "syria")
        params = {parameter["name"] for parameter in operation["parameters"]}
        response, body = get_json(client, url)
        check(spec, operation["responses"]["200"]["content"]["application/json"]["schema"], body)
        assert response.headers["ETag"] and "public" in response.headers["Cache-Control"]
        if "slug" in params:
            _, missing = get_json(client, path.replace("{slug}", "no-such-thing"), status=404)
            check(spec, operation["responses"]["404"]["content"]["application/json"]["schema"], missing)
        if "cursor" in params:
            _, refused = get_json(client, url + "?cursor=not-a-cursor", status=400)
            check(spec, operation["responses"]["400"]["content"]["application/json"]["schema"], refused)
            assert "cursor" in refused["message"]
        if "when" in params:
            for when in ("upcoming", "past", "all"):
                _, body = get_json(client, f"{url}?when={when}")
                check(spec, operation["responses"]["200"]["content"]["application/json"]["schema"], body)
            get_json(client, url + "?when=tomorrow", status=400)


def _walk(value, keys: set[str]) -> None:
    if isinstance(value, dict):
        keys.update(value)
        for item in value.values():
            _walk(item, keys)
    elif isinstance(value, list):
        for item in value:
            _walk(item, keys)


def _every_response(client) -> list[str]:
    """Every page of every endpoint, followed cursor by cursor one item at a time."""
    bodies = []
    urls = ["/api/v1/campaigns", "/api/v1/campaigns/syria", "/api/v1/events", "/api/v1/events/meeting-0",
            "/api/v1/events/last-year", "/api/v1/events/called-off", "/api/v1/campaigns/syria/coverage"]
    urls += [f"/api/v1/{base}?when={when}" for base in ("events", "campaigns/syria/events")
             for when in ("upcoming", "past", "all")]
    for url in urls:
        response, body = get_json(client, url)
        bodies.append(response.get_data(as_text=True))
        if "next_cursor" not in body:
            continue
        joiner = "&" if "?" in url else "?"
        cursor = ""
        while cursor is not None:
            response, body = get_json(client, f"{url}{joiner}limit=1&cursor={cursor}" if cursor
                                      else f"{url}{joiner}limit=1")
            bodies.append(response.get_data(as_text=True))
            cursor = body["next_cursor"]
    return bodies


def test_no_personal_data_and_nothing_hidden_in_any_response(client, world):
    bodies = _every_response(client)
    assert len(bodies) > 20
    keys: set[str] = set()
    for body in bodies:
        for secret in SECRET_STRINGS:
            assert secret not in body
        _walk(json.loads(body), keys)
    assert not keys & PERSONAL_KEYS
    whole = "".join(bodies)
    assert "private-research" not in whole  # an undated article no listed event links to stays private
    assert "quiet-campaign" not in whole  # a campaign with nothing public is not listed
    for slug in ("draft-secret", "unlisted-secret"):
        get_json(client, f"/api/v1/events/{slug}", status=404)
    get_json(client, "/api/v1/campaigns/quiet-campaign", status=404)


def test_cursor_pages_cover_every_event_once_in_order(client, world):
    seen, cursor = [], None
    while True:
        url = "/api/v1/campaigns/syria/events?when=all&limit=2" + (f"&cursor={cursor}" if cursor else "")
        _, body = get_json(client, url)
        seen += [item["slug"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)  # opaque and safe in a URL
    assert seen == ["last-year"] + [f"meeting-{index}" for index in range(5)] + ["called-off"]
    _, past = get_json(client, "/api/v1/events?when=past")
    assert [item["slug"] for item in past["items"]] == ["last-year"]
    assert past["items"][0]["coverage"][0]["relation"] == "report"


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "%FF%FE", "====", "a" * 500, "!!!", _b64("just a string"), _b64(["events:*:upcoming", "2030-01-01T00:00:00"]),
    _b64(["campaigns", None, 1]),  # a cursor of another list
    _b64(["events:*:upcoming", "yesterday", 1]), _b64(["events:*:upcoming", "2030-01-01T00:00:00", 2**63]),
    _b64(["events:*:upcoming", "2030-01-01T00:00:00", -1]), _b64(["events:*:upcoming", "2030-01-01T00:00:00", "1"]),
    _b64(["events:*:upcoming", "2030-01-01T00:00:00+05:00", 1]), _b64(["events:*:upcoming", 2030, 1]),
    _b64(["events:*:upcoming", "2030-01-01T00:00:00", True]), _b64({"k": 1}),
    base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
])
def test_a_bad_cursor_is_a_400_in_json_never_a_500(client, world, cursor):
    response = client.get(f"/api/v1/events?cursor={cursor}")
    assert response.status_code in (400,), response.get_data(as_text=True)[:200]
    if response.mimetype == "application/json":
        assert set(response.get_json()) == {"error", "message"}


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1e3", "٣"])
def test_a_bad_limit_is_a_400(client, world, limit):
    _, body = get_json(client, f"/api/v1/events?limit={limit}", status=400)
    assert "limit" in body["message"]


def test_cursors_round_trip_and_refuse_another_lists():
    cursor = cursors.encode("events:*:all", utcnow().replace(microsecond=0), 7)
    assert cursors.decode("events:*:all", cursor, type(utcnow()))[1] == 7
    with pytest.raises(Exception, match="cursor"):
        cursors.decode("events:3:all", cursor, type(utcnow()))


def test_cors_for_any_origin_without_credentials_and_no_cookie(client, world):
    response = client.get("/api/v1/events", headers={"Origin": "https://mosque.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Set-Cookie" not in response.headers
    preflight = client.options("/api/v1/events", headers={
        "Origin": "https://mosque.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]


def test_etag_revalidation_answers_304(client, world):
    first = client.get("/api/v1/campaigns/syria")
    assert first.headers["Cache-Control"].startswith("public") and "max-age=" in first.headers["Cache-Control"]
    again = client.get("/api/v1/campaigns/syria", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_event_document_carries_times_in_its_zone_and_its_coverage(client, world):
    _, event = get_json(client, "/api/v1/events/meeting-0")
    assert event["timezone"] == "Europe/London"
    assert re.search(r"[+-]\d\d:\d\d$", event["starts_at"])
    assert event["url"].endswith("/e/meeting-0")
    assert [link["relation"] for link in event["coverage"]] == ["prompted_by"]
    assert event["coverage"][0]["article"]["headline"] == "Syrians defy assault on Homs"


def test_unknown_api_path_is_json(client):
    _, body = get_json(client, "/api/v1/nothing-here", status=404)
    assert set(body) == {"error", "message"}
