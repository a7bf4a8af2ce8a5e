"""Accounts: Argon2id passwords, sessions that can be ended everywhere, emailed single-use links.

Nothing here tells a caller whether an address has an account: sign-up always "sends an email"
(a confirmation link to a new address, a "you already have an account" note to a known one) and
a reset request always succeeds from the outside. Emails carry fixed text and a link only — never
anything the requester typed (such as a name), so the forms can't be used to send spam.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from organizer.database import rowcount
from organizer.extensions import db
from organizer.models import PasswordResetToken, SignupRequest, User
from organizer.services.common.errors import Conflict, NotFound, ValidationFailed
from organizer.services.common.tokens import hash_token, new_token
from organizer.services.mail import outbox
from organizer.text import address_key
from organizer.timeutil import utcnow

# OWASP's first recommended Argon2id configuration: m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when no account matches, so "no such account" costs as long as "wrong password".
_DUMMY_HASH = _hasher.hash("organizer-dummy-password")

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_NAME_LENGTH = 120

LinkBuilder = Callable[[str], str]

# The renderer (rendering/account_mail.py) of the account emails: written here with their links, rendered by the
# outbox worker in the language of the request that asked for them, text and HTML like every other email.
ACCOUNT_MAIL = "account"
ACCOUNT_TEMPLATES = frozenset({"account_exists", "account_confirm", "password_reset", "team_invitation"})


def normalize_email(email: str) -> str:
    """The validated address as a key (``text.address_key``: NFKC, lower-cased); raises
    ValidationFailed with a readable message."""
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationFailed(_l("Enter a valid email address, like name@example.org."), field="email") from error
    return address_key(result.normalized)


def email_key(email: str) -> str:
    """A stable key for one address (rate limits), even when the text isn't a valid address."""
    try:
        return normalize_email(email)
    except ValidationFailed:
        return (email or "").strip().lower()


def check_password_rules(password: str) -> None:
    """8 to 256 characters, counted as characters; a longer password is refused, never cut."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(_l("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH), field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(_l("Use at most %(count)s characters.", count=MAX_PASSWORD_LENGTH), field="password")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_matches(user: User, password: str) -> bool:
    return _verify(user.password_hash, password)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_l("Enter your name."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(_l("Use at most %(count)s characters.", count=MAX_NAME_LENGTH), field="name")
    return name


def find_user_by_email(email: str) -> User | None:
    try:
        normalized = normalize_email(email)
    except ValidationFailed:
        return None
    return db.session.scalar(select(User).where(User.email == normalized))


def create_user(email: str, name: str, password: str, *, is_admin: bool = False) -> User:
    """Create an account directly (command line, tests). The web sign-up goes through request_signup."""
    normalized = normalize_email(email)
    if db.session.scalar(select(User.id).where(User.email == normalized)) is not None:
        raise Conflict(_l("An account with this email already exists."))
    user = User(email=normalized, name=_clean_name(name), password_hash=hash_password(password), is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the password matches; None otherwise, taking the same time either way."""
    user = find_user_by_email(email) if len(password) <= MAX_PASSWORD_LENGTH else None
    if user is None:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def set_locale(user: User, locale: str, languages: list[str] | tuple[str, ...]) -> None:
    """The language of this person's pages and emails; "" leaves it to their browser."""
    if locale and locale not in languages:
        raise ValidationFailed(_("Choose one of the languages offered."), field="locale")
    user.locale = locale


def end_all_sessions(user: User) -> None:
    """Every session cookie of this user stops working (the version is part of the login id)."""
    user.session_version = (user.session_version or 0) + 1


