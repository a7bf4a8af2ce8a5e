"""Referral codes: the channels a campaign's links travel through ("mosque-newsletter", "paper-sale",
"whatsapp-syria-uk"), and how many people each one brought, going and attended.

An RSVP records the code of the link it came through, never who shared the link: the code names a
channel an organizer made, and a code nobody made is ignored (it is just text in an address anyone
can type), so no one can fill the table with codes of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from organizer.extensions import db
from organizer.models import Campaign, Event, EventStatus, ReferralCode, Rsvp, RsvpSource, RsvpStatus, User
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict, NotFound, ValidationFailed
from organizer.services.common.permissions import Action
from organizer.services.door.log import checked_in_expression, current_entries, persons_in_expression
from organizer.timeutil import utcnow

CODE_MAX = 40
MAX_CODES = 200
QUERY_PARAMETER = "r"
_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def normalized(raw: str | None) -> str:
    """A code as stored: lower case, spaces and underscores as hyphens ("Paper Sale" → "paper-sale")."""
    return re.sub(r"[\s_]+", "-", (raw or "").strip().lower())


def create_code(actor: User, campaign: Campaign, raw: str) -> ReferralCode:
    permissions.require(actor, campaign, Action.MANAGE_EVENTS)
    code = normalized(raw)
    if not code:
        raise ValidationFailed(_("Enter a code, such as mosque-newsletter."), field="code")
    if len(code) > CODE_MAX or not _CODE.match(code):
        raise ValidationFailed(
            _("Use up to %(max)d lower-case letters, digits and hyphens, such as paper-sale.", max=CODE_MAX),
            field="code")
    if db.session.scalar(select(ReferralCode.id).where(ReferralCode.campaign_id == campaign.id,
                                                       ReferralCode.code == code)) is not None:
        raise Conflict(_("This campaign already has the code %(code)s.", code=code))
    if len(codes(campaign)) >= MAX_CODES:
        raise Conflict(_("A campaign can have at most %(max)d codes.", max=MAX_CODES))
    item = ReferralCode(campaign_id=campaign.id, code=code)
    _insert(item, code)
    return item


def _insert(item: ReferralCode, code: str) -> None:
    """The check above misses a code another organizer adds at the same moment; the unique constraint
    does not, and its refusal becomes the same message (in a savepoint: the rest of the work stays)."""
    try:
        with db.session.begin_nested():
            db.session.add(item)
    except IntegrityError:
        raise Conflict(_("This campaign already has the code %(code)s.", code=code)) from None


def get_code(campaign: Campaign, code_id: int) -> ReferralCode:
    item = db.session.get(ReferralCode, code_id)
    if item is None or item.campaign_id != campaign.id:
        raise NotFound(_("No such code."))
    return item


def delete_code(actor: User, campaign: Campaign, item: ReferralCode) -> None:
    """The RSVPs that came through it stay, counted as "no code"."""
    permissions.require(actor, campaign, Action.MANAGE_EVENTS)
    if item.campaign_id != campaign.id:
        raise NotFound(_("No such code."))
    db.session.delete(item)
    db.session.flush()


def codes(campaign: Campaign) -> list[ReferralCode]:
    return list(db.session.scalars(
        select(ReferralCode).where(ReferralCode.campaign_id == campaign.id).order_by(ReferralCode.code)))


def code_for_rsvp(event: Event, raw: str | None) -> int | None:
    """The id of the event's campaign's code ``raw``, or None: no code, a malformed or an unknown one."""
    code = normalized(raw)[: CODE_MAX + 1]
    if not code or not _CODE.match(code):
        return None
    return db.session.scalar(select(ReferralCode.id).where(ReferralCode.campaign_id == event.campaign_id,
                                                           ReferralCode.code == code))


def shareable_events(campaign: Campaign) -> list[Event]:
    """The published events not over yet, soonest first: the ones worth a share link."""
    return list(db.session.scalars(
        select(Event).where(Event.campaign_id == campaign.id, Event.status == EventStatus.PUBLISHED,
                            Event.ends_at > utcnow()).order_by(Event.starts_at, Event.id)))


def counted_events(campaign: Campaign) -> list[Event]:
    """The events that have (or had) an audience, as on the turnout page: published and cancelled."""
    return list(db.session.scalars(
        select(Event).where(Event.campaign_id == campaign.id, Event.status != EventStatus.DRAFT)
        .order_by(Event.starts_at, Event.id)))


@dataclass(frozen=True)
class SourceCount:
    code: str | None  # None: RSVPs that came without a (known) code
    going_rsvps: int
    going_people: int  # with their guests
    attended_rsvps: int  # of the going, checked in at the door now
    attended_people: int


def counts_by_source(events: list[Event], campaign: Campaign) -> dict[int, list[SourceCount]]:
    """Per event, per source: online RSVPs going (with guests) and of those, who came. One query for all
    events. Every code of the campaign is listed (zero counts too), then "no code"."""
    ids = [event.id for event in events]
    all_codes = codes(campaign)
    result: dict[int, dict[int | None, SourceCount]] = {event_id: {} for event_id in ids}
    if ids:
        current = current_entries(ids)
        people = 1 + Rsvp.guests
        rows = db.session.execute(
            select(
                Rsvp.event_id,
                Rsvp.referral_code_id,
                func.count(Rsvp.id),
                func.sum(people),
                func.sum(checked_in_expression(current)),
                func.sum(persons_in_expression(current, people)),
            )
            .outerjoin(current, current.c.rsvp_id == Rsvp.id)
            .where(Rsvp.event_id.in_(ids), Rsvp.status == RsvpStatus.GOING, Rsvp.source == RsvpSource.ONLINE)
            .group_by(Rsvp.event_id, Rsvp.referral_code_id)
        ).all()
        names = {item.id: item.code for item in all_codes}
        for event_id, code_id, going, going_people, in_rsvps, in_people in rows:
            result[event_id][code_id] = SourceCount(names.get(code_id), int(going or 0), int(going_people or 0),
                                                    int(in_rsvps or 0), int(in_people or 0))
    ordered: dict[int, list[SourceCount]] = {}
    for event_id, found in result.items():
        row = [found.get(item.id) or SourceCount(item.code, 0, 0, 0, 0) for item in all_codes]
        row.append(found.get(None) or SourceCount(None, 0, 0, 0, 0))
        ordered[event_id] = row
    return ordered


def campaign_totals(per_event: dict[int, list[SourceCount]]) -> list[SourceCount]:
    """The per-event counts added up per source, in the same order."""
    totals: list[SourceCount] = []
    for rows in zip(*per_event.values(), strict=True):
        totals.append(SourceCount(rows[0].code, sum(r.going_rsvps for r in rows), sum(r.going_people for r in rows),
                                  sum(r.attended_rsvps for r in rows), sum(r.attended_people for r in rows)))
    return totals


def has_any(counts: list[SourceCount]) -> bool:
    """Whether the campaign has codes at all: without any, every RSVP is "no code" and a table says nothing."""
    return any(row.code is not None for row in counts)


