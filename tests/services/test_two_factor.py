"""Two-factor sign-in rules: setting up, codes (once each), recovery codes (once each), turning off,
and which members a campaign's requirement applies to."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import RecoveryCode, Role
from organizer.services.accounts import two_factor
from organizer.services.common.errors import Conflict, ValidationFailed
from organizer.timeutil import utcnow
from tests import builders


def code_for(user, at=None):
    return pyotp.TOTP(user.totp_secret).at(at or utcnow())


def enabled_user(**kwargs):
    user = builders.make_user(**kwargs)
    two_factor.start_setup(user)
    codes = two_factor.enable(user, code_for(user))
    db.session.commit()
    return user, codes


def test_setting_up_needs_a_code_from_the_new_secret():
    user = builders.make_user()
    secret = two_factor.start_setup(user)
    assert not user.has_two_factor
    assert f"secret={secret}" in two_factor.provisioning_uri(user) and "issuer=Organizer" in two_factor.provisioning_uri(user)
    with pytest.raises(ValidationFailed):
        two_factor.enable(user, "000000" if code_for(user) != "000000" else "111111")
    assert not user.has_two_factor
    codes = two_factor.enable(user, code_for(user))
    assert user.has_two_factor
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in stored)  # only hashes
    with pytest.raises(Conflict):
        two_factor.start_setup(user)  # can't silently replace a working secret


def test_a_code_works_once_and_only_near_now():
    user, _ = enabled_user()
    now = utcnow()
    later = now + timedelta(seconds=90)
    code = code_for(user, later)
    assert two_factor.verify(user, code, now=later)
    assert not two_factor.verify(user, code, now=later)  # replayed
    assert not two_factor.verify(user, code_for(user, now + timedelta(minutes=10)), now=now + timedelta(minutes=20))
    assert not two_factor.verify(user, "", now=later) and not two_factor.verify(user, "12345a", now=later)


def test_a_recovery_code_signs_in_once():
    user, codes = enabled_user()
    assert two_factor.verify(user, codes[3].upper().replace("-", " "))  # typed loosely
    db.session.commit()
    assert two_factor.recovery_codes_left(user) == 9
    assert not two_factor.verify(user, codes[3])
    assert two_factor.verify(user, codes[4])


def test_turning_off_needs_the_password_or_a_code_and_forgets_everything():
    user, codes = enabled_user()
    with pytest.raises(ValidationFailed):
        two_factor.disable(user, "not my password")
    assert user.has_two_factor
    two_factor.disable(user, builders.DEFAULT_PASSWORD)
    assert not user.has_two_factor and user.totp_secret is None
    assert two_factor.recovery_codes_left(user) == 0
    assert not two_factor.verify(user, codes[0])


def test_new_recovery_codes_replace_the_old_ones():
    user, old = enabled_user()
    new = two_factor.regenerate_recovery_codes(user, code_for(user, utcnow() + timedelta(seconds=30)),
                                               now=utcnow() + timedelta(seconds=30))
    assert set(new).isdisjoint(old)
    assert not two_factor.verify(user, old[0])
    assert two_factor.verify(user, new[0])


@pytest.mark.parametrize("role, asked", [(Role.OWNER, True), (Role.ORGANIZER, True), (Role.COORDINATOR, True),
                                         (Role.DOOR, False)])
def test_a_campaign_requirement_applies_to_members_who_see_supporters(role, asked):
    campaign = builders.make_campaign(owner=builders.make_user())
    member = builders.make_user()
    builders.make_membership(campaign, member, role)
    assert not two_factor.setup_required(member, campaign)  # not required yet
    campaign.two_factor_required = True
    assert two_factor.setup_required(member, campaign) is asked
    two_factor.start_setup(member)
    two_factor.enable(member, code_for(member))
    assert not two_factor.setup_required(member, campaign)
