"""Referral codes (services/campaigns/referrals.py): made per campaign, carried from a shared link
through the RSVP by the address the form posts to, counted per source, going and attended."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import ReferralCode, Rsvp, RsvpSource, RsvpStatus
from organizer.services.campaigns import referrals
from organizer.services.common.errors import Conflict, PermissionDenied, ValidationFailed
from organizer.services.door import checkins
from tests import builders
from tests.conftest import make_test_app
from tests.security.helpers import csrf_from
from tests.test_pagecache import dispose

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def campaign(owner):
    return builders.make_campaign(owner=owner, slug="syria", name="Syria Solidarity")


@pytest.fixture
def event(campaign):
    return builders.make_event(campaign, slug="lmc", capacity=400, max_guests=3)


def code_of(rsvp_name: str) -> str | None:
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.name == rsvp_name))
    assert rsvp is not None
    item = db.session.get(ReferralCode, rsvp.referral_code_id) if rsvp.referral_code_id else None
    return item.code if item else None


# --- Codes -------------------------------------------------------------------------------------

def test_codes_are_normalized_and_checked(owner, campaign):
    assert referrals.create_code(owner, campaign, "  Paper Sale ").code == "paper-sale"
    assert referrals.create_code(owner, campaign, "whatsapp_syria_uk").code == "whatsapp-syria-uk"
    for bad in ["", "-leading", "trailing-", "ünïcode", "a/b", "x" * 41, "?r=1"]:
        with pytest.raises(ValidationFailed):
            referrals.create_code(owner, campaign, bad)
    with pytest.raises(Conflict):
        referrals.create_code(owner, campaign, "paper-sale")


def test_only_organizers_make_codes(campaign):
    door = builders.make_user()
    builders.make_membership(campaign, door, builders.Role.DOOR)
    coordinator = builders.make_user()
    builders.make_membership(campaign, coordinator, builders.Role.COORDINATOR)
    for person in (door, coordinator, builders.make_user()):
        with pytest.raises(PermissionDenied):
            referrals.create_code(person, campaign, "mosque-newsletter")


def test_unknown_malformed_and_other_campaigns_codes_are_ignored(owner, campaign, event):
    mine = referrals.create_code(owner, campaign, "paper-sale")
    other = builders.make_campaign(owner=owner, slug="other")
    referrals.create_code(owner, other, "mosque-newsletter")
    db.session.commit()
    assert referrals.code_for_rsvp(event, "paper-sale") == mine.id
    assert referrals.code_for_rsvp(event, "PAPER-SALE") == mine.id
    for raw in [None, "", "nobody-made-this", "mosque-newsletter", "paper-sale' OR 1=1", "x" * 5000]:
        assert referrals.code_for_rsvp(event, raw) is None


# --- Counts ------------------------------------------------------------------------------------

def test_counts_per_source_are_exact(owner, campaign, event):
    mosque = referrals.create_code(owner, campaign, "mosque-newsletter")
    paper = referrals.create_code(owner, campaign, "paper-sale")
    referrals.create_code(owner, campaign, "whatsapp-syria-uk")  # brought nobody: listed with zeros
    db.session.commit()
    second = builders.make_event(campaign, slug="lmc-2")

    def rsvp(target, code, guests=0, status=RsvpStatus.GOING, source=RsvpSource.ONLINE):
        return builders.make_rsvp(target, referral_code_id=code.id if code else None, guests=guests,
                                  status=status, source=source)[0]

    a = rsvp(event, mosque, guests=2)  # 3 people, comes
    rsvp(event, mosque)  # 1, doesn't come
    rsvp(event, mosque, status=RsvpStatus.CANCELLED)  # not going: not counted
    rsvp(event, mosque, status=RsvpStatus.WAITLISTED)  # not going: not counted
    b = rsvp(event, paper, guests=1)  # 2 people, 1 of them comes
    c = rsvp(event, None)  # no code, comes
    rsvp(event, None, source=RsvpSource.WALK_IN)  # walk-ins are not RSVPs that came through a link
    d = rsvp(second, paper)  # the second event
    for checked, persons in ((a, None), (b, 1), (c, None), (d, None)):
        checkins.check_in(checked, actor_user=owner, persons=persons)
    db.session.commit()

    per_event = referrals.counts_by_source([event, second], campaign)
    rows = {row.code: row for row in per_event[event.id]}
    assert [row.code for row in per_event[event.id]] == ["mosque-newsletter", "paper-sale", "whatsapp-syria-uk", None]
    assert rows["mosque-newsletter"] == referrals.SourceCount("mosque-newsletter", 2, 4, 1, 3)
    assert rows["paper-sale"] == referrals.SourceCount("paper-sale", 1, 2, 1, 1)
    assert rows["whatsapp-syria-uk"] == referrals.SourceCount("whatsapp-syria-uk", 0, 0, 0, 0)
    assert rows[None] == referrals.SourceCount(None, 1, 1, 1, 1)
    totals = {row.code: row for row in referrals.campaign_totals(per_event)}
    assert totals["paper-sale"] == referrals.SourceCount("paper-sale", 2, 3, 2, 2)
    assert totals["mosque-newsletter"] == rows["mosque-newsletter"]

    # Deleting a code keeps its RSVPs, counted as "no code" from then on.
    referrals.delete_code(owner, campaign, mosque)
    db.session.commit()
    after = {row.code: row for row in referrals.counts_by_source([event], campaign)[event.id]}
    assert "mosque-newsletter" not in after
    assert after[None] == referrals.SourceCount(None, 3, 5, 2, 4)


# --- Through the RSVP, without JavaScript ------------------------------------------------------

def test_the_code_in_the_shared_link_is_recorded_by_the_rsvp(client, owner, campaign, event):
    referrals.create_code(owner, campaign, "paper-sale")
    db.session.commit()
    page = client.get("/e/lmc?r=paper-sale").get_data(as_text=True)
    # The page never carries the code: the form posts to the page's own address, query included.
    assert "paper-sale" not in page
    assert 'action="#rsvp-result"' in page
    fields = {"name": "Amina Haddad", "email": "amina@example.org", "guests": "1"}
    # The shared page has no token: the first press comes back asking for one more (to the same address).
    first = client.post("/e/lmc?r=paper-sale", data={"csrf_token": "", **fields}, headers=SAME_ORIGIN)
    assert first.status_code == 400
    again = client.post("/e/lmc?r=paper-sale", data={"csrf_token": csrf_from(first.get_data(as_text=True)),
                                                     **fields})
    assert again.status_code == 303
    assert code_of("Amina Haddad") == "paper-sale"


def test_no_code_or_an_unknown_one_records_nothing(client, no_csrf, owner, campaign, event):
    referrals.create_code(owner, campaign, "paper-sale")
    db.session.commit()
    assert client.post("/e/lmc?r=made-up", data={"name": "Nadia", "email": "n@example.org"}).status_code == 303
    assert client.post("/e/lmc/rsvp", data={"name": "Omar", "email": "o@example.org"}).status_code == 303
    assert code_of("Nadia") is None and code_of("Omar") is None


def test_the_shared_page_is_one_cache_entry_for_every_code(database_url):
    app = make_test_app(database_url, PUBLIC_CACHE_SECONDS=30)
    reached_flask: list[int] = []
    app.before_request(lambda: reached_flask.append(1))
    try:
        with app.app_context():
            owner = builders.make_user()
            campaign = builders.make_campaign(owner=owner, slug="syria")
            builders.make_event(campaign, slug="lmc")
            referrals.create_code(owner, campaign, "paper-sale")
            db.session.commit()
            pages = [app.test_client().get(path).get_data()
                     for path in ("/e/lmc?r=paper-sale", "/e/lmc?r=mosque-newsletter", "/e/lmc", "/e/lmc?r=x")]
            assert len(set(pages)) == 1
            assert len(reached_flask) == 1  # the shared cache answered the other three before Flask
            # Control: another parameter is another entry, so the count above can see a split.
            app.test_client().get("/e/lmc?page=2")
            assert len(reached_flask) == 2
    finally:
        with app.app_context():
            from tests.conftest import empty_all_tables
            empty_all_tables()
        dispose(app)


# --- Pages -------------------------------------------------------------------------------------

def test_the_share_links_page_makes_codes_and_shows_links_and_counts(client, login, no_csrf, owner, campaign, event):
    login(owner)
    response = client.post("/manage/c/syria/referrals", data={"code": "Mosque Newsletter"})
    assert response.status_code == 303
    page = client.get("/manage/c/syria/referrals").get_data(as_text=True)
    assert "http://localhost/e/lmc?r=mosque-newsletter" in page
    bad = client.post("/manage/c/syria/referrals", data={"code": "no/slashes"})
    assert bad.status_code == 400 and 'value="no/slashes"' in bad.get_data(as_text=True)
    item = db.session.scalar(select(ReferralCode))
    builders.make_rsvp(event, referral_code_id=item.id, guests=1)
    turnout = client.get(f"/manage/e/{event.id}/turnout").get_data(as_text=True)
    assert "Where people came from" in turnout and "mosque-newsletter" in turnout
    campaign_turnout = client.get("/manage/c/syria/turnout").get_data(as_text=True)
    assert "Where people came from" in campaign_turnout
    assert client.post(f"/manage/c/syria/referrals/{item.id}/delete").status_code == 303
    assert db.session.scalar(select(ReferralCode)) is None


def test_turnout_without_codes_shows_no_source_table(client, login, owner, campaign, event):
    builders.make_rsvp(event)
    login(owner)
    assert "Where people came from" not in client.get(f"/manage/e/{event.id}/turnout").get_data(as_text=True)
