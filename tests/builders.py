"""Builders with sensible defaults and ``**overrides``: each commits and returns what it made."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from organizer.extensions import db
from organizer.models import (
    Campaign,
    Coverage,
    CoverageRelation,
    EmailPolicy,
    Event,
    EventCoverage,
    EventStatus,
    Membership,
    Question,
    QuestionKind,
    Role,
    Rsvp,
    RsvpStatus,
    User,
    Visibility,
)
from organizer.services.accounts import accounts
from organizer.services.common.tokens import hash_token, new_token, ticket_token_for
from organizer.timeutil import utcnow

DEFAULT_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


_hash_cache: dict[str, str] = {}


def make_user(email: str | None = None, *, name: str | None = None, password: str = DEFAULT_PASSWORD,
              is_admin: bool = False) -> User:
    # Argon2 is slow on purpose; hash each distinct test password once per run.
    if password not in _hash_cache:
        _hash_cache[password] = accounts.hash_password(password)
    user = User(email=(email or f"{unique('user')}@example.org").lower(), name=name or "Sam Organizer",
                password_hash=_hash_cache[password], is_admin=is_admin)
    db.session.add(user)
    db.session.commit()
    return user


def make_campaign(owner: User | None = None, **overrides) -> Campaign:
    slug = overrides.pop("slug", None) or unique("campaign")
    values = dict(name="Syria Solidarity", summary="Standing with Syria's revolution.",
                  description="We meet, we march, we report.", default_timezone="Europe/London")
    values.update(overrides)
    campaign = Campaign(slug=slug, **values)
    db.session.add(campaign)
    db.session.flush()
    if owner is not None:
        db.session.add(Membership(campaign_id=campaign.id, user_id=owner.id, role=Role.OWNER))
    db.session.commit()
    return campaign


def make_membership(campaign: Campaign, user: User, role: Role) -> Membership:
    membership = Membership(campaign_id=campaign.id, user_id=user.id, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


# The same people in every test that needs a campaign team: door, report and browser tests.
TEAM = {
    "owner": ("owner@example.org", "Olive Owner", Role.OWNER),
    "organizer": ("org@example.org", "Oren Organizer", Role.ORGANIZER),
    "coordinator": ("coord@example.org", "Cora Coordinator", Role.COORDINATOR),
    "door": ("door@example.org", "Dora Door", Role.DOOR),
}


def make_team(*roles: str, slug: str = "syria") -> dict:
    """A campaign (``slug``) owned by owner@example.org, with one member for each role named:
    ``make_team("door", "coordinator")`` -> {"campaign", "owner", "door", "coordinator"}."""
    email, name, _role = TEAM["owner"]
    team = {"owner": make_user(email, name=name)}
    team["campaign"] = make_campaign(owner=team["owner"], slug=slug)
    for key in roles:
        email, name, role = TEAM[key]
        team[key] = make_user(email, name=name)
        make_membership(team["campaign"], team[key], role)
    return team


def make_event(campaign: Campaign, **overrides) -> Event:
    starts_at = overrides.pop("starts_at", None) or (utcnow() + timedelta(days=7)).replace(
        minute=0, second=0, microsecond=0
    )
    values = dict(
        slug=unique("event"),
        title="Solidarity meeting",
        description="Come and hear speakers from Syria.",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        timezone="Europe/London",
        venue_name="London Muslim Centre",
        address="46 Whitechapel Road",
        city="London",
        country="United Kingdom",
        status=EventStatus.PUBLISHED,
        visibility=Visibility.PUBLIC,
        email_policy=EmailPolicy.OPTIONAL,
        max_guests=3,
    )
    values.update(overrides)
    event = Event(campaign_id=campaign.id, **values)
    db.session.add(event)
    db.session.commit()
    return event


def make_question(event: Event, **overrides) -> Question:
    values = dict(label="Do you need step-free access?", kind=QuestionKind.YES_NO, required=False,
                  position=len(event.questions))
    values.update(overrides)
    question = Question(event_id=event.id, **values)
    db.session.add(question)
    db.session.commit()
    return question


def make_coverage(campaign: Campaign, **overrides) -> Coverage:
    values = dict(
        url="https://socialistworker.co.uk/art/27009/Syrians+defy+assault+on+Homs",
        headline="Syrians defy assault on Homs",
        outlet="Socialist Worker",
        author="Simon Assaf",
        published_on=date(2012, 3, 3),
        excerpt="Mass executions, families butchered in their homes, checkpoints and disappearances.",
        language="en",
    )
    values.update(overrides)
    coverage = Coverage(campaign_id=campaign.id, **values)
    db.session.add(coverage)
    db.session.commit()
    return coverage


def link_coverage(event: Event, coverage: Coverage, relation: CoverageRelation = CoverageRelation.PROMPTED_BY,
                  note: str = "") -> EventCoverage:
    link = EventCoverage(event_id=event.id, coverage_id=coverage.id, relation=relation, note=note)
    db.session.add(link)
    db.session.commit()
    return link


def make_rsvp(event: Event, **overrides) -> tuple[Rsvp, str, str]:
    """A row written directly (no capacity rule); returns (rsvp, manage_token, ticket_token)."""
    manage_token = new_token()
    ticket_token = ticket_token_for(manage_token)
    name = overrides.pop("name", None) or unique("Supporter")
    email = overrides.pop("email", f"{name.lower()}@example.org")
    values = dict(name=name, email=email, email_normalized=email.lower() if email else None, guests=0,
                  status=RsvpStatus.GOING, consent_contact=False,
                  manage_token_hash=hash_token(manage_token), ticket_token_hash=hash_token(ticket_token))
    values.update(overrides)
    rsvp = Rsvp(event_id=event.id, **values)
    db.session.add(rsvp)
    db.session.commit()
    return rsvp, manage_token, ticket_token


def at(year: int, month: int, day: int, hour: int = 19, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute)
