"""Automatic forgetting: N days after an event ends (the campaign's setting: never, 30, 90, 365) its
RSVPs lose their names, email addresses, phone numbers and answers.

The rows stay, with their status, guests and check-ins, so every count (going, guests, checked in,
walk-ins, crowd, turnout charts) stays true; what made them about a person is gone. The private
link still opens, to say so. Running it twice forgets nothing twice; ``dry_run`` only counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update

from organizer.extensions import db
from organizer.models import AccessKind, Answer, Campaign, Event, OutboxMessage, OutboxStatus, Rsvp
from organizer.services.privacy import access_log
from organizer.timeutil import utcnow

log = logging.getLogger("organizer.retention")

CHOICES = (None, 30, 90, 365)  # None: never
DEFAULT_DAYS = 90  # for new campaigns; campaigns made before this setting existed keep everything (None)


@dataclass(frozen=True)
class RetentionReport:
    events: int
    rsvps: int
    dry_run: bool


def _due(now: datetime):
    """RSVPs not yet forgotten at events whose campaign's period has run out."""
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.retention_days).where(Campaign.retention_days.is_not(None))
    ).all()
    if not campaigns:
        return None
    due_events = or_(*[
        and_(Event.campaign_id == campaign_id, Event.ends_at <= now - timedelta(days=days))
        for campaign_id, days in campaigns if days is not None
    ])
    return (Rsvp.forgotten_at.is_(None), Rsvp.event_id.in_(select(Event.id).where(due_events)))


def run(now: datetime | None = None, *, dry_run: bool = False) -> RetentionReport:
    """Forget every RSVP that is due; the caller commits. Logged with the counts."""
    now = now or utcnow()
    conditions = _due(now)
    if conditions is None:
        report = RetentionReport(events=0, rsvps=0, dry_run=dry_run)
    else:
        rsvps, events = db.session.execute(
            select(func.count(Rsvp.id), func.count(func.distinct(Rsvp.event_id))).where(*conditions)
        ).one()
        report = RetentionReport(events=int(events), rsvps=int(rsvps), dry_run=dry_run)
        if rsvps and not dry_run:
            _log_per_campaign(conditions)
            _forget(conditions, now)
    log.info("retention run%s: %d RSVPs at %d events %s", " (dry run)" if dry_run else "",
             report.rsvps, report.events, "would be forgotten" if dry_run else "forgotten")
    return report


def _log_per_campaign(conditions) -> None:
    """One access-log entry for each campaign that forgets someone in this run, with how many RSVPs."""
    per_campaign = db.session.execute(
        select(Event.campaign_id, func.count(Rsvp.id)).join(Event, Event.id == Rsvp.event_id)
        .where(*conditions).group_by(Event.campaign_id)
    ).all()
    for campaign_id, count in per_campaign:
        access_log.record_access(int(campaign_id), AccessKind.RETENTION_RUN, count=int(count))


def _forget(conditions, now: datetime) -> None:
    ids = select(Rsvp.id).where(*conditions).scalar_subquery()
    addresses: set[str] = set()
    for email, normalized in db.session.execute(
        select(Rsvp.email, Rsvp.email_normalized).where(*conditions, Rsvp.email.is_not(None))
    ):
        addresses.update(value for value in (email, normalized) if value)
    db.session.execute(delete(Answer).where(Answer.rsvp_id.in_(ids)).execution_options(synchronize_session=False))
    db.session.execute(
        update(Rsvp).where(*conditions)
        .values(name="", search_name="", email=None, email_normalized=None, phone=None, consent_contact=False,
                submission_key_hash=None, forgotten_at=now)
        .execution_options(synchronize_session=False)
    )
    if addresses:
        # Sent mail keeps only its address as a record; an address nobody else still gave us goes too.
        still_known: set[str] = set()
        for email, normalized in db.session.execute(
            select(Rsvp.email, Rsvp.email_normalized)
            .where(or_(Rsvp.email.in_(addresses), Rsvp.email_normalized.in_(addresses)))
        ):
            still_known.update(value for value in (email, normalized) if value)
        gone = sorted(addresses - still_known)
        for start in range(0, len(gone), 500):
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.to_address.in_(gone[start:start + 500]),
                       OutboxMessage.status != OutboxStatus.PENDING)
                .values(to_address="")
                .execution_options(synchronize_session=False)
            )
    db.session.expire_all()
