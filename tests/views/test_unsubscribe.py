"""The unsubscribe link (issue 10.7): a GET changes nothing, the one-click POST works with no session and no
CSRF token (RFC 8058), undoing needs a CSRF token, and the organizers' list says "no campaign mail"."""

from __future__ import annotations

from sqlalchemy import select

from organizer.extensions import db
from organizer.models import MailUnsubscribe
from organizer.models.campaign import Role
from organizer.services.mail import unsubscribe
from tests import builders
from tests.security.helpers import tampered

ADDRESS = "amina@example.org"


def _link(campaign, address=ADDRESS) -> str:
    return f"/unsubscribe/{unsubscribe.unsubscribe_token(campaign.id, address)}"


def test_opening_the_link_changes_nothing(client, campaign):
    page = client.get(_link(campaign))
    assert page.status_code == 200
    assert "Stop emails from" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert not unsubscribe.is_unsubscribed(campaign, ADDRESS)


def test_one_click_post_without_a_session_or_csrf_token_unsubscribes(app, campaign):
    assert app.config["WTF_CSRF_ENABLED"]
    mail_client = app.test_client()  # a mail provider's server: no cookie, no session, no token
    response = mail_client.post(_link(campaign), data="List-Unsubscribe=One-Click",
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "You're unsubscribed" in response.get_data(as_text=True)
    assert unsubscribe.is_unsubscribed(campaign, ADDRESS)
    again = app.test_client().post(_link(campaign), data={"List-Unsubscribe": "One-Click"})  # multipart too
    assert again.status_code == 200
    assert db.session.scalar(select(db.func.count(MailUnsubscribe.id))) == 1


def test_a_forged_link_is_a_404_and_changes_nothing(client, campaign):
    token = unsubscribe.unsubscribe_token(campaign.id, ADDRESS)
    forged = f"/unsubscribe/{tampered(token)}"
    assert client.get(forged).status_code == 404
    assert client.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code == 404
    assert db.session.scalar(select(MailUnsubscribe)) is None


def test_undo_needs_the_pages_csrf_token(client, campaign):
    client.post(_link(campaign))
    assert client.post(f"{_link(campaign)}/undo").status_code == 400
    assert unsubscribe.is_unsubscribed(campaign, ADDRESS)
    page = client.get(_link(campaign)).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = client.post(f"{_link(campaign)}/undo", data={"csrf_token": token})
    assert response.status_code == 303
    assert not unsubscribe.is_unsubscribed(campaign, ADDRESS)
    assert "again" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_organizers_list_shows_no_campaign_mail(client, login, owner, campaign):
    event = builders.make_event(campaign)
    builders.make_rsvp(event, name="Amina", email=ADDRESS)
    builders.make_rsvp(event, name="Basel", email="basel@example.org")
    builders.make_rsvp(event, name="Walkin", email=None)
    coordinator = builders.make_user()
    builders.make_membership(campaign, coordinator, Role.COORDINATOR)
    client.post(_link(campaign, "AMINA@example.org"))
    login(coordinator)
    html = client.get(f"/manage/e/{event.id}/rsvps").get_data(as_text=True)
    assert html.count("no campaign mail") == 1
    row = html.split("Amina", 1)[1].split("</tr>", 1)[0]
    assert "no campaign mail" in row
