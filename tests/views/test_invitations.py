"""Invitations through HTTP: the owner's page says the same for any address; the link page lets the
invitee create the account or sign in; refused links say why; withdrawing stops the link."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import AccessEntry, Invitation, Membership, Role, User
from organizer.services.accounts import two_factor
from organizer.services.campaigns import invitations
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import last_link, path_of
from tests.security.helpers import csrf, is_signed_in, sign_in


@pytest.fixture
def team():
    return builders.make_team("organizer")


def body(response) -> str:
    return response.get_data(as_text=True)


def text(response) -> str:
    """The page without tags (names and addresses are bidi-isolated in <bdi>)."""
    return re.sub(r"<[^>]+>", "", body(response))


def invite(client, email, role="coordinator"):
    return client.post("/manage/c/syria/invitations", data={"email": email, "role": role}, follow_redirects=True)


def test_the_owners_page_says_the_same_whether_or_not_the_address_has_an_account(client, login, no_csrf, team):
    builders.make_user("known@example.org", name="Known")
    login(team["owner"])
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        response = client.post("/manage/c/syria/invitations", data={"email": email, "role": "coordinator"})
        page = body(client.get(response.headers["Location"]))
        flash = page.split('class="flash', 1)[1].split("</p>", 1)[0]
        answers.append((response.status_code, response.headers["Location"], flash.replace(email, "X")))
    assert answers[0] == answers[1]
    unknown = body(client.get("/manage/c/syria/members"))
    assert "Invitation sent to X (Coordinator)" in answers[1][2]
    assert "Invitations waiting" in unknown and "There is no account" not in unknown


@pytest.mark.parametrize(("email", "message"), [
    ("not an email", "email address"),
    ("", "Enter the email address to send the invitation to."),
    ("a" * 250 + "@example.org", "Use at most 254 characters."),
    ("org@example.org", "org@example.org is already a member of this campaign."),
])
def test_bad_invitations_explain_what_went_wrong_and_keep_the_address(client, login, no_csrf, team, email, message):
    login(team["owner"])
    response = client.post("/manage/c/syria/invitations", data={"email": email, "role": "door"})
    assert response.status_code == 400 and message in body(response)
    assert db.session.scalar(select(Invitation.id)) is None


def test_a_new_account_joins_through_the_link(client, login, no_csrf, team):
    login(team["owner"])
    invite(client, "nadia@example.org")
    path = path_of(last_link("nadia@example.org", "/invite/"))
    newcomer = client.application.test_client()
    page = body(newcomer.get(path))
    assert "Create your account" in page and "nadia@example.org" in page
    response = newcomer.post(path, data={"new-name": "Nadia", "new-password": "a-long-password",
                                         "new-confirm": "a-long-password"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/manage/c/syria")
    user = db.session.scalar(select(User).where(User.email == "nadia@example.org"))
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == user.id)) is Role.COORDINATOR
    assert "Welcome to" in body(newcomer.get("/manage/c/syria"))
    again = newcomer.get(path)
    assert again.status_code == 410 and "already used" in body(again)


def test_a_new_account_form_keeps_the_name_and_says_what_is_wrong(client, login, no_csrf, team):
    login(team["owner"])
    invite(client, "nadia@example.org")
    path = path_of(last_link("nadia@example.org", "/invite/"))
    other = client.application.test_client()
    response = other.post(path, data={"new-name": "Nadia", "new-password": "short", "new-confirm": "short"})
    assert response.status_code == 400
    assert "Use between 8 and 256 characters." in body(response) and 'value="Nadia"' in body(response)


def test_an_existing_account_is_asked_to_sign_in_and_then_joins(client, login, no_csrf, team):
    user = builders.make_user("nadia@example.org", name="Nadia")
    login(team["owner"])
    invite(client, "nadia@example.org")
    path = path_of(last_link("nadia@example.org", "/invite/"))
    other = client.application.test_client()
    page = body(other.get(path))
    assert "Sign in to accept" in page and "Create your account" not in page
    post = other.post(path, data={"new-name": "Mallory", "new-password": "a-long-password",
                                  "new-confirm": "a-long-password"})
    assert post.status_code == 400  # no second account for the address
    login(user, on=other)
    assert "Join the campaign" in body(other.get(path))
    assert other.post(path).status_code == 303
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == user.id)) is Role.COORDINATOR


def test_another_account_cannot_use_the_link(client, login, no_csrf, team):
    login(team["owner"])
    invite(client, "nadia@example.org")
    path = path_of(last_link("nadia@example.org", "/invite/"))
    other = login(team["organizer"], on=client.application.test_client())
    assert "This invitation is for nadia@example.org" in text(other.get(path))
    response = other.post(path, follow_redirects=True)
    assert "This invitation is for another email address." in body(response)
    assert db.session.scalar(select(Invitation.accepted_at)) is None


def test_withdrawn_and_expired_links_are_refused_with_a_clear_page(client, login, no_csrf, team):
    login(team["owner"])
    invite(client, "nadia@example.org")
    path = path_of(last_link("nadia@example.org", "/invite/"))
    invitation = db.session.scalar(select(Invitation))
    response = client.post(f"/manage/c/syria/invitations/{invitation.id}/withdraw", follow_redirects=True)
    assert "was withdrawn" in body(response) and "No invitations waiting." in body(response)
    refused = client.application.test_client().get(path)
    assert refused.status_code == 410 and "It was withdrawn" in body(refused)
    assert client.post(f"/manage/c/syria/invitations/{invitation.id}/withdraw").status_code == 404

    invite(client, "sami@example.org")
    path = path_of(last_link("sami@example.org", "/invite/"))
    later = db.session.scalar(select(Invitation).where(Invitation.email == "sami@example.org"))
    later.expires_at = later.created_at - timedelta(seconds=1)
    db.session.commit()
    refused = client.application.test_client().get(path)
    assert refused.status_code == 410 and "It has expired" in body(refused)
    unknown = client.application.test_client().get("/invite/" + "x" * 43)
    assert unknown.status_code == 404 and "not known" in body(unknown)


def test_looking_at_the_rsvp_list_is_logged_once_a_day(client, login, team):
    event = builders.make_event(team["campaign"])
    login(team["organizer"])
    assert client.get(f"/manage/e/{event.id}/rsvps").status_code == 200
    assert client.get(f"/manage/e/{event.id}/rsvps").status_code == 200
    assert [entry.kind for entry in db.session.scalars(select(AccessEntry))] == ["list_view"]


def test_an_invitation_does_not_skip_the_second_sign_in_step(client, login, team):
    """A two-factor account half signed in (password only) is still signed out on the invitation page:
    it can't join, can't make a second account for its address, and the code brings it back to the link."""
    user = builders.make_user("nadia@example.org", name="Nadia")
    two_factor.start_setup(user)
    two_factor.enable(user, pyotp.TOTP(user.totp_secret).at(utcnow() - timedelta(seconds=30)),
                      now=utcnow() - timedelta(seconds=30))
    db.session.commit()
    tokens: list[str] = []
    invitations.invite(team["owner"], team["campaign"], "nadia@example.org", "coordinator",
                       accept_link=lambda token: tokens.append(token) or token)
    db.session.commit()
    path = f"/invite/{tokens[0]}"
    response = sign_in(client, "nadia@example.org", builders.DEFAULT_PASSWORD, next_url=path)
    assert response.headers["Location"].endswith("/auth/two-factor") and not is_signed_in(client)
    page = body(client.get(path))
    assert "Sign in to accept" in page and "Join the campaign" not in page
    token = csrf(client, "/auth/login")
    refused = client.post(path, data={"join-csrf_token": token, "new-csrf_token": token, "new-name": "N", "new-password": "a-long-password",
                                      "new-confirm": "a-long-password"})
    assert refused.status_code == 400
    assert db.session.scalar(select(Membership.id).where(Membership.user_id == user.id)) is None
    done = client.post("/auth/two-factor", data={"csrf_token": csrf(client, "/auth/login"),
                                                 "code": pyotp.TOTP(user.totp_secret).now()})
    assert done.headers["Location"] == path
    assert "Join the campaign" in body(client.get(path))
