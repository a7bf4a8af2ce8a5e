"""RSVP rules: capacity counts guests, the waitlist and its promotion order, closed reasons,
duplicates answered neutrally, changes, cancellations and deletions."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from organizer.extensions import db
from organizer.models import (
    Answer,
    EmailPolicy,
    EventStatus,
    OutboxMessage,
    QuestionKind,
    Role,
    Rsvp,
    RsvpStatus,
)
from organizer.services.common.errors import Conflict, PermissionDenied, ValidationFailed
from organizer.services.common.tokens import hash_token, ticket_token_for
from organizer.services.door import checkins
from organizer.services.events import events as event_service
from organizer.services.rsvp import capacity, rsvps, waitlist
from organizer.services.rsvp import changes as rsvp_changes
from organizer.services.rsvp import links as rsvp_links
from organizer.services.rsvp import listing as rsvp_listing
from organizer.services.rsvp import opening as rsvp_opening
from organizer.services.rsvp.opening import ClosedReason, RsvpsClosed
from organizer.timeutil import utcnow
from tests import builders
from tests.mailbox import as_sent, path_of


def rsvp(event, name, guests=0, email=None, **extra):
    """Take an RSVP through the rules and commit; returns the receipt."""
    receipt = rsvps.create_rsvp(event, name=name, guests=guests, email=email, **extra)
    db.session.commit()
    return receipt


def row(name) -> Rsvp:
    return db.session.scalar(select(Rsvp).where(Rsvp.name == name))


def statuses(event) -> dict[str, str]:
    rows = db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id).order_by(Rsvp.id))
    return {r.name: r.status.value for r in rows}


def outbox_to(address) -> list[OutboxMessage]:
    return [as_sent(message) for message in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id))]


def manage_link_in(message: OutboxMessage) -> str:
    return next(line for line in message.body_text.split() if "/r/" in line and "#" not in line)


# --- Capacity ------------------------------------------------------------------------------------

def test_guests_count_against_capacity(campaign):
    event = builders.make_event(campaign, capacity=5, max_guests=3)
    assert rsvp(event, "Amina", guests=2).status is RsvpStatus.GOING  # 3 of 5
    assert rsvp(event, "Bilal", guests=2).status is RsvpStatus.WAITLISTED  # 3 more don't fit in 2
    assert rsvp(event, "Carla", guests=1).status is RsvpStatus.GOING  # 2 fit exactly
    counts = capacity.summary(event)
    assert (counts.going_people, counts.going_rsvps, counts.guests, counts.places_left) == (5, 2, 3, 0)
    assert (counts.waitlisted_rsvps, counts.waitlisted_people) == (1, 3)
    assert rsvp(event, "Dara").status is RsvpStatus.WAITLISTED


def test_no_capacity_means_everyone_goes(campaign):
    event = builders.make_event(campaign, capacity=None, max_guests=3)
    for index in range(12):
        assert rsvp(event, f"P{index}", guests=3).status is RsvpStatus.GOING
    assert capacity.summary(event).places_left is None


def test_waitlist_positions_follow_arrival(campaign):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina")
    assert rsvp(event, "Bilal").waitlist_position == 1
    assert rsvp(event, "Carla").waitlist_position == 2
    assert capacity.waitlist_position(row("Carla")) == 2
    assert capacity.waitlist_position(row("Amina")) is None


# --- Promotion -----------------------------------------------------------------------------------

def test_cancellation_promotes_the_oldest_waitlisted_first(campaign):
    event = builders.make_event(campaign, capacity=1)
    for name in ("Amina", "Bilal", "Carla"):
        rsvp(event, name)
    rsvps.cancel_rsvp(row("Amina"))
    db.session.commit()
    assert statuses(event) == {"Amina": "cancelled", "Bilal": "going", "Carla": "waitlisted"}
    rsvps.cancel_rsvp(row("Bilal"))
    db.session.commit()
    assert statuses(event) == {"Amina": "cancelled", "Bilal": "cancelled", "Carla": "going"}


def test_big_party_waits_while_a_smaller_later_one_that_fits_is_promoted(campaign):
    event = builders.make_event(campaign, capacity=4, max_guests=3)
    rsvp(event, "Single")  # 1
    rsvp(event, "Trio", guests=2)  # 3 -> full
    rsvp(event, "Big", guests=2)  # 3, waits first in line
    rsvp(event, "Small")  # 1, behind Big
    rsvps.cancel_rsvp(row("Single"))  # 1 place frees up: Big doesn't fit, Small does
    db.session.commit()
    assert statuses(event)["Big"] == "waitlisted"
    assert statuses(event)["Small"] == "going"
    assert capacity.waitlist_position(row("Big")) == 1  # kept its place at the head
    rsvps.cancel_rsvp(row("Trio"))  # 3 free: Big's turn
    db.session.commit()
    assert statuses(event)["Big"] == "going"
    assert capacity.summary(event).going_people == 4


def test_promotion_fills_several_places_in_arrival_order(campaign):
    event = builders.make_event(campaign, capacity=3, max_guests=3)
    rsvp(event, "Host", guests=2)
    for name in ("W1", "W2", "W3"):
        rsvp(event, name)
    rsvps.cancel_rsvp(row("Host"))
    db.session.commit()
    assert statuses(event) == {"Host": "cancelled", "W1": "going", "W2": "going", "W3": "going"}


def test_raising_capacity_promotes_through_the_event_service(campaign, owner):
    event = builders.make_event(campaign, capacity=1)
    for name in ("Amina", "Bilal", "Carla"):
        rsvp(event, name)
    data = event_service.event_input_from(event)
    data.capacity = 2
    event_service.update_event(owner, event, data)
    db.session.commit()
    assert statuses(event) == {"Amina": "going", "Bilal": "going", "Carla": "waitlisted"}
    data.capacity = None  # no limit any more: everyone in
    event_service.update_event(owner, event, data)
    db.session.commit()
    assert set(statuses(event).values()) == {"going"}


def test_promote_waitlisted_directly_after_capacity_change(campaign):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina")
    rsvp(event, "Bilal")
    event.capacity = 5
    promoted = waitlist.promote_waitlisted(event)
    db.session.commit()
    assert [r.name for r in promoted] == ["Bilal"]


def test_promotion_keeps_the_link_and_the_email_leads_to_a_new_one_only_on_request(campaign, client):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina", email="amina@example.org")
    rsvp(event, "Bilal", email="bilal@example.org")
    [waitlisted_mail] = outbox_to("bilal@example.org")
    old_link = manage_link_in(waitlisted_mail)
    ticket_hash = row("Bilal").ticket_token_hash
    rsvps.cancel_rsvp(row("Amina"))
    db.session.commit()
    promotion = outbox_to("bilal@example.org")[-1]
    assert "opened up" in promotion.subject
    assert promotion.ics_attachment.startswith("BEGIN:VCALENDAR")
    assert client.get(path_of(old_link)).status_code == 200  # the link Bilal holds still works
    assert row("Bilal").ticket_token_hash == ticket_hash  # and so does the ticket
    signed = re.search(r"/r/new-link/(\S+)", promotion.body_text).group(1)
    assert rsvp_links.find_by_new_link_token(signed).id == row("Bilal").id


def test_no_promotion_into_a_cancelled_event(campaign, owner):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina")
    rsvp(event, "Bilal")
    event_service.cancel_event(owner, event)
    db.session.commit()
    rsvps.cancel_rsvp(row("Amina"))
    db.session.commit()
    assert statuses(event)["Bilal"] == "waitlisted"


def test_a_new_rsvp_that_fits_heals_a_missed_promotion(campaign):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina")
    rsvp(event, "Bilal")
    event.capacity = 2  # changed behind the rules' back: Bilal should have been promoted
    db.session.commit()
    assert rsvp(event, "Carla").status is RsvpStatus.WAITLISTED  # Bilal first, then Carla waits
    assert statuses(event) == {"Amina": "going", "Bilal": "going", "Carla": "waitlisted"}


# --- When RSVPs are closed -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"status": EventStatus.DRAFT}, ClosedReason.DRAFT),
        ({"status": EventStatus.CANCELLED}, ClosedReason.CANCELLED),
        ({"starts_at": utcnow() - timedelta(hours=5)}, ClosedReason.ENDED),
        ({"rsvp_deadline": utcnow() - timedelta(minutes=1)}, ClosedReason.DEADLINE),
    ],
)
def test_closed_reasons(campaign, overrides, reason):
    event = builders.make_event(campaign, **overrides)
    with pytest.raises(RsvpsClosed) as caught:
        rsvps.create_rsvp(event, name="Amina")
    assert caught.value.reason is reason
    assert caught.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


def test_deadline_message_names_the_time_and_zone(campaign):
    deadline = (utcnow() - timedelta(days=1)).replace(hour=17, minute=0, second=0, microsecond=0)
    event = builders.make_event(campaign, rsvp_deadline=deadline, timezone="Europe/London")
    message = rsvp_opening.closed_message(event, rsvp_opening.closed_reason(event))
    assert message.startswith("RSVPs closed on ")
    assert "GMT" in message or "BST" in message


def test_open_until_the_event_ends(campaign):
    event = builders.make_event(campaign, starts_at=utcnow() - timedelta(minutes=30))  # started, not over
    assert rsvp_opening.closed_reason(event) is None


# --- Input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "x" * 10_000}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "email": "a@" + "b" * 300 + ".org"}, "email"),
        ({"name": "A", "guests": 4}, "guests"),
        ({"name": "A", "guests": -1}, "guests"),
        ({"name": "A", "guests": "lots"}, "guests"),
        ({"name": "A", "answers": {999_999: "yes"}}, "answers"),
        ({"name": "A", "answers": {"nonsense": "yes"}}, "answers"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(campaign, kwargs, field):
    event = builders.make_event(campaign, max_guests=3)
    with pytest.raises(ValidationFailed) as caught:
        rsvps.create_rsvp(event, **kwargs)
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(Rsvp.id))) == 0


def test_email_policies(campaign):
    required = builders.make_event(campaign, email_policy=EmailPolicy.REQUIRED)
    with pytest.raises(ValidationFailed) as caught:
        rsvps.create_rsvp(required, name="Amina", email="")
    assert caught.value.field == "email"
    db.session.rollback()

    not_asked = builders.make_event(campaign, email_policy=EmailPolicy.NOT_ASKED)
    receipt = rsvp(not_asked, "Bilal", email="bilal@example.org")
    assert receipt.manage_token  # no email kept, so the link is shown instead
    assert row("Bilal").email is None and row("Bilal").email_normalized is None
    assert outbox_to("bilal@example.org") == []

    optional = builders.make_event(campaign, email_policy=EmailPolicy.OPTIONAL)
    receipt = rsvp(optional, "Carla", email="Carla@Example.ORG")
    assert receipt.manage_token is None and receipt.emailed
    assert row("Carla").email_normalized == "carla@example.org"


def test_phone_only_when_asked(campaign):
    silent = builders.make_event(campaign, ask_phone=False)
    rsvp(silent, "Amina", phone="+44 20 7946 0000")
    assert row("Amina").phone is None
    asking = builders.make_event(campaign, ask_phone=True)
    rsvp(asking, "Bilal", phone="+44 20 7946 0000")
    assert row("Bilal").phone == "+44 20 7946 0000"
    with pytest.raises(ValidationFailed) as caught:
        rsvps.create_rsvp(asking, name="Carla", phone="call me maybe")
    assert caught.value.field == "phone"


def test_answers_are_checked_against_the_events_questions(campaign):
    event = builders.make_event(campaign)
    access = builders.make_question(event, label="Step-free access?", kind=QuestionKind.YES_NO, required=True)
    role = builders.make_question(event, label="Help with?", kind=QuestionKind.CHOICE,
                                  choices="Stewarding\nLeafleting", required=False)
    note = builders.make_question(event, label="Anything else?", kind=QuestionKind.TEXT)
    other_event = builders.make_event(campaign)
    foreign = builders.make_question(other_event)
    db.session.refresh(event)

    cases = [
        ({}, f"q_{access.id}"),  # required
        ({access.id: "maybe"}, f"q_{access.id}"),
        ({access.id: "yes", role.id: "Cooking"}, f"q_{role.id}"),
        ({access.id: "yes", note.id: "n" * 501}, f"q_{note.id}"),
        ({access.id: "yes", foreign.id: "yes"}, "answers"),  # a question of another event
    ]
    for answers, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            rsvps.create_rsvp(event, name="Amina", answers=answers)
        assert caught.value.field == field, answers
        db.session.rollback()

    rsvp(event, "Amina", answers={access.id: "Yes", role.id: "Leafleting", note.id: "  "})
    saved = {a.question_id: a.value for a in row("Amina").answers}
    assert saved == {access.id: "yes", role.id: "Leafleting"}  # empty optional answers aren't stored


def test_manage_token_is_stored_only_hashed(campaign):
    event = builders.make_event(campaign)
    receipt = rsvp(event, "Amina")
    token = receipt.manage_token
    assert len(token) >= 43  # 256 bits, url-safe
    saved = row("Amina")
    assert saved.manage_token_hash == hash_token(token) != token
    assert saved.ticket_token_hash == hash_token(ticket_token_for(token))
    assert rsvp_links.find_by_token(token).id == saved.id
    assert rsvp_links.find_by_token(token + "x") is None
    assert rsvp_links.find_by_token("") is None


def test_no_ip_address_or_user_agent_column():
    columns = {column["name"] for column in inspect(db.engine).get_columns("rsvp")}
    assert not {name for name in columns if "ip" in name.split("_") or "agent" in name or "addr" in name}


# --- Duplicates ----------------------------------------------------------------------------------

def test_a_second_rsvp_with_the_same_address_is_an_rsvp_of_its_own(campaign):
    """Taken like any other (so the places left move alike for a known and an unknown address); the
    owner of the address is told by email, with the new RSVP's link and a way to a new link for theirs."""
    event = builders.make_event(campaign, capacity=10, max_guests=3)
    first = rsvp(event, "Amina", email="amina@example.org", guests=1)
    second = rsvp(event, "Someone else", email="AMINA@example.org", guests=3)
    fresh = rsvp(event, "Bilal", email="bilal@example.org", guests=3)
    assert first == second == fresh  # status, position, no link on screen, "emailed"
    assert first.manage_token is None
    assert db.session.scalar(select(func.count(Rsvp.id)).where(Rsvp.event_id == event.id)) == 3
    assert row("Amina").guests == 1  # the first RSVP is untouched
    assert row("Someone else").email_normalized == "amina@example.org"
    assert capacity.summary(event).going_people == 2 + 4 + 4
    mails = outbox_to("amina@example.org") + outbox_to("AMINA@example.org")
    assert [m.subject.split(":")[0] for m in mails] == ["You're going", "You're going"]
    again = mails[1].body_text
    assert again.startswith("Hi Amina,") and "Someone else" not in again  # greets the owner, not the typist
    assert "already had an RSVP" in again and "/r/new-link/" in again
    assert "a second one, for 4 people" in again and manage_link_in(mails[1]) != manage_link_in(mails[0])


