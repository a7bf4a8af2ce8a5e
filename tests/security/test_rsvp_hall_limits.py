"""A hall full of people on one Wi-Fi: many real RSVPs from one address pass; junk from it is stopped."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from organizer.extensions import db, limiter
from organizer.models import Rsvp
from tests import builders

HALL = "203.0.113.7"


@pytest.fixture
def hall_app(limited_app):
    """The deployed RSVP limits (config defaults), with the limiter on and fresh counts."""
    app = limited_app()
    with app.app_context():
        limiter.reset()
    yield app
    limiter.reset()


def post(client, slug, ip=HALL, **data):
    return client.post(f"/e/{slug}/rsvp", data=data, environ_base={"REMOTE_ADDR": ip})


def test_200_different_supporters_rsvp_from_one_address_within_a_minute(hall_app):
    builders.make_event(builders.make_campaign(), slug="hall", capacity=500)
    client = hall_app.test_client()
    codes = [post(client, "hall", name=f"Supporter {n}", email=f"supporter{n}@example.org").status_code
             for n in range(200)]
    assert codes == [303] * 200
    assert db.session.scalar(select(func.count()).select_from(Rsvp)) == 200


def test_a_flood_of_junk_from_one_client_is_stopped_and_the_form_is_kept(hall_app):
    builders.make_event(builders.make_campaign(), slug="hall")
    client = hall_app.test_client()
    junk = [post(client, "hall", name="", email=f"not-an-address-{n}").status_code for n in range(20)]
    assert junk == [400] * 20
    response = post(client, "hall", name="Rania Haddad", email="rania@example.org")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many RSVPs came from your network" in html
    assert 'value="Rania Haddad"' in html and 'value="rania@example.org"' in html
    # Another network is not affected.
    assert post(client, "hall", ip="198.51.100.4", name="Rania", email="rania@example.org").status_code == 303


def test_one_email_address_cannot_be_used_to_flood_an_event(hall_app):
    builders.make_event(builders.make_campaign(), slug="hall")
    client = hall_app.test_client()
    codes = [post(client, "hall", ip=f"198.51.100.{n}", name=f"Name {n}", email="same@example.org").status_code
             for n in range(11)]
    assert codes[:10] == [303] * 10 and codes[10] == 429
    assert post(client, "hall", name="Someone else", email="other@example.org").status_code == 303
