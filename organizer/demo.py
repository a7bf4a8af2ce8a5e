"""Demo data: the Syria solidarity campaign from shared/seed.

The London Muslim Centre meeting of Wednesday 29 February 2012 ("Over 400 people met at the London
Muslim Centre last week to pledge support for Syria's revolution" — Socialist Worker issue 2293),
the article behind it, the report of it, a crowd count of 400, and a few upcoming meetings in other
cities, dated from today so they stay upcoming. Running it twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from organizer.extensions import db
from organizer.models import (
    Campaign,
    Coverage,
    CoverageRelation,
    CrowdCountEntry,
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
from organizer.timeutil import to_local, to_utc, utcnow

DEMO_PASSWORD = "solidarity-2012"  # noqa: S105 - the demo login the README prints
CAMPAIGN_SLUG = "syria-solidarity"
# Not DEFAULT_TIMEZONE: the demo tells one story, meetings across Britain in 2012, and its times are London's.
TIMEZONE = "Europe/London"

DEMO_USERS = (
    ("organizer@example.org", "Demo Organizer", Role.OWNER),
    ("coordinator@example.org", "Demo Coordinator", Role.COORDINATOR),
    ("door@example.org", "Demo Door Volunteer", Role.DOOR),
)

ARTICLE_EXCERPT = (
    "Mass executions, families butchered in their homes, checkpoints and disappearances. This is "
    "reality for those living in the Baba Amr district of Homs, Syria’s third city and the capital "
    "of the revolution."
)

CAMPAIGN_DESCRIPTION = """\
Since the assault on Baba Amr, people across Britain have been meeting to stand with Syria's
revolution: to hear from Syrians here, to share the news that doesn't make the headlines, and to
organise solidarity.

**Everyone is welcome.** Meetings are free; places are limited at some venues, so please RSVP.
"""

LMC_DESCRIPTION = """\
A public meeting hosted by the London Muslim Centre to pledge support for Syria's revolution.

