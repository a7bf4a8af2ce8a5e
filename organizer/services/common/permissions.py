"""Who may do what in a campaign. Declared here once; views and services ask, never decide."""

from __future__ import annotations

import enum

from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Campaign, Membership, Role, User
from organizer.services.common.errors import PermissionDenied


class Action(enum.StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    USE_DOOR = "use_door"
    VIEW_ATTENDEES = "view_attendees"
    EXPORT = "export"
    MANAGE_EVENTS = "manage_events"
    MANAGE_COVERAGE = "manage_coverage"
    MANAGE_RSVPS = "manage_rsvps"
    MANAGE_DOOR_LINKS = "manage_door_links"
    EDIT_CAMPAIGN = "edit_campaign"
    MANAGE_MEMBERS = "manage_members"
    VIEW_AUDIT = "view_audit"
    SEND_MESSAGES = "send_messages"


MINIMUM_ROLE: dict[Action, Role] = {
    Action.VIEW_DASHBOARD: Role.DOOR,
    Action.USE_DOOR: Role.DOOR,
    Action.VIEW_ATTENDEES: Role.COORDINATOR,
    Action.EXPORT: Role.COORDINATOR,
    Action.MANAGE_EVENTS: Role.ORGANIZER,
    Action.MANAGE_COVERAGE: Role.ORGANIZER,
    Action.MANAGE_RSVPS: Role.ORGANIZER,
    Action.MANAGE_DOOR_LINKS: Role.ORGANIZER,
    Action.EDIT_CAMPAIGN: Role.OWNER,
    Action.MANAGE_MEMBERS: Role.OWNER,
    Action.VIEW_AUDIT: Role.OWNER,
    Action.SEND_MESSAGES: Role.ORGANIZER,
}


def role_in(user: User | None, campaign: Campaign) -> Role | None:
    """The user's role in the campaign; site admins act as owners everywhere."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_admin:
        return Role.OWNER
    return db.session.scalar(
        select(Membership.role).where(
            Membership.campaign_id == campaign.id, Membership.user_id == user.id
        )
    )


def can(user: User | None, campaign: Campaign, action: Action) -> bool:
    role = role_in(user, campaign)
    return role is not None and role.at_least(MINIMUM_ROLE[action])


def require(user: User | None, campaign: Campaign, action: Action) -> Role:
    role = role_in(user, campaign)
    if role is None or not role.at_least(MINIMUM_ROLE[action]):
        raise PermissionDenied()
    return role


def allowed_actions(user: User | None, campaign: Campaign) -> set[Action]:
    role = role_in(user, campaign)
    if role is None:
        return set()
    return {action for action, minimum in MINIMUM_ROLE.items() if role.at_least(minimum)}
