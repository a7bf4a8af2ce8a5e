from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from organizer.database import only_on
from organizer.extensions import Model
from organizer.models._types import enum_column
from organizer.text import fold_for_search
from organizer.timeutil import utcnow

if TYPE_CHECKING:  # annotations only: SQLAlchemy resolves relationships by class name when mapping
    from organizer.models.event import Event, Question


class RsvpStatus(enum.StrEnum):
    GOING = "going"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    # Events that require approval: asked, not yet answered (takes no place), and turned down.
    PENDING = "pending"
    DECLINED = "declined"


class RsvpSource(enum.StrEnum):
    ONLINE = "online"
    WALK_IN = "walk_in"


class Rsvp(Model):
    """One supporter's answer to one event. No IP address or user agent is ever stored."""

    __table_args__ = (
        # Not unique: a second RSVP with an address that already has one is stored like any other, so
        # the places left move alike for a known and an unknown address (SECURITY.md). The index
        # finds an address's earlier RSVP when a new one is taken.
        Index("ix_rsvp_event_id_email_normalized", "event_id", "email_normalized"),
        # INCLUDE guests: the capacity count under the event lock (services/rsvp/capacity.py, summaries) reads
        # only this index on PostgreSQL (an index-only scan), not 10,000 table rows.
        Index("ix_rsvp_event_status_created", "event_id", "status", "created_at", postgresql_include=["guests"]),
        # The door search (services/door/listing.py) looks for a substring of the folded name: on PostgreSQL a
        # pg_trgm GIN index finds it without reading every RSVP of the event (migration 0002).
        only_on("postgresql", Index("ix_rsvp_search_name_trgm", "search_name", postgresql_using="gin",
                                    postgresql_ops={"search_name": "gin_trgm_ops"})),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    # The name folded for search (no case, no accents, single spaces), kept in step with ``name``
    # by the listener below: the door list filters on it in SQL instead of folding every name.
    search_name: Mapped[str] = mapped_column(String(480), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    email_normalized: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    guests: Mapped[int] = mapped_column(default=0)
    consent_contact: Mapped[bool] = mapped_column(default=False)
    # The locale the supporter RSVP'd in ("ar", "en_GB"): every later email to them is written in it.
    locale: Mapped[str] = mapped_column(String(16), default="", server_default="")
    status: Mapped[RsvpStatus] = mapped_column(enum_column(RsvpStatus))
    source: Mapped[RsvpSource] = mapped_column(enum_column(RsvpSource), default=RsvpSource.ONLINE)
    manage_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The hash of the key the RSVP form's script sent with it (static/js/rsvp.js), while the RSVP is
    # live: the same form sent again (a retry after a node died before answering) is answered as the
    # first one, never stored twice (services/rsvp/sent_again.py). Cleared when the RSVP is cancelled,
    # declined or forgotten, so the person may RSVP again.
    submission_key_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    ticket_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The organizer who added this RSVP by hand (it came by phone, at the desk); None when the person
    # RSVPed themselves.
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # The campaign's referral code of the link this RSVP came through (None: no code, or one we don't
    # know). Where people came from, never who shared the link.
    referral_code_id: Mapped[int | None] = mapped_column(ForeignKey("referral_code.id", ondelete="SET NULL"))
    # When an organizer approved this RSVP (events that require approval); the details an event keeps
    # for "people approved" are shown only to RSVPs going with this set.
    approved_at: Mapped[datetime | None]
    # Set when the campaign's retention period forgot this person: the row stays for the counts.
    forgotten_at: Mapped[datetime | None]
    # When the supporter answered the reminder with "Yes, I'm coming" (the organizers' list shows it).
    confirmed_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="rsvp", cascade="all, delete-orphan"
    )

    @property
    def party_size(self) -> int:
        return 1 + self.guests


@event.listens_for(Rsvp.name, "set")
def _fold_name(target: Rsvp, value: str | None, _old, _initiator) -> None:
    target.search_name = fold_for_search(value or "")


class Answer(Model):
    __table_args__ = (UniqueConstraint("rsvp_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rsvp_id: Mapped[int] = mapped_column(ForeignKey("rsvp.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(Text, default="")

    rsvp: Mapped[Rsvp] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class RsvpTally(Model):
    """Per event, the places its RSVPs take: going RSVPs with their guests, and how many wait.

    Kept by the database itself: triggers on ``rsvp`` (migration 0020) add and take away on every
    insert, delete and change of status, guests or event, in the same transaction as the change,
    whatever code or SQL makes it. An RSVP reads this one row under the event lock instead of counting
    the event's rows (services/rsvp/capacity.py, TALLY_GOING and TALLY_WAITING). Nothing in the app writes it but
    services/rsvp/tally.py, which mends it from the rows after SQL that ran without the triggers."""

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    going_people: Mapped[int] = mapped_column(default=0)
    waitlisted_rsvps: Mapped[int] = mapped_column(default=0)