def test_someone_typing_my_address_changes_nothing_for_me(campaign):
    """The email about a second RSVP offers a new link; only its owner pressing the button replaces the
    old one, so nobody can break someone else's link or ticket by typing their address into the form."""
    event = builders.make_event(campaign, capacity=10)
    rsvp(event, "Amina", email="amina@example.org")
    first_link = manage_link_in(outbox_to("amina@example.org")[0])
    token = first_link.rsplit("/", 1)[1]
    ticket_hash = row("Amina").ticket_token_hash
    for _ in range(3):
        rsvp(event, "Not Amina", email="amina@example.org")
    assert rsvp_links.find_by_token(token).id == row("Amina").id and row("Amina").ticket_token_hash == ticket_hash
    assert row("Amina").status is RsvpStatus.GOING

    signed = re.search(r"/r/new-link/(\S+)", outbox_to("amina@example.org")[1].body_text).group(1)
    assert rsvp_links.find_by_new_link_token(signed).id == row("Amina").id  # looking changes nothing
    assert rsvp_links.find_by_token(token) is not None
    new_token = rsvp_links.issue_new_link(rsvp_links.find_by_new_link_token(signed))
    db.session.commit()
    assert rsvp_links.find_by_token(token) is None and rsvp_links.find_by_token(new_token).id == row("Amina").id
    assert row("Amina").ticket_token_hash != ticket_hash
    assert rsvp_links.find_by_new_link_token(signed) is None  # works once