def _expire_reset_tokens(user: User) -> None:
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Needs the current password; ends every session and voids outstanding reset links."""
    if not _verify(user.password_hash, current_password):
        raise ValidationFailed(_l("Your current password is not correct."), field="current_password")
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    _expire_reset_tokens(user)


# --- Sign-up confirmed by email ---------------------------------------------------------------

def request_signup(email: str, name: str, password: str, *, valid_for: timedelta,
                   confirm_link: LinkBuilder, login_link: str, reset_link: str) -> None:
    """Email the address either a confirmation link (new address) or a note that it already has an
    account. The caller can't tell which: the work done and the answer are the same."""
    normalized = normalize_email(email)
    clean_name = _clean_name(name)
    password_hash = hash_password(password)  # always hashed, so both branches take as long
    _purge_expired()
    if db.session.scalar(select(User.id).where(User.email == normalized)) is not None:
        outbox.enqueue_for_worker(normalized, _("You already have an Organizer account"), ACCOUNT_MAIL,
                                  {"template": "account_exists", "login_url": login_link, "reset_url": reset_link})
        return
    token = new_token()
    db.session.add(SignupRequest(email=normalized, name=clean_name, password_hash=password_hash,
                                 token_hash=hash_token(token), expires_at=utcnow() + valid_for))
    hours = int(valid_for.total_seconds() // 3600)
    outbox.enqueue_for_worker(normalized, _("Finish creating your Organizer account"), ACCOUNT_MAIL,
                              {"template": "account_confirm", "hours": hours, "link": confirm_link(token)})


def find_signup_request(token: str) -> SignupRequest | None:
    record = db.session.scalar(select(SignupRequest).where(SignupRequest.token_hash == hash_token(token)))
    if record is None or record.expires_at <= utcnow():
        return None
    return record


def confirm_signup(token: str) -> User:
    """Create the account the link was sent for. The link works once; other pending sign-ups for the
    address are dropped. Raises NotFound (bad/expired/used link) or Conflict (account already exists)."""
    record = find_signup_request(token)
    if record is None:
        raise NotFound(_l("This link has expired or was already used."))
    # Claim the request: of two simultaneous confirmations only one deletes the row.
    claimed = rowcount(db.session.execute(delete(SignupRequest).where(SignupRequest.id == record.id)))
    if claimed != 1:
        raise NotFound(_l("This link has expired or was already used."))
    db.session.execute(delete(SignupRequest).where(SignupRequest.email == record.email))
    if db.session.scalar(select(User.id).where(User.email == record.email)) is not None:
        raise Conflict(_l("You already have an account with this email address. Sign in instead."))
    user = User(email=record.email, name=record.name, password_hash=record.password_hash)
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(_l("You already have an account with this email address. Sign in instead.")) from error
    return user


# --- Password reset ------------------------------------------------------------------------------

def create_reset_token(user: User, valid_for: timedelta) -> str:
    token = new_token()
    db.session.add(
        PasswordResetToken(user_id=user.id, token_hash=hash_token(token), expires_at=utcnow() + valid_for)
    )
    return token


def request_password_reset(email: str, *, valid_for: timedelta, reset_link: LinkBuilder) -> None:
    """Email a single-use link if the address has an account; otherwise do nothing, silently."""
    _purge_expired()
    user = find_user_by_email(email)
    if user is None:
        return
    token = create_reset_token(user, valid_for)
    minutes = int(valid_for.total_seconds() // 60)
    outbox.enqueue_for_worker(user.email, _("Reset your Organizer password"), ACCOUNT_MAIL,
                              {"template": "password_reset", "minutes": minutes, "link": reset_link(token)})


def find_reset_token(token: str) -> PasswordResetToken | None:
    record = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    )
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset link: the link works once, every session ends, and every
    other outstanding link of the account stops working."""
    check_password_rules(new_password)
    record = find_reset_token(token)
    if record is None:
        raise NotFound(_l("This reset link has expired or was already used. Ask for a new one."))
    # Use the token with a conditional update, so two simultaneous submissions can't both succeed.
    now = utcnow()
    used = rowcount(db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == record.id, PasswordResetToken.used_at.is_(None),
               PasswordResetToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ))
    if used != 1:
        raise NotFound(_l("This reset link has expired or was already used. Ask for a new one."))
    user = db.session.get(User, record.user_id)
    if user is None:
        raise NotFound(_l("This reset link has expired or was already used. Ask for a new one."))
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)
    _expire_reset_tokens(user)
    return user


def _purge_expired() -> None:
    """Old links are useless; drop them so the tables stay small."""
    now = utcnow()
    db.session.execute(delete(SignupRequest).where(SignupRequest.expires_at <= now))
    db.session.execute(
        delete(PasswordResetToken).where(PasswordResetToken.expires_at <= now - timedelta(days=7))
    )
