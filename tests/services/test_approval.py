"""Approval (issue 12.2): requests take no place; approving takes one by the capacity rule (or the
waitlist), oldest first; declining is neutral; only organizers and owners answer; door lists and exports
never hold a request."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Audience, OutboxMessage, Rsvp, RsvpStatus
from organizer.services.common.errors import Conflict, PermissionDenied, ValidationFailed
from organizer.services.door import listing as door_listing
from organizer.services.door import scanning
from organizer.services.door.scanning import TicketRefused
from organizer.services.events import events as event_service
from organizer.services.reports import export_queries, export_spec
from organizer.services.rsvp import approval, capacity, rsvps
from tests import builders
from tests.mailbox import messages_to


@pytest.fixture
def team():
    return builders.make_team("coordinator", "organizer", "door")


@pytest.fixture
def event(team):
    return builders.make_event(team["campaign"], requires_approval=True, capacity=4, address_audience=Audience.APPROVED,
                               online_url="https://meet.example.org/secret-room", online_audience=Audience.APPROVED,
                               attendee_notes="Ring the bell at the side door", notes_audience=Audience.APPROVED)


def ask(event, name, guests=0):
    rsvps.create_rsvp(event, name=name, email=f"{name.lower()}@example.org", guests=guests)
    db.session.commit()
    return db.session.scalar(select(Rsvp).where(Rsvp.name == name))


def test_a_request_waits_takes_no_place_and_is_told_it_was_received(event):
    request = ask(event, "Amina", guests=1)
    assert request.status is RsvpStatus.PENDING and request.approved_at is None
    counts = capacity.summary(event)
    assert counts.going_people == 0 and counts.pending_rsvps == 1 and counts.places_left == 4
    [mail] = messages_to("amina@example.org")
    assert mail.subject.startswith("Request received")
    assert "46 Whitechapel Road" not in mail.body_text and "secret-room" not in mail.body_text
    assert "side door" not in mail.body_text
    assert "London" in mail.body_text  # the area
    assert not mail.ics_attachment


def test_approving_takes_places_in_arrival_order_and_the_rest_join_the_waitlist(team, event):
    first = ask(event, "Amina", guests=2)  # 3 people
    second = ask(event, "Bilal", guests=1)  # 2: doesn't fit in the 1 left
    third = ask(event, "Carla")  # 1: fits
    result = approval.approve(team["organizer"], event, [third.id, second.id, first.id])
    db.session.commit()
    assert [r.name for r in result.going] == ["Amina", "Carla"]
    assert [r.name for r in result.waitlisted] == ["Bilal"]
    assert capacity.summary(event).going_people == 4
    for name in ("Amina", "Bilal", "Carla"):
        assert db.session.scalar(select(Rsvp.approved_at).where(Rsvp.name == name)) is not None


def test_approved_people_get_the_details_and_the_calendar_file(team, event):
    request = ask(event, "Amina")
    approval.approve(team["organizer"], event, [request.id])
    db.session.commit()
    mail = messages_to("amina@example.org")[-1]
    assert mail.subject.startswith("Approved — you're going")
    unfolded = mail.ics_attachment.replace("\r\n ", "").replace("\\,", ",")
    for secret in ("46 Whitechapel Road", "https://meet.example.org/secret-room", "Ring the bell at the side door"):
        assert secret in mail.body_text
        assert secret in unfolded
    assert "46 Whitechapel Road" in mail.body_html


def test_approved_onto_the_waitlist_gets_no_details_until_promoted(team, event):
    big = ask(event, "Amina", guests=3)
    approval.approve(team["organizer"], event, [big.id])
    late = ask(event, "Bilal")
    approval.approve(team["organizer"], event, [late.id])
    db.session.commit()
    db.session.refresh(late)
    assert late.status is RsvpStatus.WAITLISTED
    mail = messages_to("bilal@example.org")[-1]
    assert "waitlist" in mail.subject and "46 Whitechapel Road" not in mail.body_text
    rsvps.cancel_rsvp(db.session.get(Rsvp, big.id))  # a place opens: the approved waitlisted person goes in
    db.session.commit()
    db.session.refresh(late)
    assert late.status is RsvpStatus.GOING
    promoted = messages_to("bilal@example.org")[-1]
    assert "place opened up" in promoted.subject and "46 Whitechapel Road" in promoted.body_text


def test_declining_is_neutral_takes_no_place_and_hides_everything(team, event):
    request = ask(event, "Amina")
    result = approval.decline(team["owner"], event, [request.id])
    db.session.commit()
    assert [r.name for r in result.declined] == ["Amina"]
    db.session.refresh(request)
    assert request.status is RsvpStatus.DECLINED and request.approved_at is None
    mail = messages_to("amina@example.org")[-1]
    assert mail.subject.startswith("About your request")
    assert "could not confirm a place" in mail.body_text
    for word in ("46 Whitechapel Road", "secret-room", "side door", "declined", "rejected"):
        assert word not in mail.body_text
    assert not mail.ics_attachment
    assert not rsvps.can_change(request)


def test_an_answered_request_is_not_answered_twice(team, event):
    request = ask(event, "Amina")
    approval.approve(team["organizer"], event, [request.id])
    again = approval.decline(team["organizer"], event, [request.id])
    assert again.skipped == 1 and not again.declined
    db.session.refresh(request)
    assert request.status is RsvpStatus.GOING


def test_ids_of_another_event_are_skipped(team, event):
    other = builders.make_event(team["campaign"], requires_approval=True)
    foreign = ask(other, "Zainab")
    result = approval.approve(team["organizer"], event, [foreign.id])
    assert result.skipped == 1 and not result.going
    db.session.refresh(foreign)
    assert foreign.status is RsvpStatus.PENDING


@pytest.mark.parametrize("role", ["coordinator", "door"])
def test_only_organizers_and_owners_answer(team, event, role):
    request = ask(event, "Amina")
    with pytest.raises(PermissionDenied):
        approval.approve(team[role], event, [request.id])
    with pytest.raises(PermissionDenied):
        approval.decline(team[role], event, [request.id])
    outsider = builders.make_user()
    with pytest.raises(PermissionDenied):
        approval.approve(outsider, event, [request.id])


def test_no_answers_for_a_cancelled_event(team, event):
    request = ask(event, "Amina")
    event_service.cancel_event(team["owner"], event)
    db.session.commit()
    with pytest.raises(Conflict):
        approval.approve(team["organizer"], event, [request.id])


def test_an_rsvp_added_by_hand_counts_as_approved(team, event):
    rsvps.add_by_hand(team["organizer"], event, name="Phoned In")
    db.session.commit()
    added = db.session.scalar(select(Rsvp).where(Rsvp.name == "Phoned In"))
    assert added.status is RsvpStatus.GOING and added.approved_at is not None


def test_requests_are_never_on_the_door_list_nor_in_exports(team, event):
    request = ask(event, "Amina")
    going = ask(event, "Bilal")
    approval.approve(team["organizer"], event, [going.id])
    declined = ask(event, "Carla")
    approval.decline(team["organizer"], event, [declined.id])
    db.session.commit()
    assert [row.name for row in door_listing.door_rows(event)] == ["Bilal"]
    for statuses in (["pending"], ["declined"], ["going", "pending"]):
        with pytest.raises(ValidationFailed):
            export_spec.make_spec(team["campaign"], event=event, statuses=statuses, checked_in="any",
                                  consent_only=False, columns=["name"], file_format="csv")
    spec = export_spec.make_spec(team["campaign"], event=event, statuses=["going", "waitlisted", "cancelled"],
                                 checked_in="any", consent_only=False, columns=["name"], file_format="csv")
    exported = [row.name for row in db.session.execute(export_queries.event_query(spec))]
    assert exported == ["Bilal"]
    # A request's ticket is refused at the door even if its code were known.
    with pytest.raises(TicketRefused):
        scanning.find(event, scanning.short_code(request.ticket_token_hash))


def test_approval_cannot_be_turned_off_while_requests_wait(team, event):
    ask(event, "Amina")
    data = event_service.event_input_from(event)
    data.requires_approval = False
    data.address_audience = data.online_audience = data.notes_audience = Audience.GOING
    with pytest.raises(ValidationFailed) as raised:
        event_service.update_event(team["organizer"], event, data)
    assert raised.value.field == "requires_approval"


def test_people_approved_needs_approval_on(team):
    event = builders.make_event(team["campaign"])
    data = event_service.event_input_from(event)
    data.address_audience = Audience.APPROVED
    with pytest.raises(ValidationFailed) as raised:
        event_service.update_event(team["organizer"], event, data)
    assert raised.value.field == "address_audience"


def test_the_outbox_holds_no_detail_for_a_request(event):
    ask(event, "Amina")
    for message in db.session.scalars(select(OutboxMessage)):
        assert "Whitechapel" not in (message.subject or "")
