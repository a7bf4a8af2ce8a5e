"""Pages with personal data are never stored by a browser or a shared cache: Cache-Control: no-store."""

from __future__ import annotations

import pytest

from organizer.models import Role
from tests import builders
from tests.security.helpers import csrf


@pytest.fixture
def setup(client, login):
    owner = builders.make_user("owner@example.org")
    campaign = builders.make_campaign(owner=owner, slug="syria")
    event = builders.make_event(campaign, slug="lmc-meeting")
    rsvp, manage_token, ticket_token = builders.make_rsvp(event, name="Amina", email="amina@example.org")
    door = builders.make_user("door@example.org")
    builders.make_membership(campaign, door, Role.DOOR)
    return dict(owner=owner, campaign=campaign, event=event, rsvp=rsvp, manage_token=manage_token,
                ticket_token=ticket_token, door=door)


def assert_no_store(response, what):
    assert response.status_code == 200, f"{what}: {response.status_code}"
    assert response.headers["Cache-Control"] == "no-store", f"{what}: {response.headers['Cache-Control']}"


def test_a_supporters_private_pages_are_not_stored(client, setup):
    token = setup["manage_token"]
    for path in (f"/r/{token}", f"/r/{token}/cancel", f"/r/{token}/delete"):
        assert_no_store(client.get(path), path)


def test_organizer_lists_are_not_stored(client, login, setup):
    login(setup["owner"])
    event_id, slug = setup["event"].id, setup["campaign"].slug
    for path in ("/manage/", f"/manage/c/{slug}", f"/manage/e/{event_id}", f"/manage/e/{event_id}/rsvps",
                 f"/manage/e/{event_id}/turnout", f"/manage/c/{slug}/turnout", f"/manage/c/{slug}/members",
                 f"/manage/c/{slug}/export", f"/manage/c/{slug}/audit", f"/manage/e/{event_id}/door-links"):
        assert_no_store(client.get(path), path)


def test_exports_are_not_stored(client, login, setup):
    login(setup["owner"])
    slug = setup["campaign"].slug
    for file_format in ("csv", "xlsx"):
        response = client.post(f"/manage/c/{slug}/export", data={
            "csrf_token": csrf(client, f"/manage/c/{slug}/export"), "target": str(setup["event"].id),
            "statuses": ["going"], "checked_in": "any", "preset": "contact", "file_format": file_format})
        assert_no_store(response, f"export {file_format}")
        assert response.headers["Content-Disposition"].startswith("attachment")


def test_the_door_list_and_tickets_are_not_stored(client, login, setup):
    login(setup["door"])
    event_id = setup["event"].id
    for path in (f"/door/e/{event_id}", f"/door/e/{event_id}/print", f"/door/e/{event_id}?q=Ami",
                 f"/t/{setup['ticket_token']}"):
        response = client.get(path)
        assert_no_store(response, path)
        assert "Amina" in response.get_data(as_text=True), path  # the page really holds personal data


def test_signed_in_views_of_public_pages_are_not_stored(client, login, setup):
    """The header of a signed-in page names the account; such a page must not be cached either."""
    login(setup["owner"])
    for path in ("/", f"/c/{setup['campaign'].slug}", f"/e/{setup['event'].slug}"):
        assert_no_store(client.get(path), path)
