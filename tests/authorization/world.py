"""One small world with a user for every persona, built fresh for each matrix case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from organizer.extensions import db
from organizer.models import (
    CoverageRelation,
    DoorLink,
    Event,
    Invitation,
    PasswordResetToken,
    Role,
    Rsvp,
    RsvpStatus,
    SignupRequest,
    User,
)
from organizer.services.common.tokens import hash_token, new_token
from organizer.timeutil import utcnow
from tests import builders

PERSONAS = (
    "anonymous",
    "supporter_link",  # holds one RSVP's private manage link, no account
    "door_link",  # opened the event's door link, no account
    "door",
    "coordinator",
    "organizer",
    "owner",
    "other_organizer",  # organizer of a different campaign
    "admin",
)


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    campaign: object = None
    event: Event | None = None
    rsvp: Rsvp | None = None
    waitlisted_rsvp: Rsvp | None = None
    manage_token: str = ""
    ticket_token: str = ""
    door_link: DoorLink | None = None
    door_token: str = ""
    coverage: object = None
    event_coverage: object = None
    question: object = None
    member: object = None  # the coordinator's membership
    other_campaign: object = None
    other_event: Event | None = None
    other_rsvp: Rsvp | None = None
    signup_token: str = ""  # a pending sign-up for newcomer@example.org
    reset_token: str = ""  # a password reset link of the owner
    invitation: object = None  # a pending invitation of invitee@example.org (no account) as door volunteer
    invite_token: str = ""
    other_invitation: object = None  # a pending invitation to the other campaign

    def personal_data(self) -> list[str]:
        """Supporters' names and addresses: never in a denied response, never shown to outsiders."""
        values = []
        for rsvp in (self.rsvp, self.waitlisted_rsvp, self.other_rsvp):
            if rsvp is not None:
                values += [rsvp.name, rsvp.email or ""]
        return [value for value in values if value]


def build_world() -> World:
    world = World()
    for persona in ("door", "coordinator", "organizer", "owner", "other_organizer"):
        world.users[persona] = builders.make_user(f"{persona}@example.org", name=persona.title())
    world.users["admin"] = builders.make_user("admin@example.org", name="Admin", is_admin=True)

    campaign = builders.make_campaign(owner=world.users["owner"], slug="syria")
    world.campaign = campaign
    builders.make_membership(campaign, world.users["door"], Role.DOOR)
    world.member = builders.make_membership(campaign, world.users["coordinator"], Role.COORDINATOR)
    builders.make_membership(campaign, world.users["organizer"], Role.ORGANIZER)

    world.event = builders.make_event(campaign, slug="lmc-meeting", capacity=10)
    world.question = builders.make_question(world.event)
    world.coverage = builders.make_coverage(campaign)
    world.event_coverage = builders.link_coverage(world.event, world.coverage, CoverageRelation.PROMPTED_BY)
    world.rsvp, world.manage_token, world.ticket_token = builders.make_rsvp(
        world.event, name="Amina", email="amina@example.org"
    )
    world.waitlisted_rsvp, _, _ = builders.make_rsvp(
        world.event, name="Bilal", email="bilal@example.org", status=RsvpStatus.WAITLISTED
    )

    world.door_token = new_token()
    world.door_link = DoorLink(event_id=world.event.id, label="Front door", token_hash=hash_token(world.door_token),
                               expires_at=utcnow() + timedelta(days=30))
    db.session.add(world.door_link)
    db.session.commit()

    world.other_campaign = builders.make_campaign(owner=world.users["other_organizer"], slug="elsewhere",
                                                  name="Another campaign")
    world.other_event = builders.make_event(world.other_campaign, slug="other-meeting")
    world.other_rsvp, _, _ = builders.make_rsvp(world.other_event, name="Carla", email="carla@example.org")

    world.signup_token, world.reset_token = new_token(), new_token()
    db.session.add(SignupRequest(email="newcomer@example.org", name="Newcomer",
                                 password_hash=world.users["owner"].password_hash,
                                 token_hash=hash_token(world.signup_token), expires_at=utcnow() + timedelta(hours=1)))
    db.session.add(PasswordResetToken(user_id=world.users["owner"].id, token_hash=hash_token(world.reset_token),
                                      expires_at=utcnow() + timedelta(hours=1)))
    world.invite_token = new_token()
    world.invitation = Invitation(campaign_id=campaign.id, email="invitee@example.org", role=Role.DOOR,
                                  token_hash=hash_token(world.invite_token), invited_by_id=world.users["owner"].id,
                                  expires_at=utcnow() + timedelta(days=7))
    world.other_invitation = Invitation(campaign_id=world.other_campaign.id, email="someone@example.org",
                                        role=Role.DOOR, token_hash=hash_token(new_token()),
                                        expires_at=utcnow() + timedelta(days=7))
    db.session.add_all([world.invitation, world.other_invitation])
    db.session.commit()
    return world