def test_new_link_addresses_expire_and_cannot_be_forged(campaign, app):
    event = builders.make_event(campaign)
    rsvp(event, "Amina", email="amina@example.org")
    signed = rsvp_links.new_link_token(row("Amina"))
    assert rsvp_links.find_by_new_link_token(signed) is not None
    assert rsvp_links.find_by_new_link_token(signed, max_age=-1) is None
    # One character of the signature changed, well before its last (partly padding) character.
    tampered = signed[:-10] + ("A" if signed[-10] != "A" else "B") + signed[-9:]
    for forged in ("", "x" * 400, tampered, signed.replace(".", "", 1), "not.a.token"):
        assert rsvp_links.find_by_new_link_token(forged) is None
    from itsdangerous import URLSafeTimedSerializer

    other_key = URLSafeTimedSerializer("another-secret-key-of-enough-length", salt="rsvp-new-link")
    assert rsvp_links.find_by_new_link_token(other_key.dumps([row("Amina").id, "0" * 16])) is None
    rotated = app.config["SECRET_KEY"]
    app.config["SECRET_KEY_FALLBACKS"] = [rotated]
    app.config["SECRET_KEY"] = "a-new-secret-key-after-rotation-0123456789"
    try:
        assert rsvp_links.find_by_new_link_token(signed) is not None  # still valid after a key rotation
    finally:
        app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = rotated, []


