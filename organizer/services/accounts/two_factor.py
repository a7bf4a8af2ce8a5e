"""Two-factor sign-in: a TOTP secret per account (RFC 6238, any authenticator app) and ten
single-use recovery codes, stored only as Argon2 hashes.

Setting up is two steps: ``start_setup`` stores a new secret that counts for nothing yet; ``enable``
turns it on once the person types a code their app made from it. A code is accepted once: the
time step it belongs to is remembered, so a code read over a shoulder can't be replayed.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from organizer.database import rowcount
from organizer.extensions import db
from organizer.models import Campaign, RecoveryCode, Role, User
from organizer.services.accounts.accounts import password_matches
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict, ValidationFailed
from organizer.timeutil import utcnow

ISSUER = "Organizer"
RECOVERY_CODE_COUNT = 10
# Roles that see supporters' names and addresses: the ones a campaign can require two factors of.
SENSITIVE_ROLES = (Role.COORDINATOR, Role.ORGANIZER, Role.OWNER)
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper without doubt
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def start_setup(user: User) -> str:
    """A fresh secret for the person's app (replacing any unconfirmed one). Refused while two-factor is on."""
    if user.has_two_factor:
        raise Conflict(_l("Two-factor sign-in is already on."))
    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address the QR code carries."""
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name=ISSUER)


def _matching_step(secret: str, code: str, now: datetime | None) -> int | None:
    """The time step ``code`` belongs to (this one, or one either side for a slow typist or clock)."""
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now or utcnow()
    for offset in (0, -1, 1):
        step = totp.timecode(moment) + offset
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _accept_totp(user: User, code: str, now: datetime | None) -> bool:
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    # Claimed with a conditional update: of two requests with the same code only one succeeds.
    claimed = rowcount(db.session.execute(
        update(User)
        .where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ))
    if claimed == 1:
        user.totp_last_step = step
    return claimed == 1


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        groups = ["".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4)]
        code = "-".join(groups)  # 80 bits: 16 characters from 31
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, lookup=groups[0], code_hash=_hasher.hash(code)))
    db.session.flush()
    return codes


def enable(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn two-factor on with a code from the app; returns the recovery codes, shown this once."""
    if user.has_two_factor:
        raise Conflict(_l("Two-factor sign-in is already on."))
    if not user.totp_secret:
        raise Conflict(_l("Start again: scan the new QR code."))
    if not _accept_totp(user, code, now):
        raise ValidationFailed(_l("That code isn't right. Type the 6 digits your app shows now."), field="code")
    user.two_factor_enabled_at = now or utcnow()
    return _new_recovery_codes(user)


def _use_recovery_code(user: User, code: str) -> bool:
    cleaned = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    if len(cleaned) != 16:
        return False
    normalized = "-".join(cleaned[i:i + 4] for i in range(0, 16, 4))
    candidates = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.lookup == normalized[:4])
    ).all()
    for candidate in candidates:
        try:
            _hasher.verify(candidate.code_hash, normalized)
        except (VerificationError, InvalidHashError):
            continue
        # Single use even under two simultaneous requests: only one delete finds the row.
        return rowcount(db.session.execute(delete(RecoveryCode).where(RecoveryCode.id == candidate.id))) == 1
    return False


def verify(user: User, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` (from the app, or a recovery code, which is then used up) proves the second factor."""
    if not user.has_two_factor:
        return False
    return _accept_totp(user, code, now) or _use_recovery_code(user, code)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)) or 0


def regenerate_recovery_codes(user: User, code: str, now: datetime | None = None) -> list[str]:
    """New codes for old ones (lost, or used up); needs a code from the app."""
    if not user.has_two_factor or not _accept_totp(user, code, now):
        raise ValidationFailed(_l("That code isn't right. Type the 6 digits your app shows now."), field="code")
    return _new_recovery_codes(user)


def disable(user: User, password_or_code: str, now: datetime | None = None) -> None:
    """Turn two-factor off: needs the account's password or a current code. A campaign that requires
    two factors will then ask for it again before showing its pages."""
    if not user.has_two_factor:
        raise Conflict(_l("Two-factor sign-in is already off."))
    secret = password_or_code or ""
    if not (password_matches(user, secret) or _accept_totp(user, secret, now)):
        raise ValidationFailed(_l("That isn't your password or a current code."), field="password_or_code")
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def setup_required(user: User, campaign: Campaign) -> bool:
    """Whether this campaign wants this person to turn two-factor on before they see its pages."""
    if not campaign.two_factor_required or not getattr(user, "is_authenticated", False) or user.has_two_factor:
        return False
    return permissions.role_in(user, campaign) in SENSITIVE_ROLES
