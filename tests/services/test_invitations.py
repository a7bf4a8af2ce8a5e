"""Team invitations: owners only; the same result whether or not the address has an account; the
token is 256 bits and stored hashed; it expires after 7 days, works once and stops when withdrawn;
only the invited address's account can accept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Invitation, Membership, Role, User
from organizer.services.campaigns import invitations
from organizer.services.campaigns.invitations import InvitationUnusable, WrongAccount
from organizer.services.common.errors import Conflict, PermissionDenied, ValidationFailed
from organizer.services.common.tokens import hash_token
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import messages_to


@pytest.fixture
def team():
    return builders.make_team("organizer")


def invite(team, email="nadia@example.org", role="coordinator", now=None):
    tokens: list[str] = []
    invitation = invitations.invite(team["owner"], team["campaign"], email, role, now=now,
                                    accept_link=lambda token: tokens.append(token) or f"https://x.test/invite/{token}")
    db.session.commit()
    return invitation, tokens[0]


def membership(user, campaign):
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                      Membership.campaign_id == campaign.id))


def test_only_owners_invite(team):
    with pytest.raises(PermissionDenied):
        invitations.invite(team["organizer"], team["campaign"], "x@example.org", "door", accept_link=str)


def test_the_token_is_long_stored_hashed_and_mailed(team):
    invitation, token = invite(team)
    assert len(token) >= 43  # 256 bits in URL-safe base64 (at least 128 required)
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    [mail] = messages_to("nadia@example.org")
    assert f"/invite/{token}" in mail.body_text and "Syria Solidarity" in mail.subject + mail.body_text
    # Both parts, like every other mail: the HTML one with the link as a button.
    assert f'href="https://x.test/invite/{token}"' in mail.body_html and "Syria Solidarity" in mail.body_html


def test_the_same_happens_whether_or_not_the_address_has_an_account(team):
    builders.make_user("known@example.org", name="Known")
    known, _ = invite(team, "known@example.org")
    unknown, _ = invite(team, "unknown@example.org")
    assert len(messages_to("known@example.org")) == len(messages_to("unknown@example.org")) == 1
    assert (known.role, known.accepted_at) == (unknown.role, unknown.accepted_at)
    # Nobody joined yet: the account holder too has to accept.
    assert membership(db.session.scalar(select(User).where(User.email == "known@example.org")),
                      team["campaign"]) is None


def test_bad_addresses_roles_and_members_are_refused(team):
    with pytest.raises(ValidationFailed):
        invitations.invite(team["owner"], team["campaign"], "not an email", "door", accept_link=str)
    with pytest.raises(ValidationFailed):
        invitations.invite(team["owner"], team["campaign"], "a@example.org", "superuser", accept_link=str)
    with pytest.raises(Conflict):
        invitations.invite(team["owner"], team["campaign"], "ORG@example.org", "door", accept_link=str)


def test_accept_with_an_existing_account(team):
    user = builders.make_user("nadia@example.org", name="Nadia")
    _, token = invite(team, "Nadia@Example.org")
    joined = invitations.accept(token, user)
    db.session.commit()
    assert joined.role is Role.COORDINATOR and membership(user, team["campaign"]) is not None


def test_accept_with_a_new_account(team):
    _, token = invite(team)
    joined = invitations.accept_with_new_account(token, "Nadia", "a-long-password")
    db.session.commit()
    assert joined.user.email == "nadia@example.org" and joined.role is Role.COORDINATOR


def test_a_new_account_is_not_made_for_an_address_that_has_one(team):
    builders.make_user("nadia@example.org")
    _, token = invite(team)
    with pytest.raises(Conflict):
        invitations.accept_with_new_account(token, "Nadia", "a-long-password")


def test_only_the_invited_address_can_accept(team):
    _, token = invite(team)
    with pytest.raises(WrongAccount):
        invitations.accept(token, team["organizer"])
    assert invitations.find(token).accepted_at is None


@pytest.mark.parametrize("reason", ["used", "withdrawn", "expired", "unknown"])
def test_used_withdrawn_expired_and_unknown_links_are_refused(team, reason):
    user = builders.make_user("nadia@example.org")
    invitation, token = invite(team)
    now = None
    if reason == "used":
        invitations.accept(token, user)
        db.session.commit()
    elif reason == "withdrawn":
        invitations.withdraw(team["owner"], team["campaign"], invitation)
        db.session.commit()
    elif reason == "expired":
        now = invitation.created_at + timedelta(days=7)
    else:
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(InvitationUnusable) as caught:
        invitations.accept(token, user, now=now)
    assert caught.value.reason == reason


def test_a_second_invitation_to_the_same_address_replaces_the_first(team):
    _first, first_token = invite(team)
    second, second_token = invite(team, role="door")
    assert [i.id for i in invitations.pending(team["campaign"])] == [second.id]
    with pytest.raises(InvitationUnusable):
        invitations.find(first_token)
    assert invitations.find(second_token).role is Role.DOOR


def test_pending_leaves_out_expired_ones(team):
    invitation, _ = invite(team, now=utcnow() - timedelta(days=8))
    assert invitations.pending(team["campaign"]) == []
    assert db.session.get(Invitation, invitation.id) is not None