def test_a_second_rsvp_when_full_waits_like_a_newcomer(campaign):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina", email="amina@example.org")
    rsvp(event, "Bilal", email="bilal@example.org")  # waitlisted, position 1
    duplicate = rsvp(event, "Amina again", email="amina@example.org")
    newcomer = rsvp(event, "Carla", email="carla@example.org")
    assert duplicate.status is RsvpStatus.WAITLISTED and duplicate.waitlist_position == 2
    assert newcomer.waitlist_position == 3 and newcomer.status == duplicate.status
    assert statuses(event) == {"Amina": "going", "Bilal": "waitlisted", "Amina again": "waitlisted",
                               "Carla": "waitlisted"}


def test_rsvp_again_after_cancelling_is_a_new_arrival(campaign):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina", email="amina@example.org")
    first_link = manage_link_in(outbox_to("amina@example.org")[0])
    rsvp(event, "Bilal", email="bilal@example.org")
    rsvps.cancel_rsvp(row("Amina"))
    db.session.commit()
    receipt = rsvp(event, "Amina B.", email="amina@example.org")
    assert receipt.status is RsvpStatus.WAITLISTED  # Bilal took the place meanwhile
    assert statuses(event) == {"Amina": "cancelled", "Bilal": "going", "Amina B.": "waitlisted"}
    mail = outbox_to("amina@example.org")[-1]
    assert mail.subject.startswith("You're on the waitlist") and "already had an RSVP" not in mail.body_text
    assert rsvp_links.find_by_token(first_link.rsplit("/", 1)[1]).name == "Amina"  # the cancelled one is kept as it was


