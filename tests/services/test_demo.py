from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from organizer import demo
from organizer.extensions import db
from organizer.models import (
    Campaign,
    Coverage,
    CoverageRelation,
    CrowdCountEntry,
    Event,
    EventCoverage,
    EventStatus,
    Membership,
    Role,
    User,
    Visibility,
)
from organizer.services.accounts import accounts
from organizer.services.events import listings as event_listings
from organizer.timeutil import utcnow


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_builds_the_syria_campaign():
    assert demo.load_demo() is True
    db.session.commit()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "syria-solidarity"))
    assert campaign.name == "Syria Solidarity"

    lmc = db.session.scalar(select(Event).where(Event.venue_name == "London Muslim Centre"))
    assert lmc.address == "46-92 Whitechapel Road, London E1 1JQ"
    assert lmc.city == "London"
    assert lmc.status is EventStatus.PUBLISHED and lmc.visibility is Visibility.PUBLIC
    assert lmc.local_start.date() == date(2012, 2, 29) and lmc.has_ended

    links = {
        link.relation: link.coverage
        for link in db.session.scalars(select(EventCoverage).where(EventCoverage.event_id == lmc.id))
    }
    prompted = links[CoverageRelation.PROMPTED_BY]
    assert (prompted.headline, prompted.author, prompted.outlet) == (
        "Syrians defy assault on Homs", "Simon Assaf", "Socialist Worker")
    assert prompted.excerpt.startswith("Mass executions, families butchered in their homes")
    assert links[CoverageRelation.REPORT].headline == "Solidarity meeting pledges support for Syrian revolution"
    crowd = db.session.scalar(select(func.sum(CrowdCountEntry.delta)).where(CrowdCountEntry.event_id == lmc.id))
    assert crowd == 400


def test_demo_has_upcoming_meetings_in_other_cities():
    demo.load_demo()
    db.session.commit()
    upcoming = event_listings.upcoming_public_events()
    assert {event.city for event in upcoming} >= {"Manchester", "Glasgow", "Birmingham"}
    assert all(event.starts_at > utcnow() for event in upcoming)
    with_capacity = [event for event in upcoming if event.capacity]
    assert with_capacity and len(with_capacity[0].questions) >= 2


def test_demo_accounts_sign_in_with_their_roles():
    demo.load_demo()
    db.session.commit()
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "syria-solidarity"))
    expected = {"organizer@example.org": Role.OWNER, "coordinator@example.org": Role.COORDINATOR,
                "door@example.org": Role.DOOR}
    for email, role in expected.items():
        user = accounts.authenticate(email, "solidarity-2012")
        assert user is not None, email
        membership = db.session.scalar(
            select(Membership).where(Membership.user_id == user.id, Membership.campaign_id == campaign.id))
        assert membership.role is role


def test_demo_is_idempotent():
    assert demo.load_demo() is True
    db.session.commit()
    counts = [count(model) for model in (User, Campaign, Event, Coverage, EventCoverage, CrowdCountEntry)]
    assert demo.load_demo() is False
    db.session.commit()
    assert [count(model) for model in (User, Campaign, Event, Coverage, EventCoverage, CrowdCountEntry)] == counts


def test_demo_reuses_existing_accounts():
    from tests import builders

    existing = builders.make_user("organizer@example.org", name="Already here")
    assert demo.load_demo() is True
    db.session.commit()
    assert count(User) == 3
    assert db.session.get(User, existing.id).name == "Already here"
