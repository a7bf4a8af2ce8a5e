"""services.accounts: password rules, hashing, sign-up by email, resets and ending sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import OutboxMessage, PasswordResetToken, SignupRequest, User
from organizer.services.accounts import accounts
from organizer.services.common.errors import Conflict, NotFound, ValidationFailed
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import last_link, messages_to

HOUR = timedelta(hours=1)


def confirm_link(token: str) -> str:
    return f"https://organizer.example/auth/signup/confirm/{token}"


def reset_link(token: str) -> str:
    return f"https://organizer.example/auth/reset/{token}"


def signup(email="noor@example.org", name="Noor Haddad", password="a long passphrase"):
    accounts.request_signup(email, name, password, valid_for=24 * HOUR, confirm_link=confirm_link,
                            login_link="https://organizer.example/auth/login",
                            reset_link="https://organizer.example/auth/reset")
    db.session.commit()


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


# --- passwords ---------------------------------------------------------------------------------

def test_hashes_are_argon2id_at_owasp_minimum():
    password_hash = accounts.hash_password("a long passphrase")
    assert password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize("length", [8, 9, 255, 256])
def test_passwords_of_8_to_256_characters_are_accepted(length):
    password = "é" * length  # characters, not bytes: 256 two-byte characters still fit
    assert PasswordHasher().verify(accounts.hash_password(password), password)


@pytest.mark.parametrize("length", [0, 1, 7, 257, 10_000])
def test_other_lengths_are_refused(length):
    with pytest.raises(ValidationFailed) as error:
        accounts.hash_password("x" * length)
    assert error.value.field == "password"


def test_a_257_character_password_is_refused_not_truncated():
    password = "p" * 256
    user = builders.make_user("long@example.org", password=password)
    assert accounts.authenticate("long@example.org", password) == user
    # The first 256 characters match; a longer password must not be cut down to them.
    assert accounts.authenticate("long@example.org", password + "q") is None
    assert accounts.authenticate("long@example.org", password + "p") is None


def test_authenticate_is_case_insensitive_on_email_and_exact_on_password():
    user = builders.make_user("amal@example.org")
    assert accounts.authenticate("  AMAL@example.org ", builders.DEFAULT_PASSWORD) == user
    assert accounts.authenticate("amal@example.org", builders.DEFAULT_PASSWORD.upper()) is None
    assert accounts.authenticate("nobody@example.org", builders.DEFAULT_PASSWORD) is None
    assert accounts.authenticate("not an address", builders.DEFAULT_PASSWORD) is None


def test_old_hash_parameters_are_upgraded_on_sign_in():
    user = builders.make_user("old@example.org")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("a long passphrase")
    db.session.commit()
    assert accounts.authenticate("old@example.org", "a long passphrase") == user
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_create_user_refuses_a_taken_address_and_an_empty_name():
    accounts.create_user("taken@example.org", "Taken", "a long passphrase")
    with pytest.raises(Conflict):
        accounts.create_user("TAKEN@example.org", "Again", "a long passphrase")
    with pytest.raises(ValidationFailed):
        accounts.create_user("new@example.org", "   ", "a long passphrase")


# --- sign-up confirmed by email ----------------------------------------------------------------

def test_signup_creates_no_account_until_the_link_is_used():
    signup()
    assert db.session.scalar(select(User).where(User.email == "noor@example.org")) is None
    link = last_link("noor@example.org", "/auth/signup/confirm/")
    assert link.startswith("https://organizer.example/")
    user = accounts.confirm_signup(token_of(link))
    db.session.commit()
    assert (user.email, user.name) == ("noor@example.org", "Noor Haddad")
    assert accounts.authenticate("noor@example.org", "a long passphrase") == user


def test_signup_link_works_once():
    signup()
    token = token_of(last_link("noor@example.org", "/auth/signup/confirm/"))
    accounts.confirm_signup(token)
    db.session.commit()
    with pytest.raises(NotFound):
        accounts.confirm_signup(token)


def test_signup_link_expires():
    signup()
    token = token_of(last_link("noor@example.org", "/auth/signup/confirm/"))
    record = db.session.scalar(select(SignupRequest))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert accounts.find_signup_request(token) is None
    with pytest.raises(NotFound):
        accounts.confirm_signup(token)


def test_signup_with_a_known_address_sends_a_note_and_changes_nothing():
    user = builders.make_user("known@example.org", name="Known")
    old_hash = user.password_hash
    signup(email="Known@Example.org", name="Attacker", password="attacker's password")
    [message] = messages_to("known@example.org")
    assert "already have one" in message.body_text
    assert "/auth/signup/confirm/" not in message.body_text
    assert db.session.scalar(select(func.count()).select_from(SignupRequest)) == 0
    db.session.refresh(user)
    assert (user.name, user.password_hash) == ("Known", old_hash)


def test_signup_emails_never_repeat_what_the_requester_typed():
    """The name field could carry spam to any address; emails contain fixed text and a link only."""
    signup(email="victim@example.org", name="Buy cheap pills at spam.example")
    builders.make_user("known@example.org")
    signup(email="known@example.org", name="Visit spam.example now")
    for message in db.session.scalars(select(OutboxMessage)):
        assert "spam.example" not in message.body_text + message.subject + message.body_html


def test_two_pending_signups_the_first_confirmed_wins_and_the_other_link_dies():
    signup(password="first passphrase")
    first = token_of(last_link("noor@example.org", "/auth/signup/confirm/"))
    signup(name="Someone Else", password="second passphrase")
    second = token_of(last_link("noor@example.org", "/auth/signup/confirm/"))
    assert first != second
    user = accounts.confirm_signup(second)
    db.session.commit()
    assert accounts.authenticate("noor@example.org", "second passphrase") == user
    with pytest.raises(NotFound):
        accounts.confirm_signup(first)


def test_confirming_when_the_account_appeared_meanwhile_is_a_conflict():
    signup()
    token = token_of(last_link("noor@example.org", "/auth/signup/confirm/"))
    builders.make_user("noor@example.org")
    with pytest.raises(Conflict):
        accounts.confirm_signup(token)


def test_signup_validates_before_sending_anything():
    with pytest.raises(ValidationFailed) as error:
        signup(password="short")
    assert error.value.field == "password"
    with pytest.raises(ValidationFailed) as error:
        signup(email="not-an-address")
    assert error.value.field == "email"
    with pytest.raises(ValidationFailed) as error:
        signup(name=" \t ")
    assert error.value.field == "name"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# --- password change and reset -----------------------------------------------------------------

def test_change_password_needs_the_current_one_and_ends_sessions():
    user = builders.make_user("sam@example.org")
    version = user.session_version
    with pytest.raises(ValidationFailed) as error:
        accounts.change_password(user, "wrong password", "a new passphrase")
    assert error.value.field == "current_password"
    accounts.change_password(user, builders.DEFAULT_PASSWORD, "a new passphrase")
    db.session.commit()
    assert user.session_version == version + 1
    assert accounts.authenticate("sam@example.org", "a new passphrase") == user
    assert accounts.authenticate("sam@example.org", builders.DEFAULT_PASSWORD) is None


def test_changing_the_password_voids_outstanding_reset_links():
    user = builders.make_user("sam@example.org")
    token = accounts.create_reset_token(user, HOUR)
    accounts.change_password(user, builders.DEFAULT_PASSWORD, "a new passphrase")
    db.session.commit()
    assert accounts.find_reset_token(token) is None


def test_reset_request_for_an_unknown_address_sends_nothing():
    accounts.request_password_reset("ghost@example.org", valid_for=HOUR, reset_link=reset_link)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(select(func.count()).select_from(PasswordResetToken)) == 0


def test_reset_link_is_single_use_ends_sessions_and_voids_other_links():
    user = builders.make_user("sam@example.org")
    version = user.session_version
    accounts.request_password_reset("SAM@example.org", valid_for=HOUR, reset_link=reset_link)
    older = token_of(last_link("sam@example.org", "/auth/reset/"))
    accounts.request_password_reset("sam@example.org", valid_for=HOUR, reset_link=reset_link)
    token = token_of(last_link("sam@example.org", "/auth/reset/"))
    db.session.commit()
    assert older != token

    accounts.reset_password(token, "a new passphrase")
    db.session.commit()
    assert user.session_version == version + 1
    assert accounts.authenticate("sam@example.org", "a new passphrase") == user
    with pytest.raises(NotFound):
        accounts.reset_password(token, "another passphrase")
    with pytest.raises(NotFound):
        accounts.reset_password(older, "another passphrase")


def test_reset_link_expires():
    user = builders.make_user("sam@example.org")
    token = accounts.create_reset_token(user, HOUR)
    db.session.commit()
    record = db.session.scalar(select(PasswordResetToken))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(NotFound):
        accounts.reset_password(token, "a new passphrase")


def test_reset_tokens_are_stored_only_as_digests():
    user = builders.make_user("sam@example.org")
    token = accounts.create_reset_token(user, HOUR)
    db.session.commit()
    record = db.session.scalar(select(PasswordResetToken))
    assert token not in record.token_hash and len(record.token_hash) == 64


def test_reset_refuses_a_bad_new_password_without_using_the_link():
    user = builders.make_user("sam@example.org")
    token = accounts.create_reset_token(user, HOUR)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        accounts.reset_password(token, "x" * 257)
    db.session.rollback()
    assert accounts.find_reset_token(token) is not None


def test_end_all_sessions_bumps_the_version_in_the_login_id():
    user = builders.make_user("sam@example.org")
    old_id = user.get_id()
    accounts.end_all_sessions(user)
    db.session.commit()
    assert user.get_id() != old_id and user.get_id().startswith(f"{user.id}:")