def test_an_address_a_walk_in_gave_at_the_door_is_no_obstacle(campaign):
    event = builders.make_event(campaign)
    walk_in = checkins.walk_in(event, "Amina", "amina@example.org", actor_user=None, door_link=None,
                               idempotency_key="walk-in-amina")
    assert walk_in.created
    db.session.commit()
    receipt = rsvp(event, "Amina twice", email="amina@example.org")
    assert receipt.manage_token is None and receipt.status is RsvpStatus.GOING and receipt.emailed
    assert db.session.scalar(select(func.count(Rsvp.id))) == 2
    assert row("Amina").name == "Amina"  # untouched
    assert "already had an RSVP" in outbox_to("amina@example.org")[0].body_text


# --- Changing, cancelling, deleting --------------------------------------------------------------

def test_growing_a_going_party_beyond_the_free_places_is_refused(campaign):
    event = builders.make_event(campaign, capacity=4, max_guests=3)
    rsvp(event, "Amina", guests=1)
    rsvp(event, "Bilal")  # 3 of 4 taken
    with pytest.raises(ValidationFailed) as caught:
        rsvps.update_rsvp(row("Amina"), guests=3)
    assert caught.value.field == "guests"
    assert caught.value.message == "Only 1 more place is left. You can bring at most 2 guests now."
    db.session.rollback()
    assert row("Amina").guests == 1
    rsvps.update_rsvp(row("Amina"), guests=2)  # exactly fills the last place
    db.session.commit()
    assert capacity.summary(event).going_people == 4


