"""Redirect targets (`next` and friends) accept only same-site relative paths."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from organizer.views_common import is_safe_redirect
from tests import builders
from tests.security.helpers import sign_in

BYPASSES = [
    "//evil.example",
    "//evil.example/manage",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/\\/evil.example",
    "http:\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "\x00//evil.example",
    "\t//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "\x01/manage",
    " //evil.example",
    "/\x7f/evil.example",
    "evil.example",
    "manage",
    "",
    "/%09/evil.example",
    "/%5Cevil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "／／evil.example",  # fullwidth solidus
    "/%2F/evil.example",
    "/%5C/evil.example",
    "/%0A/evil.example",
]
SAFE = ["/", "/manage/", "/manage/c/syria?tab=events", "/e/lmc-meeting#rsvp", "/manage/e/1/rsvps?q=a%20b"]


@pytest.mark.parametrize("target", BYPASSES)
def test_known_bypasses_are_refused(target):
    assert not is_safe_redirect(target)


@pytest.mark.parametrize("target", SAFE)
def test_same_site_paths_are_allowed(target):
    assert is_safe_redirect(target)


@pytest.mark.parametrize("target", BYPASSES)
def test_login_never_sends_anyone_off_site(client, target):
    builders.make_user("sam@example.org")
    response = sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD, next_url=quote(target, safe=""))
    if response.status_code == 400:  # NUL and broken bytes are refused outright
        return
    assert response.status_code == 303
    assert response.headers["Location"] == "/manage/"


@pytest.mark.parametrize("target", BYPASSES)
def test_signed_in_login_page_never_sends_anyone_off_site(client, login, target):
    login(builders.make_user())
    response = client.get("/auth/login?next=" + quote(target, safe=""))
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response.headers["Location"] == "/manage/"


def test_the_login_redirect_for_protected_pages_carries_a_relative_next(client):
    response = client.get("/auth/password")
    assert response.headers["Location"] == "/auth/login?next=%2Fauth%2Fpassword"


def test_every_redirect_in_the_auth_flow_stays_on_site(client):
    """Whatever the Host header claims, the Location of our redirects is a relative path."""
    builders.make_user("sam@example.org")
    response = sign_in(client, "sam@example.org", builders.DEFAULT_PASSWORD)
    assert response.headers["Location"].startswith("/")


@pytest.mark.parametrize("path", ["//evil.example", "//evil.example/auth//login", "///evil.example/auth//login",
                                  "//auth//login", "/auth//login", "/\\evil.example/auth//login",
                                  "/manage//c/syria"])
def test_odd_request_paths_never_redirect_off_site(client, path):
    """Werkzeug answers a path with doubled slashes with a redirect to the merged path; that redirect
    (built from the Host header, which TRUSTED_HOSTS pins in production) must stay on this site."""
    response = client.get("/", environ_overrides={"PATH_INFO": path})  # the raw path, as a server passes it
    location = response.headers.get("Location")
    if location is not None:
        parts = urlsplit(location)
        assert parts.netloc in ("", "localhost") and parts.path.startswith("/") \
            and not parts.path.startswith("//"), f"{path} -> {location}"


def test_doubled_slashes_really_are_redirected(client):
    """(So the test above does look at redirects.)"""
    response = client.get("/", environ_overrides={"PATH_INFO": "/auth//login"})
    assert response.status_code == 308
    assert urlsplit(response.headers["Location"]).path == "/auth/login"
