"""Events: what, when (local wall clock + IANA zone, stored UTC), where, who may come, RSVP settings;
their life (draft → published → cancelled), "same meeting next week", and the questions they ask."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, exists, or_, select

from organizer.extensions import db
from organizer.formatting import event_datetime
from organizer.models import (
    Audience,
    Campaign,
    CheckIn,
    CoverageRelation,
    CrowdCountEntry,
    EmailPolicy,
    Event,
    EventCoverage,
    EventStatus,
    Question,
    Rsvp,
    User,
    Visibility,
)
from organizer.services.campaigns.campaigns import unique_slug
from organizer.services.common import permissions, slugs
from organizer.services.common.errors import Conflict, DomainError, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.common.validation import clean_text, one_of
from organizer.services.events import details
from organizer.services.rsvp import capacity, waitlist
from organizer.services.rsvp import changes as rsvp_changes
from organizer.text import is_http_url
from organizer.timeutil import is_valid_timezone, to_local, to_utc, utcnow

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
VENUE_MAX = 160
ADDRESS_MAX = 300
CITY_MAX = 120
COUNTRY_MAX = 120
CANCEL_NOTE_MAX = 1000  # the organizers' note in the cancellation email ("we've moved to…")
URL_MAX = 500
SLUG_MAX = 100
CAPACITY_MAX = 100_000
MAX_GUESTS_LIMIT = 20
MAX_QUESTIONS = 10
QUESTION_LABEL_MAX = 200
CHOICE_MAX = 100
CHOICES_MAX = 20
MIN_YEAR = 1900  # far-off years would overflow when converted between zones or moved a week
MAX_YEAR = 2200


# --- Input -------------------------------------------------------------------------------------

@dataclass
class EventInput:
    """What the event form carries. Times are the local wall clock in ``timezone``."""

    title: str
    starts_local: datetime | None
    ends_local: datetime | None
    timezone: str
    description: str = ""
    venue_name: str = ""
    address: str = ""
    city: str = ""
    country: str = ""
    online_url: str = ""
    capacity: int | None = None
    rsvp_deadline_local: datetime | None = None
    visibility: Visibility | str = Visibility.PUBLIC
    email_policy: EmailPolicy | str = EmailPolicy.OPTIONAL
    ask_phone: bool = False
    max_guests: int = 0
    language: str = ""
    slug: str | None = None  # None: unchanged (editing only)
    second_language: str = ""
    second_title: str = ""
    second_description: str = ""
    # Who sees what is kept for people coming, and approval (services/events/details.py)
    address_audience: Audience | str = Audience.EVERYONE
    online_audience: Audience | str = Audience.GOING
    attendee_notes: str = ""
    notes_audience: Audience | str = Audience.GOING
    requires_approval: bool = False


def new_event_defaults(campaign: Campaign, now: datetime | None = None) -> EventInput:
    """A fresh event pre-filled with the campaign's usual venue and zone: a week from today, 19:00–21:00."""
    timezone = campaign.default_timezone if is_valid_timezone(campaign.default_timezone) else "UTC"
    today = to_local(now or utcnow(), timezone).date()
    starts = datetime.combine(today + timedelta(days=7), datetime.min.time()).replace(hour=19)
    return EventInput(
        title="",
        starts_local=starts,
        ends_local=starts + timedelta(hours=2),
        timezone=timezone,
        venue_name=campaign.default_venue_name,
        address=campaign.default_address,
        city=campaign.default_city,
        country=campaign.default_country,
    )


def event_input_from(event: Event) -> EventInput:
    """The saved event as the form shows it: times back in its own zone."""
    return EventInput(
        title=event.title,
        description=event.description,
        starts_local=event.local_start.replace(tzinfo=None),
        ends_local=event.local_end.replace(tzinfo=None),
        timezone=event.timezone,
        venue_name=event.venue_name,
        address=event.address,
        city=event.city,
        country=event.country,
        online_url=event.online_url,
        capacity=event.capacity,
        rsvp_deadline_local=(
            to_local(event.rsvp_deadline, event.timezone).replace(tzinfo=None) if event.rsvp_deadline else None
        ),
        visibility=event.visibility,
        email_policy=event.email_policy,
        ask_phone=event.ask_phone,
        max_guests=event.max_guests,
        language=event.language,
        second_language=event.second_language,
        second_title=event.second_title,
        second_description=event.second_description,
        **details.settings_of(event),
    )


