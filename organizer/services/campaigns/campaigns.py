"""Campaigns and their members: who may run a campaign, and the rule that one always has an owner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from organizer.extensions import db
from organizer.models import AccessKind, Campaign, Membership, Role, User
from organizer.services.accounts import accounts
from organizer.services.common import permissions, slugs
from organizer.services.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.common.validation import clean_text, one_of
from organizer.services.privacy import access_log, retention
from organizer.text import slugify
from organizer.timeutil import is_valid_timezone

NAME_MAX = 160
SUMMARY_MAX = 300
DESCRIPTION_MAX = 20_000
VENUE_MAX = 160
ADDRESS_MAX = 300
CITY_MAX = 120
COUNTRY_MAX = 120
SLUG_MAX = 80
CONTACT_EMAIL_MAX = 254


@dataclass
class CampaignInput:
    name: str
    summary: str = ""
    description: str = ""
    default_venue_name: str = ""
    default_address: str = ""
    default_city: str = ""
    default_country: str = ""
    default_timezone: str = ""  # "": the deployment's DEFAULT_TIMEZONE for a new campaign, unchanged on edit
    slug: str | None = None  # None: unchanged (editing only)
    two_factor_required: bool = False
    retention_days: int | None = retention.DEFAULT_DAYS
    contact_email: str | None = None  # None: unchanged (none for a new campaign); "": removed


def clean_contact_email(value: str) -> str | None:
    """The campaign's contact address as email_validator normalizes it (the case of the local part kept:
    it is sent to, not compared), or None when left empty. One address, no name, no line break: it
    becomes the Reply-To header of every mail the campaign sends."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > CONTACT_EMAIL_MAX:
        raise ValidationFailed(_("Use at most %(n)s characters.", n=CONTACT_EMAIL_MAX), field="contact_email")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValidationFailed(_("Enter an email address like name@example.org."), field="contact_email") from error


def _validated(data: CampaignInput, current_timezone: str | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": clean_text(data.name, NAME_MAX, "name", required_message=_("Enter a name for the campaign.")),
        "summary": clean_text(data.summary, SUMMARY_MAX, "summary"),
        "description": clean_text(data.description, DESCRIPTION_MAX, "description"),
        "default_venue_name": clean_text(data.default_venue_name, VENUE_MAX, "default_venue_name"),
        "default_address": clean_text(data.default_address, ADDRESS_MAX, "default_address"),
        "default_city": clean_text(data.default_city, CITY_MAX, "default_city"),
        "default_country": clean_text(data.default_country, COUNTRY_MAX, "default_country"),
        "default_timezone": (data.default_timezone or "").strip() or current_timezone
                            or current_app.config["DEFAULT_TIMEZONE"],
        "two_factor_required": bool(data.two_factor_required),
        "retention_days": data.retention_days,
    }
    if data.contact_email is not None:
        values["contact_email"] = clean_contact_email(data.contact_email)
    if values["retention_days"] not in retention.CHOICES:
        raise ValidationFailed(_("Choose how long to keep supporters' details from the list."),
                               field="retention_days")
    if not is_valid_timezone(values["default_timezone"]):
        raise ValidationFailed(_("Choose a timezone from the list."), field="default_timezone")
    return values


