"""Who a message reaches: an event's going, waitlisted, attended or no-show people (or several of these),
or everyone in a campaign who agreed to be contacted. One query answers both "how many" and "who": the
count shown before sending is the count of the very rows the send writes.

Every audience is people with an address, not forgotten by the retention period, not unsubscribed from
the campaign's mail, one per normalized address (two RSVPs with one address, in one event or across a
campaign's events, are one person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from organizer.extensions import db
from organizer.models import Campaign, CheckInAction, Event, MailUnsubscribe, Rsvp, RsvpStatus, Segment
from organizer.services.common.errors import ValidationFailed
from organizer.services.door import log as checkin_log
from organizer.services.mail import unsubscribe
from organizer.timeutil import utcnow

EVENT_SEGMENTS = (Segment.GOING, Segment.WAITLISTED, Segment.ATTENDED, Segment.NO_SHOW)
AFTER_THE_EVENT = frozenset({Segment.ATTENDED, Segment.NO_SHOW})

LABELS = {
    Segment.GOING: _l("Going"),
    Segment.WAITLISTED: _l("On the waitlist"),
    Segment.ATTENDED: _l("Checked in (came)"),
    Segment.NO_SHOW: _l("Didn't come (going, not checked in)"),
    Segment.CONSENTED: _l("Everyone who agreed to be contacted"),
}


@dataclass(frozen=True)
class Audience:
    """A campaign's consenting supporters (``event`` None), or some of one event's people."""

    campaign: Campaign
    event: Event | None
    segments: tuple[Segment, ...]

    @property
    def segment_values(self) -> str:
        return ",".join(segment.value for segment in self.segments)


def available(event: Event | None, now: datetime | None = None) -> list[Segment]:
    """The segments one can choose: attended and no-show only once the event is over."""
    if event is None:
        return [Segment.CONSENTED]
    over = event.ends_at <= (now or utcnow())
    return [segment for segment in EVENT_SEGMENTS if over or segment not in AFTER_THE_EVENT]


def audience(campaign: Campaign, event: Event | None, chosen: list[str] | tuple[str, ...],
             now: datetime | None = None) -> Audience:
    """The chosen segments checked against what this event (or campaign) offers now."""
    if event is not None and event.campaign_id != campaign.id:
        raise ValidationFailed(_("Choose who gets this message."), field="segments")
    offered = available(event, now)
    segments = []
    for value in chosen:
        try:
            segment = Segment(value)
        except ValueError:
            segment = None
        if segment is None or segment not in offered:
            if segment in AFTER_THE_EVENT:
                raise ValidationFailed(_("Who came and who didn't is known once the event is over."),
                                       field="segments")
            raise ValidationFailed(_("Choose who gets this message."), field="segments")
        if segment not in segments:
            segments.append(segment)
    if not segments:
        raise ValidationFailed(_("Choose who gets this message."), field="segments")
    return Audience(campaign, event, tuple(sorted(segments, key=list(Segment).index)))


def _event_condition(target: Audience):
    assert target.event is not None
    current = checkin_log.current_entries([target.event.id])
    checked_in = current.c.action == CheckInAction.CHECK_IN
    not_checked_in = or_(current.c.action.is_(None), current.c.action != CheckInAction.CHECK_IN)
    parts = []
    for segment in target.segments:
        if segment is Segment.GOING:
            parts.append(Rsvp.status == RsvpStatus.GOING)
        elif segment is Segment.WAITLISTED:
            parts.append(Rsvp.status == RsvpStatus.WAITLISTED)
        elif segment is Segment.ATTENDED:
            parts.append(and_(checked_in, Rsvp.status != RsvpStatus.CANCELLED))
        elif segment is Segment.NO_SHOW:
            parts.append(and_(Rsvp.status == RsvpStatus.GOING, not_checked_in,
                              Rsvp.email_normalized.not_in(_came(target.event))))
    return current, and_(Rsvp.event_id == target.event.id, or_(*parts))


def _came(event: Event):
    """The addresses of whoever came: someone with a second RSVP under the same address who came on
    the first is no no-show."""
    came = aliased(Rsvp)
    current = checkin_log.current_entries([event.id])
    return (select(came.email_normalized).join(current, current.c.rsvp_id == came.id)
            .where(came.event_id == event.id, came.email_normalized.is_not(None),
                   current.c.action == CheckInAction.CHECK_IN))


def recipients(target: Audience) -> Select:
    """One row per address: ``recipient_key`` (the normalized address), ``address`` (as typed: one of
    them, the same every time) and ``locale`` (the one the mails are written in)."""
    query = select(
        Rsvp.email_normalized.label("recipient_key"),
        func.min(Rsvp.email).label("address"),
        func.max(Rsvp.locale).label("locale"),
    )
    if target.event is not None:
        current, condition = _event_condition(target)
        query = query.outerjoin(current, current.c.rsvp_id == Rsvp.id).where(condition)
    else:
        event_ids = select(Event.id).where(Event.campaign_id == target.campaign.id).scalar_subquery()
        query = query.where(Rsvp.event_id.in_(event_ids), Rsvp.consent_contact.is_(True))
    query = query.where(Rsvp.email_normalized.is_not(None), Rsvp.email_normalized != "",
                        Rsvp.forgotten_at.is_(None))
    gone = _unsubscribed(target.campaign, query)
    if gone:
        query = query.where(Rsvp.email_normalized.not_in(sorted(gone)))
    return query.group_by(Rsvp.email_normalized)


def _unsubscribed(campaign: Campaign, query: Select) -> set[str]:
    """The segment's addresses that unsubscribed from the campaign's mail. Only a keyed hash of each is
    stored (services/mail/unsubscribe.py), so the candidates are hashed here, one query for all; a
    campaign nobody left (the usual case) costs one indexed lookup."""
    if db.session.scalar(select(MailUnsubscribe.id).where(MailUnsubscribe.campaign_id == campaign.id).limit(1)) is None:
        return set()
    keys = db.session.scalars(query.with_only_columns(Rsvp.email_normalized).distinct()).all()
    return unsubscribe.unsubscribed_among(campaign, keys)


def count(target: Audience) -> int:
    return int(db.session.scalar(select(func.count()).select_from(recipients(target).subquery())) or 0)


def describe(segments: list[Segment] | tuple[Segment, ...]) -> str:
    return ", ".join(str(LABELS[segment]) for segment in segments)