Speakers from the Syrian community in Britain report on the assault on Homs and the wave of
protests it has sparked, followed by an open discussion: how can we build solidarity here?
"""

UPCOMING: tuple[dict[str, Any], ...] = (
    {
        "title": "Manchester stands with Syria",
        "days": 9,
        "venue_name": "Friends Meeting House",
        "address": "6 Mount Street, Manchester M2 5NS",
        "city": "Manchester",
        "capacity": 120,
        "email_policy": EmailPolicy.REQUIRED,
        "ask_phone": True,
        "max_guests": 2,
        "questions": (
            ("Do you need step-free access or a hearing loop?", QuestionKind.YES_NO, "", False),
            ("How did you hear about the meeting?", QuestionKind.CHOICE,
             "A friend\nSocial media\nA leaflet\nMy mosque, church or union", False),
        ),
        "rsvps": ("Amina Hassan", "Tom Bradley", "Layla Darwish", "Priya Shah", "Sean Murphy"),
    },
    {
        "title": "Glasgow solidarity meeting: Syria's revolution",
        "days": 16,
        "venue_name": "Renfield St Stephen's Centre",
        "address": "260 Bath Street, Glasgow G2 4JP",
        "city": "Glasgow",
        "capacity": None,
        "email_policy": EmailPolicy.OPTIONAL,
        "ask_phone": False,
        "max_guests": 3,
        "questions": (),
        "rsvps": ("Fiona Campbell", "Omar Haddad"),
    },
    {
        "title": "Birmingham: from Homs to Aleppo — solidarity with the Syrian revolution",
        "days": 23,
        "venue_name": "The Priory Rooms",
        "address": "40 Bull Street, Birmingham B4 6AF",
        "city": "Birmingham",
        "capacity": None,
        "email_policy": EmailPolicy.OPTIONAL,
        "ask_phone": False,
        "max_guests": 3,
        "questions": (),
        "rsvps": (),
    },
)


def _user(email: str, name: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(email, name, DEMO_PASSWORD)
    return user


def _evening(days_from_today: int, hour: int = 19, hours: float = 2) -> tuple[datetime, datetime]:
    """An evening ``days_from_today`` in London, as naive UTC (start, end)."""
    today = to_local(utcnow(), TIMEZONE).date()
    local = datetime.combine(today + timedelta(days=days_from_today), datetime.min.time()).replace(hour=hour)
    return to_utc(local, TIMEZONE), to_utc(local + timedelta(hours=hours), TIMEZONE)


def _add_rsvp(event: Event, name: str) -> None:
    manage_token = new_token()
    email = name.lower().replace(" ", ".") + "@example.org"
    db.session.add(Rsvp(
        event_id=event.id, name=name, email=email, email_normalized=email, status=RsvpStatus.GOING,
        manage_token_hash=hash_token(manage_token), ticket_token_hash=hash_token(ticket_token_for(manage_token)),
    ))


def load_demo() -> bool:
    """Build the demo campaign unless it is already there. Returns True if it created anything."""
    if db.session.scalar(select(Campaign.id).where(Campaign.slug == CAMPAIGN_SLUG)) is not None:
        return False

    users = {email: (_user(email, name), role) for email, name, role in DEMO_USERS}
    campaign = Campaign(
        slug=CAMPAIGN_SLUG,
        name="Syria Solidarity",
        summary="Standing with Syria's revolution: public meetings across Britain, and the news behind them.",
        description=CAMPAIGN_DESCRIPTION,
        default_venue_name="London Muslim Centre",
        default_address="46-92 Whitechapel Road, London E1 1JQ",
        default_city="London",
        default_country="United Kingdom",
        default_timezone=TIMEZONE,
    )
    db.session.add(campaign)
    db.session.flush()
    for user, role in users.values():
        db.session.add(Membership(campaign_id=campaign.id, user_id=user.id, role=role))

    lmc = Event(
        campaign_id=campaign.id,
        slug="london-muslim-centre-solidarity-meeting-2012-02-29",
        title="Solidarity with the Syrian revolution",
        description=LMC_DESCRIPTION,
        starts_at=to_utc(datetime(2012, 2, 29, 19, 0), TIMEZONE),
        ends_at=to_utc(datetime(2012, 2, 29, 21, 30), TIMEZONE),
        timezone=TIMEZONE,
        venue_name="London Muslim Centre",
        address="46-92 Whitechapel Road, London E1 1JQ",
        city="London",
        country="United Kingdom",
        status=EventStatus.PUBLISHED,
        visibility=Visibility.PUBLIC,
        email_policy=EmailPolicy.OPTIONAL,
        max_guests=3,
    )
    db.session.add(lmc)

    article = Coverage(
        campaign_id=campaign.id,
        url="https://socialistworker.co.uk/art/27271/Syrians+defy+assault+on+Homs",
        headline="Syrians defy assault on Homs",
        outlet="Socialist Worker",
        author="Simon Assaf",
        published_on=date(2012, 3, 6),  # issue No. 2293, dated 10 March 2012
        excerpt=ARTICLE_EXCERPT,
        language="en",
    )
    report = Coverage(
        campaign_id=campaign.id,
        url="https://socialistworker.co.uk/?s=Solidarity+meeting+pledges+support+for+Syrian+revolution",
        headline="Solidarity meeting pledges support for Syrian revolution",
        outlet="Socialist Worker",
        author="",
        published_on=date(2012, 3, 1),
        excerpt=(
            "Over 400 people met at the London Muslim Centre in Whitechapel, east London, to pledge "
            "support for Syria's revolution."
        ),
        language="en",
    )
    db.session.add_all([article, report])
    db.session.flush()
    organizer = users["organizer@example.org"][0]
    db.session.add_all([
        EventCoverage(event_id=lmc.id, coverage_id=article.id, relation=CoverageRelation.PROMPTED_BY,
                      note="The assault on Baba Amr, and the wave of protests it sparked across Syria."),
        EventCoverage(event_id=lmc.id, coverage_id=report.id, relation=CoverageRelation.REPORT),
        CrowdCountEntry(event_id=lmc.id, delta=400, actor_user_id=organizer.id,
                        created_at=to_utc(datetime(2012, 2, 29, 20, 0), TIMEZONE)),
    ])

    for spec in UPCOMING:
        starts_at, ends_at = _evening(spec["days"])
        event = Event(
            campaign_id=campaign.id,
            slug=f"{spec['city'].lower()}-solidarity-meeting",
            title=spec["title"],
            description=(
                f"A public meeting in {spec['city']} to stand with Syria's revolution. Hear from Syrians "
                "living here, get the news from Homs, Aleppo and Damascus, and help organise solidarity."
            ),
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=TIMEZONE,
            venue_name=spec["venue_name"],
            address=spec["address"],
            city=spec["city"],
            country="United Kingdom",
            capacity=spec["capacity"],
            rsvp_deadline=starts_at - timedelta(hours=3) if spec["capacity"] else None,
            status=EventStatus.PUBLISHED,
            visibility=Visibility.PUBLIC,
            email_policy=spec["email_policy"],
            ask_phone=spec["ask_phone"],
            max_guests=spec["max_guests"],
        )
        db.session.add(event)
        db.session.flush()
        for position, (label, kind, choices, required) in enumerate(spec["questions"]):
            db.session.add(Question(event_id=event.id, position=position, label=label, kind=kind,
                                    choices=choices, required=required))
        db.session.add(EventCoverage(event_id=event.id, coverage_id=article.id,
                                     relation=CoverageRelation.PROMPTED_BY))
        for name in spec["rsvps"]:
            _add_rsvp(event, name)

    starts_at, ends_at = _evening(30)
    db.session.add(Event(
        campaign_id=campaign.id,
        slug="leeds-solidarity-meeting",
        title="Leeds solidarity meeting (venue to be confirmed)",
        description="Draft: waiting for the venue to confirm.",
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=TIMEZONE,
        city="Leeds",
        country="United Kingdom",
        status=EventStatus.DRAFT,
        visibility=Visibility.PUBLIC,
    ))
    db.session.flush()
    return True
