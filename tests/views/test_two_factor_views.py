"""Two-factor sign-in through HTTP: the code step after the password, grants nothing before it,
throttling, no way around it (reset, other routes), and a campaign that requires it."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from organizer.extensions import db
from organizer.models import Role
from organizer.services.accounts import accounts, two_factor
from organizer.timeutil import utcnow
from tests import builders
from tests.security.helpers import csrf, is_signed_in, sign_in


def with_two_factor(email="sam@example.org"):
    user = builders.make_user(email)
    two_factor.start_setup(user)
    codes = two_factor.enable(user, pyotp.TOTP(user.totp_secret).at(utcnow() - timedelta(seconds=30)),
                              now=utcnow() - timedelta(seconds=30))
    db.session.commit()
    return user, codes


def send_code(client, code):
    return client.post("/auth/two-factor", data={"csrf_token": csrf(client, "/auth/login"), "code": code})


def test_the_password_alone_signs_in_nobody(client, campaign):
    user, _ = with_two_factor()
    response = sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD, next_url=f"/manage/c/{campaign.slug}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/auth/two-factor")
    assert not is_signed_in(client)
    assert client.get("/manage/").status_code == 302  # half signed in is signed out everywhere
    page = client.get("/auth/two-factor").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    wrong = send_code(client, "000000" if pyotp.TOTP(user.totp_secret).now() != "000000" else "111111")
    assert wrong.status_code == 401 and "That code isn&#39;t right" in wrong.get_data(as_text=True)
    assert not is_signed_in(client)
    response = send_code(client, pyotp.TOTP(user.totp_secret).now())
    assert response.status_code == 303 and response.headers["Location"] == f"/manage/c/{campaign.slug}"
    assert is_signed_in(client)


def test_a_recovery_code_signs_in_once(client):
    _, codes = with_two_factor()
    sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    assert send_code(client, codes[0]).status_code == 303
    assert is_signed_in(client)
    other = client.application.test_client()
    sign_in(other, "sam@example.org", builders.DEFAULT_PASSWORD)
    assert send_code(other, codes[0]).status_code == 401
    assert not is_signed_in(other)


def test_the_code_step_runs_out_and_needs_the_password_again(client, monkeypatch):
    user, _ = with_two_factor()
    sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    import organizer.auth.views as auth_views
    real_time = auth_views.time.time
    monkeypatch.setattr(auth_views.time, "time", lambda: real_time() + auth_views.PENDING_SECONDS + 1)
    response = send_code(client, pyotp.TOTP(user.totp_secret).now())
    assert response.status_code == 303 and response.headers["Location"].endswith("/auth/login")
    assert not is_signed_in(client)


def test_signing_out_everywhere_voids_a_half_finished_sign_in(client):
    user, _ = with_two_factor()
    sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    accounts.end_all_sessions(user)  # e.g. the password was reset meanwhile
    db.session.commit()
    response = send_code(client, pyotp.TOTP(user.totp_secret).now())
    assert response.headers["Location"].endswith("/auth/login") and not is_signed_in(client)


def test_a_password_reset_does_not_sign_in_past_the_second_step(client):
    user, _ = with_two_factor()
    token = accounts.create_reset_token(user, timedelta(hours=1))
    db.session.commit()
    path = f"/auth/reset/{token}"
    response = client.post(path, data={"csrf_token": csrf(client, path), "new_password": "a brand new passphrase",
                                       "confirm": "a brand new passphrase"})
    assert response.status_code == 303 and not is_signed_in(client)
    response = sign_in(client, "sam@example.org", "a brand new passphrase")
    assert response.headers["Location"].endswith("/auth/two-factor") and not is_signed_in(client)


def test_setting_up_in_the_account_page_and_turning_it_off(client, login):
    user = builders.make_user("noor@example.org")
    login(user)
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    db.session.refresh(user)
    assert "<svg" in page and user.totp_secret in page and not user.has_two_factor
    response = client.post("/auth/two-factor/setup", data={
        "csrf_token": csrf(client, "/auth/password"), "code": pyotp.TOTP(user.totp_secret).now()})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your recovery codes" in html
    assert response.headers["Cache-Control"] == "no-store"
    assert html.count("<li><code>") == 10
    db.session.refresh(user)
    assert user.has_two_factor
    assert is_signed_in(client)  # the session was renewed, not ended
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    assert "Two-factor sign-in is on" in page and "10 unused recovery codes" in page
    response = client.post("/auth/two-factor/disable", data={"csrf_token": csrf(client, "/auth/password"),
                                                             "password_or_code": "wrong"})
    assert response.status_code == 400
    response = client.post("/auth/two-factor/disable", data={"csrf_token": csrf(client, "/auth/password"),
                                                             "password_or_code": builders.DEFAULT_PASSWORD})
    assert response.status_code == 303
    db.session.refresh(user)
    assert not user.has_two_factor


@pytest.mark.parametrize("role, sent_away", [(Role.COORDINATOR, True), (Role.ORGANIZER, True), (Role.DOOR, False)])
def test_a_campaign_that_requires_it_sends_members_to_set_it_up(client, login, campaign, role, sent_away):
    campaign.two_factor_required = True
    event = builders.make_event(campaign)
    member = builders.make_user()
    builders.make_membership(campaign, member, role)
    db.session.commit()
    login(member)
    paths = [f"/manage/c/{campaign.slug}", f"/manage/e/{event.id}", f"/door/e/{event.id}"]
    if role is not Role.DOOR:
        paths += [f"/manage/e/{event.id}/rsvps", f"/manage/c/{campaign.slug}/turnout", f"/manage/c/{campaign.slug}/export"]
    for path in paths:
        response = client.get(path)
        if sent_away:
            assert response.status_code == 303, path
            assert response.headers["Location"].startswith("/auth/two-factor/setup?next="), path
        else:
            assert response.status_code == 200, path
    if sent_away:
        # Setting it up brings them back to where they were going.
        page = client.get(f"/auth/two-factor/setup?next=/manage/c/{campaign.slug}").get_data(as_text=True)
        assert "Set up two-factor sign-in" in page
        db.session.refresh(member)
        response = client.post(f"/auth/two-factor/setup?next=/manage/c/{campaign.slug}", data={
            "csrf_token": csrf(client, "/auth/password"), "code": pyotp.TOTP(member.totp_secret).now()})
        assert f'href="/manage/c/{campaign.slug}"' in response.get_data(as_text=True)
        for path in paths:
            assert client.get(path).status_code == 200, path


def test_an_owner_must_have_it_before_requiring_it(client, login, owner, campaign):
    login(owner)
    path = f"/manage/c/{campaign.slug}/edit"
    data = {"csrf_token": csrf(client, path), "name": campaign.name, "default_timezone": "Europe/London",
            "two_factor_required": "y"}
    response = client.post(path, data=data)
    assert response.status_code == 400 and "Turn on two-factor sign-in for your own account first" in \
        response.get_data(as_text=True)
    db.session.refresh(campaign)
    assert not campaign.two_factor_required
    two_factor.start_setup(owner)
    two_factor.enable(owner, pyotp.TOTP(owner.totp_secret).now())
    db.session.commit()
    assert client.post(path, data=data).status_code == 303
    db.session.refresh(campaign)
    assert campaign.two_factor_required
