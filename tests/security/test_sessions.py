"""Sessions: a fresh one at sign-in, an idle timeout, and versions that end every session at once."""

from __future__ import annotations

from datetime import timedelta

import itsdangerous

from organizer.extensions import db
from organizer.services.accounts import accounts
from tests import builders
from tests.security.helpers import is_signed_in, sign_in


def test_session_cookie_flags_in_development(client):
    builders.make_user("sam@example.org")
    cookie = sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_session_idles_out(app, client, monkeypatch):
    builders.make_user("sam@example.org")
    sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    idle = app.config["PERMANENT_SESSION_LIFETIME"]
    real = itsdangerous.timed.TimestampSigner.get_timestamp

    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: real(self) + int((idle - timedelta(minutes=1)).total_seconds()))
    assert is_signed_in(client)  # still within the idle time: the visit renews the session...

    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: real(self) + int((2 * idle - timedelta(minutes=1)).total_seconds()))
    assert is_signed_in(client)  # ...so the clock starts again from that visit

    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: real(self) + int((3 * idle + timedelta(minutes=1)).total_seconds()))
    assert not is_signed_in(client)  # idle for longer than the limit: signed out, server-side


def test_idle_timeout_comes_from_config():
    from organizer.config import Config

    assert timedelta(hours=12) >= Config.PERMANENT_SESSION_LIFETIME
    assert Config.SESSION_REFRESH_EACH_REQUEST


def test_a_bumped_session_version_signs_out_every_device(app, client):
    user = builders.make_user("sam@example.org")
    other = app.test_client()
    sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    sign_in(other, "sam@example.org", builders.DEFAULT_PASSWORD)
    accounts.end_all_sessions(user)
    db.session.commit()
    assert not is_signed_in(client) and not is_signed_in(other)


def test_forged_or_garbled_login_ids_are_anonymous(client):
    user = builders.make_user("sam@example.org")
    for forged in [str(user.id), f"{user.id}:", f"{user.id}:{user.session_version + 1}", f"{user.id}:x",
                   "99999999999999999999:1", "-1:1", ":", "", f" {user.id}:{user.session_version}"]:
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert not is_signed_in(client), forged


def test_a_tampered_cookie_is_ignored(client):
    builders.make_user("sam@example.org")
    sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    value = client.get_cookie("session").value
    client.set_cookie("session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert not is_signed_in(client)