def _validated(data: EventInput) -> dict:
    values: dict = {
        "title": clean_text(data.title, TITLE_MAX, "title", required_message=_("Give the event a title.")),
        "description": clean_text(data.description, DESCRIPTION_MAX, "description"),
        "venue_name": clean_text(data.venue_name, VENUE_MAX, "venue_name"),
        "address": clean_text(data.address, ADDRESS_MAX, "address"),
        "city": clean_text(data.city, CITY_MAX, "city"),
        "country": clean_text(data.country, COUNTRY_MAX, "country"),
        "online_url": clean_text(data.online_url, URL_MAX, "online_url"),
    }
    timezone = (data.timezone or "").strip()
    if not is_valid_timezone(timezone):
        raise ValidationFailed(_("Choose a timezone from the list."), field="timezone")
    values["timezone"] = timezone
    if data.starts_local is None:
        raise ValidationFailed(_("Enter when the event starts."), field="starts_local")
    if data.ends_local is None:
        raise ValidationFailed(_("Enter when the event ends."), field="ends_local")
    for name in ("starts_local", "ends_local", "rsvp_deadline_local"):
        value = getattr(data, name)
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValidationFailed(
                _("Enter a date between %(first)s and %(last)s.", first=MIN_YEAR, last=MAX_YEAR), field=name)
    starts_at = to_utc(data.starts_local, timezone)
    ends_at = to_utc(data.ends_local, timezone)
    if ends_at <= starts_at:
        raise ValidationFailed(_("The end must be after the start."), field="ends_local")
    values["starts_at"], values["ends_at"] = starts_at, ends_at
    if values["online_url"] and not is_http_url(values["online_url"]):
        raise ValidationFailed(
            _("Enter a full web address starting with https:// or http://."), field="online_url"
        )
    if data.capacity is not None and not 1 <= data.capacity <= CAPACITY_MAX:
        raise ValidationFailed(
            _("Enter a number of places from 1 to %(max)s, or leave it empty for no limit.", max=CAPACITY_MAX),
            field="capacity",
        )
    values["capacity"] = data.capacity
    max_guests = data.max_guests or 0
    if not 0 <= max_guests <= MAX_GUESTS_LIMIT:
        raise ValidationFailed(_("Enter a number from 0 to %(max)s.", max=MAX_GUESTS_LIMIT), field="max_guests")
    values["max_guests"] = max_guests
    deadline = None
    if data.rsvp_deadline_local is not None:
        deadline = to_utc(data.rsvp_deadline_local, timezone)
        if deadline >= ends_at:
            raise ValidationFailed(_("The RSVP deadline must be before the event ends."),
                                   field="rsvp_deadline_local")
    values["rsvp_deadline"] = deadline
    values["visibility"] = one_of(Visibility, data.visibility, "visibility")
    values["email_policy"] = one_of(EmailPolicy, data.email_policy, "email_policy")
    values["ask_phone"] = bool(data.ask_phone)
    values.update(_languages(data))
    values.update(details.settings_from(data))
    return values


def _language_code(value: str | None, field: str) -> str:
    code = (value or "").strip()
    if code and not re.fullmatch(r"[a-z]{2,3}", code):
        raise ValidationFailed(_("Choose a language from the list."), field=field)
    return code


def _languages(data: EventInput) -> dict:
    """The language of the texts and, optionally, the same texts in a second language (issue 11.7)."""
    language = _language_code(data.language, "language")
    second_language = _language_code(data.second_language, "second_language")
    second_title = clean_text(data.second_title, TITLE_MAX, "second_title")
    second_description = clean_text(data.second_description, DESCRIPTION_MAX, "second_description")
    if second_language and second_language == language:
        raise ValidationFailed(_("Choose a second language other than the first."), field="second_language")
    if second_language and not second_title:
        raise ValidationFailed(_("Give the title in the second language too."), field="second_title")
    if not second_language:
        second_title = second_description = ""
    return {"language": language, "second_language": second_language, "second_title": second_title,
            "second_description": second_description}


def _slug_for(title: str, starts_at: datetime, timezone: str) -> str:
    return unique_slug(Event, f"{title} {to_local(starts_at, timezone):%Y-%m-%d}", SLUG_MAX)


# --- Life of an event --------------------------------------------------------------------------

