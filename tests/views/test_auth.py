"""Account pages: sign-up by email, sign-in, sign-out, password change and reset, through HTTP."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import OutboxMessage, User
from organizer.services.accounts import accounts
from tests import builders
from tests.mailbox import last_link, messages_to, path_of
from tests.security.helpers import csrf, csrf_from, is_signed_in, sign_in

PASSWORD = "a long passphrase"
NEW_PASSWORD = "another long passphrase"


def signup_data(client, **overrides):
    data = {"csrf_token": csrf(client, "/auth/signup"), "name": "Noor Haddad", "email": "noor@example.org",
            "password": PASSWORD, "confirm": PASSWORD}
    data.update(overrides)
    return data


def normalized(html: str) -> str:
    return re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]*"', "", html)


# --- sign-up -----------------------------------------------------------------------------------

def test_signup_page_has_labelled_fields_and_the_create_button(client):
    html = client.get("/auth/signup").get_data(as_text=True)
    for field_id, label in [("name", "Your name"), ("email", "Email"), ("password", "Password"),
                            ("confirm", "Type the password again")]:
        assert f'<label for="{field_id}">{label}' in html
    assert ">Create account</button>" in html
    assert 'autocomplete="new-password"' in html


def test_signup_then_confirm_by_email_signs_in(client):
    response = client.post("/auth/signup", data=signup_data(client))
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/check-email"
    assert "Check your email" in client.get("/auth/check-email").get_data(as_text=True)
    assert not is_signed_in(client)

    link = last_link("noor@example.org", "/auth/signup/confirm/")
    page = client.get(path_of(link))
    assert page.status_code == 200
    assert "noor@example.org" in page.get_data(as_text=True)
    response = client.post(path_of(link), data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert response.headers["Location"] == "/manage/"
    assert is_signed_in(client)
    user = db.session.scalar(select(User).where(User.email == "noor@example.org"))
    assert user.name == "Noor Haddad"
    # The link is spent.
    assert client.get(path_of(link)).status_code == 404


def test_signup_links_come_from_base_url_not_the_host_header(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://organizer.example")
    data = signup_data(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the cookie jar wouldn't send it to evil.example
    response = client.post("/auth/signup", data=data, headers={"Host": "evil.example"})
    assert response.status_code == 303
    link = last_link("noor@example.org", "/auth/signup/confirm/")
    assert link.startswith("https://organizer.example/auth/signup/confirm/")
    assert "evil.example" not in messages_to("noor@example.org")[0].body_text


def test_signup_with_a_taken_address_looks_exactly_like_a_new_one(client):
    builders.make_user("taken@example.org", name="Taken")
    new = client.post("/auth/signup", data=signup_data(client, email="fresh@example.org"))
    new_page = client.get("/auth/check-email").get_data(as_text=True)
    taken = client.post("/auth/signup", data=signup_data(client, email="taken@example.org"))
    taken_page = client.get("/auth/check-email").get_data(as_text=True)
    assert (new.status_code, new.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    assert normalized(new.get_data(as_text=True)) == normalized(taken.get_data(as_text=True))
    assert normalized(new_page) == normalized(taken_page)
    # Each address got one email; only the owner of the taken one learns it has an account.
    assert len(messages_to("fresh@example.org")) == 1
    [note] = messages_to("taken@example.org")
    assert "already have one" in note.body_text


@pytest.mark.parametrize("overrides, field, message", [
    ({"confirm": "something else"}, "confirm", "The two passwords don't match."),
    ({"password": "short", "confirm": "short"}, "password", "Use between 8 and 256 characters."),
    ({"password": "x" * 257, "confirm": "x" * 257}, "password", "Use between 8 and 256 characters."),
    ({"email": "not an address"}, "email", "Enter a valid email address"),
    ({"name": ""}, "name", "Enter your name."),
    ({"name": "n" * 121}, "name", "Field cannot be longer than 120 characters."),
])
def test_signup_errors_show_next_to_the_field_and_keep_what_was_typed(client, overrides, field, message):
    response = client.post("/auth/signup", data=signup_data(client, **overrides))
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert f'<p class="error" id="{field}-error">{message}' in html
    if field != "email":
        assert 'value="noor@example.org"' in html
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_signup_can_be_switched_off(app, client, monkeypatch):
    accounts.request_signup("noor@example.org", "Noor", PASSWORD, valid_for=timedelta(hours=1),
                            confirm_link=lambda t: f"http://localhost/auth/signup/confirm/{t}",
                            login_link="", reset_link="")
    db.session.commit()
    link = path_of(last_link("noor@example.org", "/auth/signup/confirm/"))
    data = signup_data(client)
    monkeypatch.setitem(app.config, "ALLOW_SIGNUP", False)
    assert client.get("/auth/signup").status_code == 404
    assert client.post("/auth/signup", data=data).status_code == 404
    assert client.get(link).status_code == 404
    assert "/auth/signup" not in client.get("/auth/login").get_data(as_text=True)


# --- sign-in -----------------------------------------------------------------------------------

def test_sign_in_starts_a_fresh_permanent_session(client):
    builders.make_user("sam@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/manage/"
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.permanent
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_sign_in_follows_a_safe_next(client):
    builders.make_user("sam@example.org")
    response = sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD, next_url="/manage/c/syria?tab=events")
    assert response.headers["Location"] == "/manage/c/syria?tab=events"


def test_the_login_form_keeps_next_only_when_it_is_safe(client):
    html = client.get("/auth/login?next=/manage/c/syria").get_data(as_text=True)
    assert 'action="/auth/login?next=/manage/c/syria"' in html
    html = client.get("/auth/login?next=//evil.example").get_data(as_text=True)
    assert 'action="/auth/login"' in html and "evil.example" not in html


def test_a_signed_in_visitor_is_sent_on_from_the_login_page(client, login):
    login(builders.make_user())
    response = client.get("/auth/login?next=/manage/c/syria")
    assert response.status_code == 302 and response.headers["Location"] == "/manage/c/syria"


def test_failed_sign_in_says_the_same_thing_whatever_the_cause(client):
    builders.make_user("sam@example.org", password=PASSWORD)
    bodies = set()
    for email, password in [
        ("sam@example.org", "wrong password"),
        ("nobody@example.org", PASSWORD),
        ("sam@example.org", PASSWORD + "x" * 300),  # over-long: refused like any wrong password
        ("SAM@example.org", PASSWORD.upper()),
    ]:
        response = sign_in(client, email, password)
        assert response.status_code == 401
        html = response.get_data(as_text=True)
        assert "That email address and password don't match." in unescape(html)
        bodies.add(normalized(html).replace(email, "EMAIL"))
    assert len(bodies) == 1
    assert not is_signed_in(client)


def test_the_password_is_never_echoed_back(client):
    builders.make_user("sam@example.org")
    html = sign_in(client, "sam@example.org", "my-secret-attempt").get_data(as_text=True)
    assert "my-secret-attempt" not in html


def test_empty_sign_in_form_is_a_400_with_field_errors(client):
    response = client.post("/auth/login", data={"csrf_token": csrf(client), "email": "", "password": ""})
    assert response.status_code == 400
    assert 'id="email-error"' in response.get_data(as_text=True)


def test_sign_in_without_csrf_token_is_refused(client):
    builders.make_user("sam@example.org")
    response = client.post("/auth/login", data={"email": "sam@example.org", "password": builders.DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert not is_signed_in(client)


# --- sign-out ----------------------------------------------------------------------------------

def test_sign_out_is_post_only_and_needs_csrf(client, login):
    login(builders.make_user())
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400
    assert is_signed_in(client)


def test_sign_out_ends_every_session_of_the_account(app, client):
    builders.make_user("sam@example.org")
    laptop, phone = client, app.test_client()
    sign_in(laptop, "sam@example.org", builders.DEFAULT_PASSWORD)
    sign_in(phone, "sam@example.org", builders.DEFAULT_PASSWORD)
    assert is_signed_in(laptop) and is_signed_in(phone)
    response = laptop.post("/auth/logout", data={"csrf_token": csrf(laptop, "/auth/password")})
    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_an_old_cookie_replayed_after_sign_out_is_refused(client):
    builders.make_user("sam@example.org")
    sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    stolen = client.get_cookie("session").value
    client.post("/auth/logout", data={"csrf_token": csrf(client, "/auth/password")})
    client.set_cookie("session", stolen)
    assert not is_signed_in(client)


# --- change password ---------------------------------------------------------------------------

def test_change_password_needs_a_session(client):
    response = client.get("/auth/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_change_password_keeps_this_session_and_ends_the_others(app, client):
    builders.make_user("sam@example.org")
    other = app.test_client()
    sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    sign_in(other, "sam@example.org", builders.DEFAULT_PASSWORD)
    response = client.post("/auth/password", data={
        "csrf_token": csrf(client, "/auth/password"), "current_password": builders.DEFAULT_PASSWORD,
        "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    page = client.get("/auth/password")
    assert page.status_code == 200 and "Your password has been changed" in page.get_data(as_text=True)
    assert not is_signed_in(other)
    assert accounts.authenticate("sam@example.org", NEW_PASSWORD) is not None


@pytest.mark.parametrize("current, new, confirm, field", [
    ("wrong password", NEW_PASSWORD, NEW_PASSWORD, "current_password"),
    (builders.DEFAULT_PASSWORD, NEW_PASSWORD, "different", "confirm"),
    (builders.DEFAULT_PASSWORD, "x" * 257, "x" * 257, "new_password"),
])
def test_change_password_errors(client, login, current, new, confirm, field):
    user = builders.make_user("sam@example.org")
    login(user)
    version = user.session_version
    response = client.post("/auth/password", data={
        "csrf_token": csrf(client, "/auth/password"), "current_password": current,
        "new_password": new, "confirm": confirm})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.session_version == version
    assert accounts.authenticate("sam@example.org", builders.DEFAULT_PASSWORD) is not None


# --- password reset ----------------------------------------------------------------------------

def test_reset_request_answers_the_same_for_known_and_unknown_addresses(client):
    builders.make_user("sam@example.org")
    known = client.post("/auth/reset", data={"csrf_token": csrf(client, "/auth/reset"), "email": "sam@example.org"})
    known_page = client.get("/auth/check-email").get_data(as_text=True)
    unknown = client.post("/auth/reset", data={"csrf_token": csrf(client, "/auth/reset"), "email": "ghost@example.org"})
    unknown_page = client.get("/auth/check-email").get_data(as_text=True)
    assert (known.status_code, known.headers["Location"]) == (unknown.status_code, unknown.headers["Location"]) \
        == (303, "/auth/check-email")
    assert normalized(known_page) == normalized(unknown_page)
    assert len(messages_to("sam@example.org")) == 1
    assert messages_to("ghost@example.org") == []


def test_reset_link_comes_from_base_url_not_the_host_header(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://organizer.example")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    builders.make_user("sam@example.org")
    response = client.post("/auth/reset", data={"email": "sam@example.org"},
                           headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 303
    assert last_link("sam@example.org", "/auth/reset/").startswith("https://organizer.example/auth/reset/")


def test_reset_by_link_sets_the_password_once_and_ends_sessions(app, client):
    builders.make_user("sam@example.org")
    signed_in_elsewhere = app.test_client()
    sign_in(signed_in_elsewhere, "sam@example.org", builders.DEFAULT_PASSWORD)
    client.post("/auth/reset", data={"csrf_token": csrf(client, "/auth/reset"), "email": "sam@example.org"})
    link = path_of(last_link("sam@example.org", "/auth/reset/"))

    page = client.get(link)
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post(link, data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"
    assert not is_signed_in(signed_in_elsewhere)
    assert sign_in(client, "sam@example.org", NEW_PASSWORD).status_code == 303

    again = client.get(link)
    assert again.status_code == 404
    assert "doesn't work any more" in unescape(again.get_data(as_text=True))


def test_reset_form_errors_keep_the_link_usable(client):
    user = builders.make_user("sam@example.org")
    token = accounts.create_reset_token(user, timedelta(hours=1))
    db.session.commit()
    response = client.post(f"/auth/reset/{token}", data={
        "csrf_token": csrf(client, f"/auth/reset/{token}"), "new_password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert accounts.find_reset_token(token) is not None


@pytest.mark.parametrize("token", ["nope", "x" * 43, "%00", "a" * 2000])
def test_bad_reset_and_signup_links_are_404(client, token):
    assert client.get(f"/auth/reset/{token}").status_code in (400, 404)
    assert client.get(f"/auth/signup/confirm/{token}").status_code in (400, 404)


def test_auth_pages_are_not_cached(client):
    for path in ["/auth/login", "/auth/signup", "/auth/reset", "/auth/check-email"]:
        assert client.get(path).headers["Cache-Control"] == "no-store"
