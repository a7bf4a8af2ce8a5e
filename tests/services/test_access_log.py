"""The access log: each kind of entry is written by the action that causes it, in its transaction;
entries hold no supporter's name or address, outlive retention, deleted accounts and events, and
read back newest first, filtered and paged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from organizer.extensions import db
from organizer.models import AccessEntry, AccessKind, Role, User
from organizer.services.campaigns import campaigns, invitations
from organizer.services.door import door_links
from organizer.services.messaging import messages, segments
from organizer.services.privacy import access_log, retention
from organizer.services.reports import export_spec, exports
from organizer.services.rsvp import rsvps
from organizer.timeutil import utcnow
from tests import builders


@pytest.fixture
def team():
    return builders.make_team("organizer", "coordinator", "door")


def kinds(campaign) -> list[str]:
    return list(db.session.scalars(
        select(AccessEntry.kind).where(AccessEntry.campaign_id == campaign.id).order_by(AccessEntry.id)))


def only_entry(campaign, kind) -> AccessEntry:
    found = db.session.scalars(select(AccessEntry).where(AccessEntry.campaign_id == campaign.id,
                                                         AccessEntry.kind == kind)).all()
    assert len(found) == 1, found
    return found[0]


def test_an_export_writes_an_entry_with_its_row_count(team):
    campaign = team["campaign"]
    event = builders.make_event(campaign)
    builders.make_rsvp(event, name="Amina", email="amina@example.org")
    spec = export_spec.make_spec(campaign, event=event, statuses=["going"], checked_in="any", consent_only=False,
                                 columns=["name"], file_format="csv")
    prepared = exports.start(campaign, team["coordinator"], spec)
    prepared.close()
    entry = only_entry(campaign, AccessKind.EXPORT)
    assert (entry.actor_id, entry.actor_label, entry.event_id, entry.count, entry.detail) == (
        team["coordinator"].id, "coord@example.org", event.id, 1, "csv")
    assert entry.export_id == prepared.record.id


def test_a_look_at_the_rsvp_list_is_written_once_per_person_event_and_day(team):
    campaign = team["campaign"]
    event, other = builders.make_event(campaign), builders.make_event(campaign)
    now = utcnow().replace(hour=12, minute=0)  # five minutes later is the same day, whenever the test runs
    assert access_log.record_list_view(event, team["coordinator"], now) is True
    assert access_log.record_list_view(event, team["coordinator"], now + timedelta(minutes=5)) is False
    assert access_log.record_list_view(event, team["organizer"], now) is True
    assert access_log.record_list_view(other, team["coordinator"], now) is True
    assert access_log.record_list_view(event, team["coordinator"], now + timedelta(days=1)) is True
    db.session.commit()
    assert kinds(campaign) == [AccessKind.LIST_VIEW] * 4


def test_door_links_made_and_revoked(team):
    campaign = team["campaign"]
    event = builders.make_event(campaign)
    link, _token = door_links.create(event, "Side door", team["organizer"])
    assert door_links.revoke(link, team["organizer"])
    assert not door_links.revoke(link, team["organizer"])  # already off: nothing more to log
    assert kinds(campaign) == [AccessKind.DOOR_LINK_MADE, AccessKind.DOOR_LINK_REVOKED]
    assert only_entry(campaign, AccessKind.DOOR_LINK_REVOKED).subject == "Side door"


def test_role_changes_and_removals(team):
    campaign = team["campaign"]
    membership = campaigns.get_membership(campaign, next(
        m.id for m in campaigns.members(campaign) if m.user_id == team["door"].id))
    campaigns.change_role(team["owner"], campaign, membership, Role.COORDINATOR)
    campaigns.change_role(team["owner"], campaign, membership, Role.COORDINATOR)  # no change: no entry
    campaigns.remove_member(team["owner"], campaign, membership)
    assert kinds(campaign) == [AccessKind.ROLE_CHANGED, AccessKind.MEMBER_REMOVED]
    changed = only_entry(campaign, AccessKind.ROLE_CHANGED)
    assert (changed.actor_label, changed.subject, changed.detail) == ("owner@example.org", "door@example.org",
                                                                     "door>coordinator")


def test_invitations_sent_withdrawn_and_accepted(team):
    campaign = team["campaign"]
    link = lambda token: f"https://example.org/invite/{token}"  # noqa: E731
    first = invitations.invite(team["owner"], campaign, "nadia@example.org", "organizer", accept_link=link)
    invitations.withdraw(team["owner"], campaign, first)
    tokens = []
    invitations.invite(team["owner"], campaign, "nadia@example.org", "organizer",
                       accept_link=lambda token: tokens.append(token) or link(token))
    invitations.accept_with_new_account(tokens[0], "Nadia", "a-long-password")
    assert kinds(campaign) == [AccessKind.INVITATION_SENT, AccessKind.INVITATION_WITHDRAWN,
                               AccessKind.INVITATION_SENT, AccessKind.MEMBER_JOINED]
    joined = only_entry(campaign, AccessKind.MEMBER_JOINED)
    assert (joined.actor_label, joined.detail) == ("nadia@example.org", "organizer")


def test_a_retention_run_writes_how_many_it_forgot_per_campaign(team):
    campaign = team["campaign"]
    campaign.retention_days = 30
    event = builders.make_event(campaign, starts_at=utcnow() - timedelta(days=40))
    event.ends_at = event.starts_at + timedelta(hours=2)
    for number in range(3):
        builders.make_rsvp(event, name=f"Person {number}", email=f"p{number}@example.org")
    db.session.commit()
    retention.run(dry_run=True)
    assert kinds(campaign) == []
    retention.run()
    retention.run()  # nothing left to forget: no second entry
    db.session.commit()
    assert only_entry(campaign, AccessKind.RETENTION_RUN).count == 3


def test_a_supporter_deleting_their_rsvp_is_logged_without_their_name(team):
    campaign = team["campaign"]
    event = builders.make_event(campaign, title="Homs meeting")
    rsvp, _token, _ = builders.make_rsvp(event, name="Amina Haddad", email="amina@example.org")
    rsvps.delete_own_rsvp(rsvp)
    db.session.commit()
    entry = only_entry(campaign, AccessKind.SUPPORTER_DELETED)
    written = " ".join(str(value) for value in (entry.actor_label, entry.subject, entry.detail, entry.event_label))
    assert "Amina" not in written and "amina" not in written
    assert entry.event_label == "Homs meeting" and entry.actor_id is None


def test_sending_a_message_writes_an_entry_once(team):
    campaign = team["campaign"]
    event = builders.make_event(campaign)
    for number in range(3):
        builders.make_rsvp(event, name=f"Person {number}", email=f"p{number}@example.org")
    target = segments.audience(campaign, event, ["going"])
    draft = messages.clean_draft("We moved next door", "We're in the hall next door.")
    message, _ = messages.send(team["organizer"], target, draft, "k" * 20)
    messages.send(team["organizer"], target, draft, "k" * 20)  # the same form again: nothing more
    db.session.commit()
    entry = only_entry(campaign, AccessKind.MESSAGE)
    assert (entry.count, entry.subject, entry.detail, entry.actor_label, entry.message_id) == (
        3, "going", "We moved next door", "org@example.org", message.id)


def test_entries_outlive_the_account_the_event_and_retention(team):
    campaign = team["campaign"]
    event = builders.make_event(campaign, title="Aleppo evening")
    access_log.record_list_view(event, team["coordinator"])
    db.session.commit()
    db.session.execute(delete(User).where(User.id == team["coordinator"].id))
    db.session.delete(event)
    db.session.commit()
    db.session.expire_all()
    entry = only_entry(campaign, AccessKind.LIST_VIEW)
    assert (entry.actor_id, entry.actor_label) == (None, "coord@example.org")
    assert (entry.event_id, entry.event_label) == (None, "Aleppo evening")
    assert [person.key for person in access_log.people(campaign)] == ["coord@example.org"]
    assert access_log.entries(campaign, person="coord@example.org").entries == [entry]


def test_newest_first_filtered_and_paged(team):
    campaign = team["campaign"]
    start = utcnow() - timedelta(hours=1)
    for minute in range(5):
        entry = access_log.record_access(campaign, AccessKind.MESSAGE, actor=team["organizer"], count=minute)
        entry.created_at = start + timedelta(minutes=minute)
    access_log.record_access(campaign, AccessKind.ROLE_CHANGED, actor=team["owner"], detail="door>organizer")
    db.session.commit()
    first = access_log.entries(campaign, kind=AccessKind.MESSAGE, per_page=2)
    assert [entry.count for entry in first.entries] == [4, 3] and first.has_older
    last = access_log.entries(campaign, kind=AccessKind.MESSAGE, per_page=2, page=3)
    assert [entry.count for entry in last.entries] == [0] and not last.has_older
    assert [e.kind for e in access_log.entries(campaign, person="owner@example.org").entries] == ["role_changed"]
    assert db.session.scalar(select(func.count(AccessEntry.id))) == 6
