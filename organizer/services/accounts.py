"""Accounts: Argon2id passwords, sessions that can be ended everywhere, reset tokens."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import PasswordResetToken, User
from organizer.services.errors import Conflict, ValidationFailed
from organizer.services.tokens import hash_token, new_token
from organizer.timeutil import utcnow

# OWASP's first recommended Argon2id configuration: m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when no account matches, so "no such account" costs as long as "wrong password".
_DUMMY_HASH = _hasher.hash("organizer-dummy-password")

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


def normalize_email(email: str) -> str:
    """Lower-cased, validated address; raises ValidationFailed with a readable message."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationFailed(str(error), field="email") from error
    return result.normalized.lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(f"Use at most {MAX_PASSWORD_LENGTH} characters.", field="password")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def find_user_by_email(email: str) -> User | None:
    try:
        normalized = normalize_email(email)
    except ValidationFailed:
        return None
    return db.session.scalar(select(User).where(User.email == normalized))


def create_user(email: str, name: str, password: str, *, is_admin: bool = False) -> User:
    normalized = normalize_email(email)
    if db.session.scalar(select(User.id).where(User.email == normalized)) is not None:
        raise Conflict("An account with this email already exists.")
    name = name.strip()
    if not name:
        raise ValidationFailed("Enter a name.", field="name")
    user = User(email=normalized, name=name, password_hash=hash_password(password), is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the password matches; None otherwise, taking the same time either way."""
    user = find_user_by_email(email) if len(password) <= MAX_PASSWORD_LENGTH else None
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password[:MAX_PASSWORD_LENGTH])
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def end_all_sessions(user: User) -> None:
    user.session_version += 1


def change_password(user: User, current_password: str, new_password: str) -> None:
    try:
        _hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError) as error:
        raise ValidationFailed("Your current password is not correct.", field="current_password") from error
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)


def create_reset_token(user: User, valid_for: timedelta) -> str:
    token = new_token()
    db.session.add(
        PasswordResetToken(user_id=user.id, token_hash=hash_token(token), expires_at=utcnow() + valid_for)
    )
    return token


def find_reset_token(token: str) -> PasswordResetToken | None:
    record = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    )
    if record is None or record.used_at is not None or record.expires_at <= utcnow():
        return None
    return record


def reset_password(token: str, new_password: str) -> User:
    record = find_reset_token(token)
    if record is None:
        raise ValidationFailed("This reset link has expired or was already used. Ask for a new one.")
    user = db.session.get(User, record.user_id)
    assert user is not None
    user.password_hash = hash_password(new_password)
    record.used_at = utcnow()
    end_all_sessions(user)
    return user
