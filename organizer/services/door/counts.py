"""Attendance figures (going, checked in, walk-ins, crowd): exact, or shared by every process."""

from __future__ import annotations

import contextlib
from dataclasses import astuple, dataclass, replace

import redis
from flask import current_app, has_app_context
from sqlalchemy import case, func, select
from sqlalchemy import event as orm_events
from sqlalchemy.orm import Session

from organizer.extensions import db
from organizer.models import (
    CrowdCountEntry,
    Event,
    Rsvp,
    RsvpSource,
    RsvpStatus,
)
from organizer.services.door.log import checked_in_expression, current_entries, persons_in_expression


@dataclass(frozen=True)
class Attendance:
    """Who came. "Going" and "checked in" count people who RSVPed online; walk-ins are apart."""

    going_rsvps: int = 0
    going_people: int = 0  # going online RSVPs plus their guests
    checked_in_rsvps: int = 0  # of those, checked in now
    checked_in_people: int = 0
    walk_ins: int = 0  # walk-ins checked in (one person each)
    crowd: int = 0  # the crowd counter, kept apart from named check-ins

    @property
    def named_people(self) -> int:
        """Everyone checked in by name: RSVPs with their guests, plus walk-ins."""
        return self.checked_in_people + self.walk_ins

    @property
    def turnout_rate(self) -> float | None:
        """Share of the people who said they were going who were checked in (None if nobody said so)."""
        if self.going_people == 0:
            return None
        return self.checked_in_people / self.going_people


def attendances(events: list[Event]) -> dict[int, Attendance]:
    """Attendance for many events in two queries."""
    if not events:
        return {}
    ids = [event.id for event in events]
    current = current_entries(ids)
    checked = checked_in_expression(current)
    people = 1 + Rsvp.guests
    arrived = persons_in_expression(current, people)  # a party may be partly in
    online = Rsvp.source == RsvpSource.ONLINE
    rows = db.session.execute(
        select(
            Rsvp.event_id,
            func.sum(case((online, 1), else_=0)),
            func.sum(case((online, people), else_=0)),
            func.sum(case((online, checked), else_=0)),
            func.sum(case((online, arrived), else_=0)),
            func.sum(case((online, 0), else_=arrived)),
        )
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id.in_(ids), Rsvp.status == RsvpStatus.GOING)
        .group_by(Rsvp.event_id)
    ).all()
    crowds = dict(
        db.session.execute(
            select(CrowdCountEntry.event_id, func.sum(CrowdCountEntry.delta))
            .where(CrowdCountEntry.event_id.in_(ids))
            .group_by(CrowdCountEntry.event_id)
        ).all()
    )
    by_event = {row[0]: [int(value or 0) for value in row[1:]] for row in rows}
    return {
        event_id: replace(Attendance(*by_event.get(event_id, ())), crowd=int(crowds.get(event_id) or 0))
        for event_id in ids
    }


def attendance(event: Event) -> Attendance:
    """One event's attendance, the database's truth: counted from rows, or, when a shared cache is
    configured (``CACHE_REDIS_URL``), read from it. Every worker and every app server reads the same
    entry, which is dropped after each commit that changed the figures (``changed``) and lives at
    most ``DOOR_COUNTS_SECONDS`` in any case. No process keeps or adjusts figures of its own."""
    store = _store()
    if store is None:
        return attendances([event])[event.id]
    generation = store.generation(event.id)
    figures = store.get(event.id, generation)
    if figures is None:
        figures = attendances([event])[event.id]
        store.put(event.id, generation, figures, current_app.config.get("DOOR_COUNTS_SECONDS") or 2)
    return figures


def changed(event_id: int) -> None:
    """The figures of this event change in the current transaction: the shared entry is dropped
    after it commits (dropped before, another request could cache the figures of before)."""
    db.session.info.setdefault(_CHANGED, set()).add(event_id)


_CHANGED = "door_counts_changed"


class _SharedFigures:
    """Figures in Redis, each stored with the event's generation when its count began. A commit that
    changes the figures bumps the generation; an entry of an older generation is never read, so a
    count that began before a commit and was stored after it cannot stand."""

    def __init__(self, url: str) -> None:
        # Short timeouts: a slow Redis costs a count, it does not hang the door.
        self._redis = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)

    def generation(self, event_id: int) -> bytes:
        try:
            stored = self._redis.get(f"organizer:door:generation:{event_id}")
            return stored if isinstance(stored, bytes) and stored else b"0"
        except redis.RedisError:
            return b"unavailable"

    def get(self, event_id: int, generation: bytes) -> Attendance | None:
        if generation == b"unavailable":
            return None
        try:
            raw = self._redis.get(f"organizer:door:figures:{event_id}")
        except redis.RedisError:
            return None
        if not isinstance(raw, bytes) or not raw:
            return None
        stored_generation, _sep, values = raw.partition(b" ")
        if stored_generation != generation:
            return None
        return Attendance(*(max(0, int(value)) for value in values.split(b",")))

    def put(self, event_id: int, generation: bytes, figures: Attendance, seconds: float) -> None:
        if generation == b"unavailable":
            return
        values = ",".join(str(max(0, value)) for value in astuple(figures))
        with contextlib.suppress(redis.RedisError):  # a figure not kept is only counted again
            self._redis.set(f"organizer:door:figures:{event_id}", generation + b" " + values.encode(),
                            px=max(1, int(seconds * 1000)))

    def bump(self, event_ids: set[int]) -> None:
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for event_id in event_ids:
                    pipe.incr(f"organizer:door:generation:{event_id}")
                    pipe.expire(f"organizer:door:generation:{event_id}", 7 * 24 * 3600)
                pipe.execute()
        except redis.RedisError:
            pass  # the entries expire within DOOR_COUNTS_SECONDS anyway


_stores: dict[str, _SharedFigures] = {}


def _store() -> _SharedFigures | None:
    url = current_app.config.get("CACHE_REDIS_URL")
    if not url:
        return None
    store = _stores.get(url)
    if store is None:
        store = _stores[url] = _SharedFigures(url)
    return store


@orm_events.listens_for(Session, "before_flush")
def _rsvps_and_crowd_changing(session: Session, _context, _instances) -> None:
    """RSVPs taken, cancelled, promoted or resized, and crowd changes, change the figures wherever
    they are written; check-ins are written by one statement and call ``changed`` themselves."""
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, Rsvp | CrowdCountEntry) and instance.event_id is not None:
            session.info.setdefault(_CHANGED, set()).add(instance.event_id)


@orm_events.listens_for(Session, "after_commit")
def _drop_after_commit(session: Session) -> None:
    event_ids = session.info.pop(_CHANGED, None)
    if not event_ids or not has_app_context():
        return
    store = _store()
    if store is not None:
        store.bump(event_ids)


@orm_events.listens_for(Session, "after_rollback")
def _nothing_changed(session: Session) -> None:
    session.info.pop(_CHANGED, None)
