"""Team invitations: an owner invites an email address with a role; whoever opens the emailed link
with the matching account joins.

The owner's answer is the same whether or not the address has an account (an invitation is sent
either way), so the members page tells nobody which addresses are registered. The link's token has
256 random bits, is stored only as a SHA-256 digest, works once and for seven days, and stops at
once when withdrawn. Accepting never signs anyone in: an existing account goes through the normal
sign-in (with its second step), and a campaign that requires two factors still asks a new member to
set them up before they see it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from organizer.database import rowcount
from organizer.extensions import db
from organizer.models import AccessKind, Campaign, Invitation, Membership, Role, User
from organizer.services.accounts import accounts
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict, DomainError, NotFound
from organizer.services.common.permissions import Action
from organizer.services.common.tokens import hash_token, new_token
from organizer.services.common.validation import one_of
from organizer.services.mail import outbox
from organizer.services.privacy import access_log
from organizer.timeutil import utcnow

VALID_FOR = timedelta(days=7)


class InvitationUnusable(DomainError):
    """The link can't be used; ``reason`` is "unknown", "expired", "withdrawn" or "used"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WrongAccount(DomainError):
    """Signed in with an account whose address is not the invited one."""


def invite(actor: User, campaign: Campaign, email: str, role: Role | str, *,
           accept_link: Callable[[str], str], now: datetime | None = None) -> Invitation:
    """Invite ``email``; an earlier pending invitation of the same address is replaced (its link stops)."""
    permissions.require(actor, campaign, Action.MANAGE_MEMBERS)
    now = now or utcnow()
    chosen: Role = one_of(Role, role, "role", _("Choose a role from the list."))
    normalized = accounts.normalize_email(email or "")
    member = db.session.scalar(
        select(Membership.id).join(User, User.id == Membership.user_id)
        .where(Membership.campaign_id == campaign.id, User.email == normalized)
    )
    if member is not None:  # the members list above already shows this address: nothing new is told
        raise Conflict(_("%(email)s is already a member of this campaign.", email=normalized))
    db.session.execute(
        update(Invitation)
        .where(Invitation.campaign_id == campaign.id, Invitation.email == normalized,
               Invitation.accepted_at.is_(None), Invitation.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    token = new_token()
    invitation = Invitation(campaign_id=campaign.id, email=normalized, role=chosen, token_hash=hash_token(token),
                            invited_by_id=actor.id, created_at=now, expires_at=now + VALID_FOR)
    db.session.add(invitation)
    db.session.flush()
    # Rendered by the worker like the other account mails (text and HTML); the link is cleared once sent.
    outbox.enqueue_for_worker(
        normalized,
        _("%(name)s invites you to %(campaign)s on Organizer", name=actor.name, campaign=campaign.name),
        accounts.ACCOUNT_MAIL,
        {"template": "team_invitation", "inviter": actor.name, "campaign": campaign.name,
         "role": role_name(chosen), "link": accept_link(token)},
    )
    access_log.record_access(campaign, AccessKind.INVITATION_SENT, actor=actor, subject=normalized,
                             detail=chosen.value)
    return invitation


def role_name(role: Role) -> str:
    names = {Role.OWNER: _("Owner"), Role.ORGANIZER: _("Organizer"), Role.COORDINATOR: _("Coordinator"),
             Role.DOOR: _("Door volunteer")}
    return names[role]


def pending(campaign: Campaign, now: datetime | None = None) -> list[Invitation]:
    now = now or utcnow()
    return list(db.session.scalars(
        select(Invitation)
        .where(Invitation.campaign_id == campaign.id, Invitation.accepted_at.is_(None),
               Invitation.withdrawn_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    ))


def get_pending(campaign: Campaign, invitation_id: int, now: datetime | None = None) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.campaign_id != campaign.id or not invitation.is_pending(now or utcnow()):
        raise NotFound(_("This invitation was already accepted, withdrawn or has expired."))
    return invitation


def withdraw(actor: User, campaign: Campaign, invitation: Invitation, now: datetime | None = None) -> None:
    permissions.require(actor, campaign, Action.MANAGE_MEMBERS)
    now = now or utcnow()
    claimed = rowcount(db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.campaign_id == campaign.id,
               Invitation.accepted_at.is_(None), Invitation.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    ))
    if claimed != 1:
        raise NotFound(_("This invitation was already accepted, withdrawn or has expired."))
    access_log.record_access(campaign, AccessKind.INVITATION_WITHDRAWN, actor=actor, subject=invitation.email,
                             detail=invitation.role.value)
    db.session.expire(invitation)


def find(token: str, now: datetime | None = None) -> Invitation:
    """The usable invitation behind ``token``, or InvitationUnusable saying why not."""
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token or "")))
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("used")
    if invitation.withdrawn_at is not None:
        raise InvitationUnusable("withdrawn")
    if invitation.expires_at <= (now or utcnow()):
        raise InvitationUnusable("expired")
    return invitation


def has_account(invitation: Invitation) -> bool:
    """Shown only to whoever holds the link, that is the owner of the invited address."""
    return accounts.find_user_by_email(invitation.email) is not None


def accept(token: str, user: User, now: datetime | None = None) -> Membership:
    """``user`` (signed in, the invited address) joins with the invited role. Of two acceptances at
    once only one claims the link; joining a campaign one already belongs to keeps the role one has."""
    now = now or utcnow()
    invitation = find(token, now)
    if accounts.normalize_email(user.email) != invitation.email:
        raise WrongAccount(_("This invitation is for another email address."))
    claimed = rowcount(db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
               Invitation.withdrawn_at.is_(None), Invitation.expires_at > now)
        .values(accepted_at=now, accepted_by_id=user.id)
    ))
    if claimed != 1:
        raise InvitationUnusable("used")
    existing = db.session.scalar(
        select(Membership).where(Membership.campaign_id == invitation.campaign_id, Membership.user_id == user.id)
    )
    if existing is not None:
        return existing
    membership = Membership(campaign_id=invitation.campaign_id, user_id=user.id, role=invitation.role)
    try:
        with db.session.begin_nested():
            db.session.add(membership)
            db.session.flush()
    except IntegrityError as error:  # an owner added them a moment ago
        raise Conflict(_("You are already a member of this campaign.")) from error
    access_log.record_access(invitation.campaign_id, AccessKind.MEMBER_JOINED, actor=user, subject=user.email,
                             detail=invitation.role.value)
    return membership


def accept_with_new_account(token: str, name: str, password: str, now: datetime | None = None) -> Membership:
    """Create the account for the invited address (the link proves the address) and join."""
    invitation = find(token, now)
    if has_account(invitation):
        raise Conflict(_("There is already an account with this email address. Sign in to accept."))
    accounts.check_password_rules(password)
    user = accounts.create_user(invitation.email, name, password)
    return accept(token, user, now)