def test_shrinking_a_party_promotes_the_waitlist(campaign):
    event = builders.make_event(campaign, capacity=3, max_guests=3)
    rsvp(event, "Amina", guests=2)
    rsvp(event, "Bilal")
    rsvps.update_rsvp(row("Amina"), guests=1)
    db.session.commit()
    assert statuses(event) == {"Amina": "going", "Bilal": "going"}


def test_a_waitlisted_party_may_grow_and_shrinking_can_let_it_in(campaign):
    event = builders.make_event(campaign, capacity=2, max_guests=3)
    rsvp(event, "Amina")
    rsvp(event, "Bilal", guests=2)  # 3 > 1 left
    rsvps.update_rsvp(row("Bilal"), guests=3)
    db.session.commit()
    assert row("Bilal").status is RsvpStatus.WAITLISTED
    rsvps.update_rsvp(row("Bilal"), guests=0)  # now fits in the one place left
    db.session.commit()
    assert row("Bilal").status is RsvpStatus.GOING


def test_answers_are_replaced_on_update(campaign):
    event = builders.make_event(campaign)
    question = builders.make_question(event, kind=QuestionKind.TEXT, label="Diet?")
    db.session.refresh(event)
    rsvp(event, "Amina", answers={question.id: "vegan"})
    rsvps.update_rsvp(row("Amina"), answers={question.id: "halal"})
    db.session.commit()
    assert [a.value for a in row("Amina").answers] == ["halal"]
    rsvps.update_rsvp(row("Amina"), answers={})
    db.session.commit()
    assert row("Amina").answers == []
    with pytest.raises(ValidationFailed):
        rsvps.update_rsvp(row("Amina"), answers={question.id + 1000: "x"})


def test_a_cancelled_rsvp_cant_be_changed(campaign):
    event = builders.make_event(campaign, max_guests=2)
    rsvp(event, "Amina")
    rsvps.cancel_rsvp(row("Amina"))
    db.session.commit()
    with pytest.raises(Conflict):
        rsvps.update_rsvp(row("Amina"), guests=1)


def test_changes_are_closed_after_the_deadline(campaign):
    event = builders.make_event(campaign, max_guests=2)
    rsvp(event, "Amina")
    event.rsvp_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(RsvpsClosed):
        rsvps.update_rsvp(row("Amina"), guests=1)
    db.session.rollback()
    rsvps.cancel_rsvp(row("Amina"))  # cancelling is always welcome before the event ends
    db.session.commit()
    assert row("Amina").status is RsvpStatus.CANCELLED


def test_cancel_is_idempotent(campaign):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina")
    rsvp(event, "Bilal")
    rsvps.cancel_rsvp(row("Amina"))
    rsvps.cancel_rsvp(row("Amina"))
    db.session.commit()
    assert statuses(event) == {"Amina": "cancelled", "Bilal": "going"}


def test_delete_erases_the_rsvp_and_its_answers_and_promotes(campaign):
    event = builders.make_event(campaign, capacity=1)
    question = builders.make_question(event, kind=QuestionKind.TEXT, label="Diet?")
    db.session.refresh(event)
    receipt = rsvp(event, "Amina", answers={question.id: "vegan"})
    rsvp(event, "Bilal")
    rsvps.delete_rsvp(rsvp_links.find_by_token(receipt.manage_token))
    db.session.commit()
    assert statuses(event) == {"Bilal": "going"}
    assert db.session.scalar(select(func.count(Answer.id))) == 0
    assert rsvp_links.find_by_token(receipt.manage_token) is None


# --- Organizers ----------------------------------------------------------------------------------