def create_event(actor: User, campaign: Campaign, data: EventInput) -> Event:
    """A new event starts as a draft: nobody outside the campaign sees it until it is published."""
    permissions.require(actor, campaign, Action.MANAGE_EVENTS)
    values = _validated(data)
    event = Event(
        campaign_id=campaign.id,
        slug=_slug_for(values["title"], values["starts_at"], values["timezone"]),
        status=EventStatus.DRAFT,
        **values,
    )
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True)
class EventChanges:
    """What an edit changed that people who said they're coming need to know about."""

    fields: frozenset[str] = field(default_factory=frozenset)
    time_changed: bool = False
    place_changed: bool = False
    capacity_raised: bool = False
    promoted: int = 0  # waitlisted RSVPs let into the new places (each emailed)
    notified: int = 0  # people emailed about the new time or place

    @property
    def notify_attendees(self) -> bool:
        return self.time_changed or self.place_changed

    @property
    def change(self) -> str:
        """What the attendees' email says changed: "time", "place" or "time_and_place"."""
        if self.time_changed and self.place_changed:
            return "time_and_place"
        return "time" if self.time_changed else "place"


PLACE_FIELDS = {"venue_name", "address", "city", "country", "online_url"}


def update_event(actor: User, event: Event, data: EventInput) -> EventChanges:
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    values = _validated(data)
    # Under the event's lock, compared with the event as it is now: the same move sent twice (a double
    # tap, two organizers) tells people once; the second finds nothing changed.
    event = capacity.lock_event(event.id)
    details.check_approval_change(event, values["requires_approval"])
    if data.slug is not None:
        slugs.change_slug(event, data.slug, SLUG_MAX)
    changed = {name for name, value in values.items() if getattr(event, name) != value}
    old_capacity = event.capacity
    for name in changed:
        setattr(event, name, values[name])
    db.session.flush()
    changes = EventChanges(
        fields=frozenset(changed),
        time_changed=bool(changed & {"starts_at", "ends_at"}),
        place_changed=bool(changed & PLACE_FIELDS),
        capacity_raised=(
            "capacity" in changed
            and old_capacity is not None
            and (event.capacity is None or event.capacity > old_capacity)
        ),
    )
    return _after_update(event, changes)


def _after_update(event: Event, changes: EventChanges) -> EventChanges:
    """Hand-over to the RSVP rules: promote the waitlist into new places, tell people of changes."""
    promoted = len(waitlist.promote_waitlisted(event)) if changes.capacity_raised else 0
    notified = 0
    if event.status is EventStatus.PUBLISHED and changes.notify_attendees:
        notified = rsvp_changes.notify_event_changed(event, changes.change)
    return replace(changes, promoted=promoted, notified=notified)


class PublishNeedsConfirmation(DomainError):
    """Publishing now would show people something they can't act on; ``reasons`` says what, and the
    organizer publishes anyway only by confirming (a past meeting may be published as a record)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons


def publish_warnings(event: Event, now: datetime | None = None) -> list[str]:
    """What an organizer should know before publishing: the start or the RSVP deadline has passed."""
    now = now or utcnow()
    reasons = []
    if event.starts_at <= now:
        reasons.append(_("This event's start (%(when)s) has already passed.",
                         when=event_datetime(event.starts_at, event.timezone)))
    if event.rsvp_deadline is not None and event.rsvp_deadline <= now:
        reasons.append(_("Its RSVP deadline (%(when)s) has passed: nobody will be able to RSVP.",
                         when=event_datetime(event.rsvp_deadline, event.timezone)))
    return reasons


def publish_event(actor: User, event: Event, *, confirmed: bool = False, now: datetime | None = None) -> Event:
    """Raises PublishNeedsConfirmation, unless ``confirmed``, when the start or deadline has passed."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    if event.status is EventStatus.CANCELLED:
        raise Conflict(_("A cancelled event can't be published again. Duplicate it to plan a new one."))
    if not confirmed:
        reasons = publish_warnings(event, now)
        if reasons:
            raise PublishNeedsConfirmation(reasons)
    event.status = EventStatus.PUBLISHED
    db.session.flush()
    return event


