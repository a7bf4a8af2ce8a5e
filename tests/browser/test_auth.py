"""An organizer at a laptop: sign up (confirming by email), sign out, sign in, change the password."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from organizer.extensions import db
from tests.mailbox import last_link

EMAIL = "noor@example.org"
PASSWORD = "olive trees in spring"
NEW_PASSWORD = "the sea at latakia"


def emailed_link(base_url: str, containing: str) -> str:
    db.session.rollback()  # see what the server committed since
    return last_link(EMAIL, containing).replace("http://localhost", base_url)


def sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_up_sign_out_sign_in_and_change_password(desktop: Page, base_url):
    page = desktop
    page.goto("/auth/login")
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()

    # A slip first: the passwords differ; the error sits by the field and what was typed stays.
    page.get_by_label("Your name").fill("Noor Haddad")
    page.get_by_label("Email").fill(EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD + "!")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#confirm-error")).to_have_text(re.compile("The two passwords don't match"))
    expect(page.get_by_label("Your name")).to_have_value("Noor Haddad")

    page.locator("#password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # The link in the email finishes the sign-up and signs in.
    page.goto(emailed_link(base_url, "/auth/signup/confirm/"))
    expect(page.get_by_text(f"an Organizer account for {EMAIL}")).to_be_visible()
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Sign out (a POST from the header), then back in through a protected page.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You're signed out")).to_be_visible()
    page.goto("/auth/password")
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))
    expect(page.get_by_text("Please sign in to see that page.")).to_be_visible()
    sign_in(page, EMAIL, "not my password")
    expect(page.get_by_role("alert")).to_contain_text("don't match")
    sign_in(page, EMAIL, PASSWORD)
    expect(page).to_have_url(re.compile(r"/auth/password$"))

    # Change the password: this browser stays signed in.
    page.locator("#current_password").fill(PASSWORD)
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The old password no longer works, the new one does.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, EMAIL, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("don't match")
    sign_in(page, EMAIL, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/manage/$"))


def test_forgotten_password_by_emailed_link(desktop: Page, base_url):
    from tests import builders

    builders.make_user(EMAIL, password=PASSWORD)
    page = desktop
    page.goto("/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Your account's email address").fill(EMAIL)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("If an account uses that address")).to_be_visible()

    page.goto(emailed_link(base_url, "/auth/reset/"))
    page.locator("#new_password").fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password has been changed. Sign in with your new password.")).to_be_visible()
    sign_in(page, EMAIL, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/manage/$"))
