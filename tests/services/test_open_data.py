"""What the public may read (services/open_data): listed campaigns, events and coverage, pages and cursors."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from organizer.models import CoverageRelation, EventStatus, Visibility
from organizer.services.common.errors import ValidationFailed
from organizer.services.open_data import cursors, listings
from tests import builders

NOW = datetime(2030, 5, 1, 12, 0)


@pytest.fixture
def campaign():
    return builders.make_campaign(slug="syria")


def test_a_campaign_is_listed_once_it_has_a_published_public_event(campaign):
    builders.make_event(campaign, status=EventStatus.DRAFT)
    builders.make_event(campaign, visibility=Visibility.UNLISTED)
    assert listings.campaign("syria") is None and listings.campaigns().items == []
    builders.make_event(campaign)
    assert listings.campaign("syria") == campaign and listings.campaigns().items == [campaign]


def test_events_never_include_drafts_or_unlisted_and_split_by_time(campaign):
    def make(slug, days, **overrides):
        return builders.make_event(campaign, slug=slug, starts_at=NOW + timedelta(days=days), **overrides)

    make("draft", 1, status=EventStatus.DRAFT)
    make("unlisted", 1, visibility=Visibility.UNLISTED)
    make("soon", 1)
    make("later", 9)
    make("off", 5, status=EventStatus.CANCELLED)
    make("old", -30)
    make("older", -60)

    def slugs(when):
        return [event.slug for event in listings.events(campaign, when, now=NOW).items]

    assert slugs("upcoming") == ["soon", "off", "later"]
    assert slugs("past") == ["old", "older"]  # latest first
    assert slugs("all") == ["older", "old", "soon", "off", "later"]
    assert listings.event("draft") is None and listings.event("unlisted") is None
    assert listings.event("off") is not None


def test_pages_follow_their_cursor_without_gaps_or_repeats_even_at_equal_times(campaign):
    same = NOW + timedelta(days=2)
    for index in range(7):
        builders.make_event(campaign, slug=f"e{index}", starts_at=same)  # equal start: the id breaks the tie
    seen, cursor = [], None
    while True:
        page = listings.events(None, "all", limit=3, cursor=cursor, now=NOW)
        seen += [event.slug for event in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"e{index}" for index in range(7)]


def test_a_cursor_of_one_list_is_refused_by_another(campaign):
    builders.make_event(campaign, starts_at=NOW + timedelta(days=1))
    builders.make_event(campaign, starts_at=NOW + timedelta(days=2))
    cursor = listings.events(None, "upcoming", limit=1, now=NOW).next_cursor
    assert cursor
    with pytest.raises(ValidationFailed):
        listings.events(None, "past", limit=1, cursor=cursor, now=NOW)
    with pytest.raises(ValidationFailed):
        listings.events(campaign, "upcoming", limit=1, cursor=cursor, now=NOW)
    with pytest.raises(ValidationFailed):
        listings.campaigns(cursor=cursor)


def test_coverage_is_the_dated_articles_and_those_a_listed_event_links(campaign):
    event = builders.make_event(campaign)
    draft = builders.make_event(campaign, status=EventStatus.DRAFT)
    dated = builders.make_coverage(campaign, headline="Dated", published_on=date(2030, 1, 2))
    linked = builders.make_coverage(campaign, headline="Linked, undated", published_on=None)
    builders.link_coverage(event, linked, CoverageRelation.REPORT)
    behind_draft = builders.make_coverage(campaign, headline="Only a draft links it", published_on=None)
    builders.link_coverage(draft, behind_draft)
    builders.make_coverage(campaign, headline="Undated, unlinked", published_on=None)
    newer = builders.make_coverage(campaign, headline="Newer", published_on=date(2030, 3, 1))
    assert listings.coverage(campaign).items == [newer, dated, linked]
    first = listings.coverage(campaign, limit=2)
    assert first.items == [newer, dated]
    assert listings.coverage(campaign, limit=2, cursor=first.next_cursor).items == [linked]
    assert [link.article for link in listings.event_coverage([event])[event.id]] == [linked]


@pytest.mark.parametrize("cursor", ["", "x" * 300, "é", "e30", cursors.encode("other", None, 1)])
def test_cursors_that_are_not_ours_are_refused(cursor):
    with pytest.raises(ValidationFailed):
        cursors.decode("campaigns", cursor, None)


def test_a_date_cursor_refuses_a_time_and_a_time_cursor_a_zone():
    with pytest.raises(ValidationFailed):
        cursors.decode("c", cursors.encode("c", datetime(2030, 1, 1, 10, 0), 1), date)
    assert cursors.decode("c", cursors.encode("c", date(2030, 1, 1), 1), date) == (date(2030, 1, 1), 1)