def unique_slug(model, base: str, max_length: int) -> str:
    """``base`` or ``base-2``, ``base-3``…: the first one no row of ``model`` uses yet.

    The column's unique index stays the real guard; this only picks a free candidate.
    """
    base = slugify(base, max_length=max_length - 4)
    taken = set(
        db.session.scalars(
            select(model.slug).where((model.slug == base) | model.slug.like(f"{base}-%"))
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _check_can_require_two_factor(actor: User, values: dict) -> None:
    if values["two_factor_required"] and not actor.has_two_factor:
        # Otherwise the owner would be sent away from the page they just saved.
        raise ValidationFailed(_("Turn on two-factor sign-in for your own account first."),
                               field="two_factor_required")


def create_campaign(actor: User, data: CampaignInput) -> Campaign:
    """Any signed-in organizer may start a campaign; they become its owner."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()
    values = _validated(data)
    _check_can_require_two_factor(actor, values)
    campaign = Campaign(slug=unique_slug(Campaign, values["name"], SLUG_MAX), **values)
    db.session.add(campaign)
    db.session.flush()
    db.session.add(Membership(campaign_id=campaign.id, user_id=actor.id, role=Role.OWNER))
    db.session.flush()
    return campaign


def update_campaign(actor: User, campaign: Campaign, data: CampaignInput) -> Campaign:
    permissions.require(actor, campaign, Action.EDIT_CAMPAIGN)
    values = _validated(data, campaign.default_timezone)
    if data.slug is not None:
        slugs.change_slug(campaign, data.slug, SLUG_MAX)
    if not campaign.two_factor_required:
        _check_can_require_two_factor(actor, values)
    for field, value in values.items():
        setattr(campaign, field, value)
    db.session.flush()
    return campaign


def campaigns_for(user: User) -> list[tuple[Campaign, Role]]:
    """The campaigns a person belongs to with their role; admins see every campaign as owners."""
    if user.is_admin:
        campaigns = db.session.scalars(select(Campaign).order_by(func.lower(Campaign.name))).all()
        return [(campaign, Role.OWNER) for campaign in campaigns]
    rows = db.session.execute(
        select(Campaign, Membership.role)
        .join(Membership, Membership.campaign_id == Campaign.id)
        .where(Membership.user_id == user.id)
        .order_by(func.lower(Campaign.name))
    ).all()
    return [(campaign, role) for campaign, role in rows]


def members(campaign: Campaign) -> list[Membership]:
    """Members with their accounts, most trusted role first, then by name."""
    memberships = db.session.scalars(
        select(Membership)
        .options(joinedload(Membership.user))
        .where(Membership.campaign_id == campaign.id)
    ).all()
    return sorted(memberships, key=lambda m: (-m.role.rank, m.user.name.lower(), m.user.email))


def get_membership(campaign: Campaign, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.campaign_id != campaign.id:
        raise NotFound(_("No such member."))
    return membership


def _parse_role(role: Role | str) -> Role:
    return one_of(Role, role, "role", _("Choose a role from the list."))


def add_member(actor: User, campaign: Campaign, email: str, role: Role | str) -> Membership:
    """Add an existing account by its email. Only owners reach this, so saying whether an
    account exists tells nothing to someone who shouldn't know."""
    permissions.require(actor, campaign, Action.MANAGE_MEMBERS)
    role = _parse_role(role)
    normalized = accounts.normalize_email(email or "")
    user = db.session.scalar(select(User).where(User.email == normalized))
    if user is None:
        raise NotFound(
            _("There is no account with this email. Ask them to create one first, then add them here.")
        )
    exists = db.session.scalar(
        select(Membership.id).where(Membership.campaign_id == campaign.id, Membership.user_id == user.id)
    )
    if exists is not None:
        raise Conflict(_("%(name)s is already a member of this campaign.", name=user.name))
    membership = Membership(campaign_id=campaign.id, user_id=user.id, role=role)
    db.session.add(membership)
    db.session.flush()
    access_log.record_access(campaign, AccessKind.MEMBER_JOINED, actor=actor, subject=user.email, detail=role.value)
    return membership


def _owner_count(campaign: Campaign) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.campaign_id == campaign.id, Membership.role == Role.OWNER
        )
    ) or 0


def is_last_owner(campaign: Campaign, membership: Membership) -> bool:
    """Whether ``membership`` is the campaign's only owner (who can be neither demoted nor removed)."""
    return membership.role is Role.OWNER and _owner_count(campaign) <= 1


def _lock_owners(campaign: Campaign) -> None:
    """On PostgreSQL, lock the owner rows so two owners demoting each other at once can't leave none."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            select(Membership.id)
            .where(Membership.campaign_id == campaign.id, Membership.role == Role.OWNER)
            .with_for_update()
        ).all()


def change_role(actor: User, campaign: Campaign, membership: Membership, role: Role | str) -> Membership:
    permissions.require(actor, campaign, Action.MANAGE_MEMBERS)
    if membership.campaign_id != campaign.id:
        raise NotFound(_("No such member."))
    role = _parse_role(role)
    if membership.role is Role.OWNER and role is not Role.OWNER:
        _lock_owners(campaign)
        if is_last_owner(campaign, membership):
            raise Conflict(_("A campaign needs at least one owner. Make someone else an owner first."))
    before = membership.role
    membership.role = role
    db.session.flush()
    if before is not role:
        access_log.record_access(campaign, AccessKind.ROLE_CHANGED, actor=actor, subject=membership.user.email,
                                 detail=f"{before.value}>{role.value}")
    return membership


def remove_member(actor: User, campaign: Campaign, membership: Membership) -> None:
    permissions.require(actor, campaign, Action.MANAGE_MEMBERS)
    if membership.campaign_id != campaign.id:
        raise NotFound(_("No such member."))
    if membership.role is Role.OWNER:
        _lock_owners(campaign)
        if is_last_owner(campaign, membership):
            raise Conflict(_("The last owner can't be removed. Make someone else an owner first."))
    access_log.record_access(campaign, AccessKind.MEMBER_REMOVED, actor=actor, subject=membership.user.email,
                             detail=membership.role.value)
    db.session.delete(membership)
    db.session.flush()
