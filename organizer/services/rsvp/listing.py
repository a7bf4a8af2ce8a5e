"""The organizers' RSVP list: pages, search, answers and queue places in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import (
    Answer,
    Event,
    Rsvp,
    RsvpStatus,
)
from organizer.services.mail import unsubscribe
from organizer.services.rsvp.capacity import RsvpSummary, summary
from organizer.text import fold_for_search

ORGANIZER_PAGE_SIZE = 100


@dataclass
class RsvpListing:
    rsvps: list[Rsvp]
    counts: RsvpSummary
    positions: dict[int, int]  # waitlisted RSVP id -> place in the queue (1 is next)
    answers: dict[int, dict[int, str]] = field(default_factory=dict)  # RSVP id -> question id -> answer
    total: int = 0  # RSVPs matching the filter and search, on every page
    page: int = 1
    per_page: int = ORGANIZER_PAGE_SIZE
    no_campaign_mail: set[int] = field(default_factory=set)  # RSVP ids whose address unsubscribed (issue 10.7)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rsvps else 0

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.rsvps) - 1 if self.rsvps else 0

    def over_capacity_if_promoted(self, rsvp: Rsvp) -> int:
        """How many places over capacity promoting ``rsvp`` by hand would take the event (0 if it fits)."""
        if self.counts.capacity is None:
            return 0
        return max(rsvp.party_size - (self.counts.places_left or 0), 0)


def list_for_organizers(event: Event, status: RsvpStatus | None = None, query: str = "", page: int = 1,
                        per_page: int = ORGANIZER_PAGE_SIZE) -> RsvpListing:
    """One page of the people who answered, oldest first (the waitlist in queue order), with their
    answers and each waitlisted person's place in the queue: three queries whatever the event's size.

    ``query`` finds people by name (accents and case don't matter) or email. A page past the last
    one shows the last one."""
    conditions = [Rsvp.event_id == event.id]
    if status is not None:
        conditions.append(Rsvp.status == status)
    needle = fold_for_search(query or "")
    if needle:
        conditions.append(Rsvp.search_name.contains(needle, autoescape=True)
                          | Rsvp.email_normalized.contains(needle, autoescape=True))
    total = int(db.session.scalar(select(func.count(Rsvp.id)).where(*conditions)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    # The queue place is counted over the whole waitlist, whatever the page, filter or search.
    queue = (
        select(Rsvp.id, func.row_number().over(order_by=(Rsvp.created_at, Rsvp.id)).label("place"))
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED)
        .subquery()
    )
    rows = db.session.execute(
        select(Rsvp, queue.c.place)
        .outerjoin(queue, queue.c.id == Rsvp.id)
        .where(*conditions)
        .order_by(Rsvp.created_at, Rsvp.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    listed = [rsvp for rsvp, _place in rows]
    positions = {rsvp.id: place for rsvp, place in rows if place is not None}
    answers: dict[int, dict[int, str]] = {rsvp.id: {} for rsvp in listed}
    if listed:
        for rsvp_id, question_id, value in db.session.execute(
                select(Answer.rsvp_id, Answer.question_id, Answer.value).where(Answer.rsvp_id.in_(list(answers)))):
            answers[rsvp_id][question_id] = value
    gone = unsubscribe.unsubscribed_among(event.campaign_id, [rsvp.email for rsvp in listed])
    return RsvpListing(listed, summary(event), positions, answers, total=total, page=page, per_page=per_page,
                       no_campaign_mail={rsvp.id for rsvp in listed if rsvp.email in gone})