def cancel_event(actor: User, event: Event, note: str = "") -> Event:
    """Cancelled events stay reachable by their link, with a clear banner; everyone with an email is told,
    with the organizers' ``note`` (plain text, as typed) in the email."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    note = clean_text(note, CANCEL_NOTE_MAX, "note")
    event = capacity.lock_event(event.id)  # cancelled twice at once, people are told once
    if event.status is EventStatus.CANCELLED:
        raise Conflict(_("This event is already cancelled."))
    was_published = event.status is EventStatus.PUBLISHED
    event.status = EventStatus.CANCELLED
    db.session.flush()
    if was_published:  # a draft was never seen, so nobody can have RSVPed
        rsvp_changes.notify_event_changed(event, "cancelled", note=note)
    return event


def has_records(event: Event) -> bool:
    """Whether anyone has RSVPed to this event (even to cancel since), or been checked in or counted
    at it. Such an event is part of people's history and the campaign's turnout: it can be
    cancelled, so that they are told, but not deleted or taken back to draft."""
    return bool(db.session.scalar(select(or_(
        exists().where(Rsvp.event_id == event.id),
        exists().where(CheckIn.event_id == event.id),
        exists().where(CrowdCountEntry.event_id == event.id),
    ))))


@dataclass(frozen=True)
class Retraction:
    """What an organizer may still undo about an event: both only while nothing is recorded at it."""
    can_unpublish: bool
    can_delete: bool


def retraction(event: Event) -> Retraction:
    untouched = not has_records(event)
    return Retraction(can_unpublish=untouched and event.status is EventStatus.PUBLISHED, can_delete=untouched)


def check_deletable(event: Event) -> None:
    """Raises Conflict, saying what to do instead, when the event can't be deleted."""
    if has_records(event):
        raise Conflict(_("People have RSVPed to this event or been counted at it, so it can't be deleted. "
                         "Cancel it instead: everyone who gave an email is told."))


def unpublish_event(actor: User, event: Event) -> Event:
    """Back to draft: published by mistake, or too early. Only while nobody has RSVPed."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    event = capacity.lock_event(event.id)  # an RSVP arriving now waits, then finds RSVPs closed
    if event.status is not EventStatus.PUBLISHED:
        raise Conflict(_("Only a published event can go back to draft."))
    if has_records(event):
        raise Conflict(_("People have already RSVPed, so the event stays public. If it isn't happening, "
                         "cancel it: everyone who gave an email is told."))
    event.status = EventStatus.DRAFT
    db.session.flush()
    return event


def delete_event(actor: User, event: Event) -> None:
    """Deletes an event nobody has RSVPed to or been counted at (a mistake, a test, a duplicate),
    with its questions, news links and door links. The coverage stays in the campaign's library,
    and the export log keeps its entries (shown as a deleted event)."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    event = capacity.lock_event(event.id, for_deletion=True)  # nothing slips in between the check and the delete
    check_deletable(event)
    event_id = event.id
    db.session.expunge(event)
    # The database removes what hangs off the event (ON DELETE CASCADE; SET NULL in the export log).
    db.session.execute(delete(Event).where(Event.id == event_id))


def people_to_notify(event: Event) -> int:
    """How many people a cancellation would email now: those going or waiting with an email address,
    and nobody for a draft (it was never public) or an event already cancelled."""
    if event.status is not EventStatus.PUBLISHED:
        return 0
    return rsvp_changes.count_to_notify(event)


def duplicate_event(actor: User, event: Event, *, days: int = 7) -> Event:
    """"Same meeting next week": same wall-clock time a week later (even across a clock change),
    as a draft with its own slug, the same questions and the news that prompted it."""
    permissions.require(actor, event.campaign, Action.MANAGE_EVENTS)
    shift = timedelta(days=days)

    def moved(utc_naive: datetime) -> datetime:
        return to_utc(to_local(utc_naive, event.timezone).replace(tzinfo=None) + shift, event.timezone)

    starts_at = moved(event.starts_at)
    copy = Event(
        campaign_id=event.campaign_id,
        slug=_slug_for(event.title, starts_at, event.timezone),
        title=event.title,
        description=event.description,
        starts_at=starts_at,
        ends_at=moved(event.ends_at),
        timezone=event.timezone,
        venue_name=event.venue_name,
        address=event.address,
        city=event.city,
        country=event.country,
        online_url=event.online_url,
        capacity=event.capacity,
        rsvp_deadline=moved(event.rsvp_deadline) if event.rsvp_deadline is not None else None,
        status=EventStatus.DRAFT,
        visibility=event.visibility,
        email_policy=event.email_policy,
        ask_phone=event.ask_phone,
        max_guests=event.max_guests,
        **details.settings_of(event),
    )
    db.session.add(copy)
    db.session.flush()
    for question in event.questions:
        db.session.add(Question(event_id=copy.id, position=question.position, label=question.label,
                                kind=question.kind, choices=question.choices, required=question.required))
    links = db.session.scalars(
        select(EventCoverage).where(
            EventCoverage.event_id == event.id, EventCoverage.relation == CoverageRelation.PROMPTED_BY
        )
    ).all()
    for link in links:
        db.session.add(EventCoverage(event_id=copy.id, coverage_id=link.coverage_id,
                                     relation=CoverageRelation.PROMPTED_BY, note=link.note))
    db.session.flush()
    db.session.expire(copy, ["questions"])
    return copy