def test_organizer_removal_promotes_and_needs_the_role(campaign, owner):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina")
    rsvp(event, "Bilal")
    coordinator = builders.make_user()
    builders.make_membership(campaign, coordinator, Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        rsvps.remove_rsvp(coordinator, row("Amina"))
    db.session.rollback()
    rsvps.remove_rsvp(owner, row("Amina"))
    db.session.commit()
    assert statuses(event) == {"Bilal": "going"}


def test_promote_by_hand_may_go_over_capacity(campaign, owner):
    event = builders.make_event(campaign, capacity=1, max_guests=3)
    rsvp(event, "Amina")
    rsvp(event, "Bilal", guests=1, email="bilal@example.org")
    assert waitlist.promote_by_hand(owner, row("Bilal")) == 2
    db.session.commit()
    assert row("Bilal").status is RsvpStatus.GOING
    assert outbox_to("bilal@example.org")[-1].subject.startswith("A place opened up")
    with pytest.raises(Conflict):
        waitlist.promote_by_hand(owner, row("Bilal"))


def test_nobody_is_promoted_by_hand_into_a_cancelled_event(campaign, owner):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina")
    rsvp(event, "Bilal")
    assert waitlist.can_promote_by_hand(row("Bilal")) and not waitlist.can_promote_by_hand(row("Amina"))
    event_service.cancel_event(owner, event)
    db.session.commit()
    assert not waitlist.can_promote_by_hand(row("Bilal"))  # the list shows no button
    with pytest.raises(Conflict):
        waitlist.promote_by_hand(owner, row("Bilal"))


def test_list_for_organizers_filters_and_counts(campaign):
    event = builders.make_event(campaign, capacity=1)
    for name in ("Amina", "Bilal", "Carla"):
        rsvp(event, name)
    listing = rsvp_listing.list_for_organizers(event, RsvpStatus.WAITLISTED)
    assert [r.name for r in listing.rsvps] == ["Bilal", "Carla"]
    assert listing.counts.going_people == 1
    assert len(rsvp_listing.list_for_organizers(event).rsvps) == 3
    for shown in (listing, rsvp_listing.list_for_organizers(event)):
        assert {row(name).id: place for name, place in (("Bilal", 1), ("Carla", 2))} == shown.positions
        assert shown.positions[row("Bilal").id] == capacity.waitlist_position(row("Bilal"))


def test_organizers_find_people_by_name_or_email_and_keep_their_queue_place(campaign):
    event = builders.make_event(campaign, capacity=1)
    builders.make_rsvp(event, name="Amina Yusuf", email="amina@example.org")
    builders.make_rsvp(event, name="José Núñez", email="jn@example.org", status=RsvpStatus.WAITLISTED)
    builders.make_rsvp(event, name="Bilal Haddad", email="bilal.h@example.org", status=RsvpStatus.WAITLISTED)
    assert [r.name for r in rsvp_listing.list_for_organizers(event, query="NUNEZ").rsvps] == ["José Núñez"]
    found = rsvp_listing.list_for_organizers(event, query="bilal.h@")
    assert [r.name for r in found.rsvps] == ["Bilal Haddad"] and found.total == 1
    assert found.positions[found.rsvps[0].id] == 2  # second in the queue, though alone on the page
    assert rsvp_listing.list_for_organizers(event, query="100%_").rsvps == []  # LIKE wildcards are text


def test_the_list_says_how_far_over_capacity_a_hand_promotion_goes(campaign):
    event = builders.make_event(campaign, capacity=3, max_guests=3)
    rsvp(event, "Amina")
    rsvp(event, "Bilal", guests=2)  # waits: 2 places left for a party of 3
    rsvp(event, "Carla")
    listing = rsvp_listing.list_for_organizers(event)
    assert listing.over_capacity_if_promoted(row("Bilal")) == 2  # 1 place left after Carla
    unlimited = rsvp_listing.list_for_organizers(builders.make_event(campaign, capacity=None))
    assert unlimited.over_capacity_if_promoted(row("Bilal")) == 0


def test_who_may_change_and_who_has_a_ticket(campaign, owner):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina")
    rsvp(event, "Bilal")
    rsvp(event, "Carla")
    rsvps.cancel_rsvp(row("Carla"))
    db.session.commit()
    assert (rsvps.can_change(row("Amina")), rsvps.can_change(row("Bilal")), rsvps.can_change(row("Carla"))) == (
        True, True, False)
    assert (rsvps.has_ticket(row("Amina")), rsvps.has_ticket(row("Bilal")), rsvps.has_ticket(row("Carla"))) == (
        True, False, False)
    assert not rsvps.can_change(row("Amina"), now=event.ends_at)
    event_service.cancel_event(owner, event)
    db.session.commit()
    assert not rsvps.can_change(row("Amina")) and not rsvps.has_ticket(row("Amina"))


# --- Telling people ------------------------------------------------------------------------------

def test_cancelling_the_event_emails_everyone_going_or_waiting(campaign, owner):
    event = builders.make_event(campaign, capacity=1)
    rsvp(event, "Amina", email="amina@example.org")
    rsvp(event, "Bilal", email="bilal@example.org")
    rsvp(event, "Carla", email="carla@example.org")
    rsvp(event, "NoMail")
    rsvps.cancel_rsvp(row("Carla"))
    db.session.commit()
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    event_service.cancel_event(owner, event)
    db.session.commit()
    new = [as_sent(m) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id > 0).order_by(OutboxMessage.id))][before:]
    assert sorted(m.to_address for m in new) == ["amina@example.org", "bilal@example.org"]
    assert all(m.subject.startswith("Cancelled:") for m in new)
    assert all("STATUS:CANCELLED" in m.ics_attachment for m in new)


