"""Throttling: sign-in per client address and per account, reset and sign-up requests, 429 page."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from organizer.extensions import db, limiter
from organizer.services.accounts import two_factor
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import messages_to


def attempt(client, email, password="wrong password", ip="192.0.2.1"):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_failed_sign_ins_for_one_account_are_limited_from_any_address(limited_app):
    builders.make_user("sam@example.org")
    client = limited_app().test_client()
    for n in range(3):
        assert attempt(client, "sam@example.org", ip=f"198.51.100.{n}").status_code == 401
    # The fourth attempt on the account is refused, whatever the address and even with the right password.
    response = attempt(client, "SAM@example.org ", builders.DEFAULT_PASSWORD, ip="198.51.100.99")
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Slow down" in html and "Too many attempts" in html
    assert response.headers["Content-Security-Policy"]
    # Another account from the same address is not affected.
    assert attempt(client, "other@example.org", ip="198.51.100.99").status_code == 401


def test_failed_sign_ins_from_one_address_are_limited_across_accounts(limited_app):
    client = limited_app().test_client()
    for n in range(5):
        assert attempt(client, f"person{n}@example.org").status_code == 401
    assert attempt(client, "person9@example.org").status_code == 429
    assert attempt(client, "person9@example.org", ip="192.0.2.200").status_code == 401


def test_successful_sign_ins_do_not_count(limited_app):
    builders.make_user("sam@example.org")
    client = limited_app().test_client()
    for _ in range(8):
        assert attempt(client, "sam@example.org", builders.DEFAULT_PASSWORD).status_code == 303
        with client.session_transaction() as session:
            assert session.get("_user_id"), "signed in"
            session.clear()


def test_reset_requests_are_limited_per_address_and_per_client(limited_app):
    builders.make_user("sam@example.org")
    client = limited_app().test_client()
    for _ in range(2):
        assert client.post("/auth/reset", data={"email": "sam@example.org"}).status_code == 303
    assert client.post("/auth/reset", data={"email": "sam@example.org"}).status_code == 429
    assert len(messages_to("sam@example.org")) == 2  # nobody gets mail-bombed
    assert client.post("/auth/reset", data={"email": "x@example.org"}).status_code == 303
    assert client.post("/auth/reset", data={"email": "y@example.org"}).status_code == 303
    assert client.post("/auth/reset", data={"email": "z@example.org"}).status_code == 429  # 4 per minute per client


def test_signup_requests_are_limited_per_address(limited_app):
    client = limited_app().test_client()
    data = {"name": "Noor", "email": "noor@example.org", "password": "a long passphrase", "confirm": "a long passphrase"}
    assert client.post("/auth/signup", data=data).status_code == 303
    assert client.post("/auth/signup", data=data).status_code == 303
    assert client.post("/auth/signup", data=data).status_code == 429
    assert len(messages_to("noor@example.org")) == 2


def test_the_test_app_itself_is_never_limited(limited_app, app):
    limited_app()  # building a limited app must not switch limits on for the others
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for _ in range(12):
            assert attempt(client, "sam@example.org").status_code == 401
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_codes_are_throttled_per_account(limited_app):
    app = limited_app()
    with app.app_context():
        limiter.reset()
    user = builders.make_user("sam@example.org")
    two_factor.start_setup(user)
    two_factor.enable(user, pyotp.TOTP(user.totp_secret).at(utcnow() - timedelta(seconds=30)),
                      now=utcnow() - timedelta(seconds=30))
    db.session.commit()
    wrong = "000000" if pyotp.TOTP(user.totp_secret).now() != "000000" else "111111"
    statuses = []
    for n in range(4):  # a new client each time: the limit follows the account, not the browser
        client = app.test_client()
        assert attempt(client, "sam@example.org", builders.DEFAULT_PASSWORD).status_code == 303
        code = pyotp.TOTP(user.totp_secret).now() if n == 3 else wrong
        statuses.append(client.post("/auth/two-factor", data={"code": code}).status_code)
    assert statuses == [401, 401, 401, 429]  # LOGIN_ACCOUNT_RATE_LIMIT is 3 a minute here
    limiter.reset()


def _signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def test_fill_from_link_is_limited_per_organizer_and_keeps_what_was_typed(limited_app):
    """Each press makes the server fetch a page: the button and the page's script share one count per
    organizer. Over it, the form comes back as typed with why, and saving by hand still works."""
    app = limited_app(LINK_FETCH_RATE_LIMIT="2 per minute")
    owner = builders.make_user("owner@example.org")
    other = builders.make_user("other@example.org")
    builders.make_campaign(owner=owner, slug="syria")
    builders.make_campaign(owner=other, slug="sudan")
    client = _signed_in(app, owner)
    refused = {"url": "http://127.0.0.1/article"}  # refused before any connection: counts all the same
    assert client.post("/manage/c/syria/coverage/from-link", data=refused).status_code == 400
    assert client.post("/manage/c/syria/coverage/new", data={**refused, "fill": "1"}).status_code == 400
    over = client.post("/manage/c/syria/coverage/from-link", data=refused)
    assert over.status_code == 429 and "Wait a minute" in over.get_json()["error"]
    page = client.post("/manage/c/syria/coverage/new",
                       data={**refused, "headline": "Typed before the limit", "fill": "1"})
    assert page.status_code == 429
    html = page.get_data(as_text=True)
    assert 'value="Typed before the limit"' in html and "fill in the fields by hand" in html
    saved = client.post("/manage/c/syria/coverage/new",
                        data={"url": "https://socialistworker.co.uk/a", "headline": "Saved by hand",
                              "outlet": "Socialist Worker", "language": "en"})
    assert saved.status_code == 303
    assert _signed_in(app, other).post("/manage/c/sudan/coverage/from-link", data=refused).status_code == 400


def test_the_public_api_is_limited_per_address_and_says_so_in_json(limited_app):
    app = limited_app(API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    for n in range(3):
        assert client.get(f"/api/v1/campaigns?limit={n + 1}", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200
    over = client.get("/api/v1/campaigns", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert over.status_code == 429
    assert over.get_json()["error"] == "Slow down"
    assert over.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/v1/campaigns", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 200