def test_moving_the_event_emails_the_new_time(campaign, owner):
    event = builders.make_event(campaign)
    rsvp(event, "Amina", email="amina@example.org")
    data = event_service.event_input_from(event)
    data.starts_local += timedelta(hours=1)
    data.ends_local += timedelta(hours=1)
    event_service.update_event(owner, event, data)
    db.session.commit()
    message = outbox_to("amina@example.org")[-1]
    assert message.subject == f"New time: {event.title}"
    assert f"changed the time of \u2068{event.title}\u2069" in message.body_text  # isolated (issue 11.5)
    from organizer.formatting import event_datetime

    assert event_datetime(event.starts_at, event.timezone) in message.body_text


@pytest.mark.parametrize(
    ("moves", "subject", "sentence"),
    [
        ({"venue_name": "Another hall"}, "New place", "changed the place of"),
        ({"venue_name": "Another hall", "hours": 1}, "New time and place", "changed the time and place of"),
    ],
)
def test_the_change_email_says_what_changed(campaign, owner, moves, subject, sentence):
    event = builders.make_event(campaign, title="Meeting")
    rsvp(event, "Amina", email="amina@example.org")
    data = event_service.event_input_from(event)
    data.venue_name = moves["venue_name"]
    data.starts_local += timedelta(hours=moves.get("hours", 0))
    data.ends_local += timedelta(hours=moves.get("hours", 0))
    event_service.update_event(owner, event, data)
    db.session.commit()
    message = outbox_to("amina@example.org")[-1]
    assert message.subject == f"{subject}: Meeting"
    assert f"{sentence} \u2068Meeting\u2069" in message.body_text and "Another hall" in message.body_text


@pytest.mark.parametrize(("guests", "sentence"), [(1, "with 1 guest."), (2, "with 2 guests.")])
def test_the_confirmation_counts_guests_in_words(campaign, guests, sentence):
    event = builders.make_event(campaign, title="Meeting", max_guests=3)
    rsvp(event, "Amina", email="amina@example.org", guests=guests)
    [message] = outbox_to("amina@example.org")
    assert f"You're going to \u2068Meeting\u2069 {sentence}" in message.body_text
    assert f"You're going to <bdi>Meeting</bdi> {sentence}" in message.body_html
    assert "(s)" not in message.body_text + message.body_html


def test_notify_event_changed_counts_and_skips_people_without_email(campaign):
    event = builders.make_event(campaign)
    rsvp(event, "Amina", email="amina@example.org")
    rsvp(event, "NoMail")
    assert rsvp_changes.notify_event_changed(event, "place") == 1


# --- The lock on SQLite --------------------------------------------------------------------------

def test_sqlite_lock_takes_the_write_lock(campaign):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    event = builders.make_event(campaign)
    capacity.lock_event(event.id)
    other = sqlite3.connect(db.engine.url.database, timeout=0.1)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("UPDATE event SET title = title WHERE id = ?", (event.id,))
    finally:
        other.close()
        db.session.rollback()
