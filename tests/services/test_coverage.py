from __future__ import annotations

from datetime import date, datetime

import pytest

from organizer.extensions import db
from organizer.models import Coverage, CoverageRelation, EventCoverage, Role
from organizer.services.common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from organizer.services.coverage import coverage
from organizer.services.coverage.coverage import CoverageInput
from tests import builders


def article(**overrides) -> CoverageInput:
    values = dict(url="https://socialistworker.co.uk/art/27271/Syrians+defy+assault+on+Homs",
                  headline="Syrians defy assault on Homs", outlet="Socialist Worker", author="Simon Assaf",
                  published_on=date(2012, 3, 6), excerpt="Mass executions…", language="en")
    values.update(overrides)
    return CoverageInput(**values)


def test_create_update_delete(owner, campaign):
    item = coverage.create_coverage(owner, campaign, article(headline="  Syrians defy assault on Homs  "))
    assert (item.campaign_id, item.headline, item.author) == (campaign.id, "Syrians defy assault on Homs",
                                                              "Simon Assaf")
    coverage.update_coverage(owner, item, article(outlet="SW", language="ar"))
    assert (item.outlet, item.language) == ("SW", "ar")
    event = builders.make_event(campaign)
    coverage.link(owner, event, item, "prompted_by")
    coverage.delete_coverage(owner, item)
    db.session.commit()
    assert db.session.get(Coverage, item.id) is None
    assert db.session.scalars(db.select(EventCoverage)).all() == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": ""}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "JAVASCRIPT:alert(1)"}, "url"),
        ({"url": "data:text/html,<script>alert(1)</script>"}, "url"),
        ({"url": "ftp://example.org/a"}, "url"),
        ({"url": "https://exa mple.org/"}, "url"),
        ({"url": "https://example.org/" + "a" * 500}, "url"),
        ({"headline": " "}, "headline"),
        ({"headline": "x" * 301}, "headline"),
        ({"outlet": "x" * 161}, "outlet"),
        ({"author": "x" * 161}, "author"),
        ({"excerpt": "x" * 2001}, "excerpt"),
        ({"language": "english!"}, "language"),
        ({"language": "x" * 17}, "language"),
        ({"published_on": date(1, 1, 1)}, "published_on"),
        ({"published_on": date(9999, 12, 31)}, "published_on"),
    ],
)
def test_invalid_coverage_is_refused(owner, campaign, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        coverage.create_coverage(owner, campaign, article(**overrides))
    assert caught.value.field == field


def test_language_defaults_to_english(owner, campaign):
    assert coverage.create_coverage(owner, campaign, article(language="")).language == "en"
    assert coverage.create_coverage(owner, campaign, article(language="pt-BR")).language == "pt-BR"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.DOOR])
def test_only_organizers_manage_coverage(campaign, role):
    actor = builders.make_user()
    builders.make_membership(campaign, actor, role)
    item = builders.make_coverage(campaign)
    event = builders.make_event(campaign)
    for call in (
        lambda: coverage.create_coverage(actor, campaign, article()),
        lambda: coverage.update_coverage(actor, item, article()),
        lambda: coverage.delete_coverage(actor, item),
        lambda: coverage.link(actor, event, item, CoverageRelation.REPORT),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_search_matches_every_word_in_any_field(campaign):
    homs = builders.make_coverage(campaign, headline="Syrians defy assault on Homs", outlet="Socialist Worker",
                                  author="Simon Assaf", published_on=date(2012, 3, 6))
    report = builders.make_coverage(campaign, headline="Solidarity meeting pledges support",
                                    outlet="Socialist Worker", author="", published_on=date(2012, 3, 1),
                                    url="https://socialistworker.co.uk/art/27100/report")
    other = builders.make_coverage(campaign, headline="Aleppo strikes", outlet="The Guardian", author="",
                                   url="https://www.theguardian.com/world/aleppo", published_on=None)
    builders.make_coverage(builders.make_campaign(), headline="Homs elsewhere")
    assert coverage.search(campaign, "homs") == [homs]
    assert coverage.search(campaign, "HOMS assaf") == [homs]
    assert coverage.search(campaign, "socialist") == [homs, report]
    assert coverage.search(campaign, "guardian.com") == [other]
    assert coverage.search(campaign, "") == [homs, report, other]
    assert coverage.search(campaign, "", limit=1) == [homs]
    assert coverage.search(campaign, "nothing like this") == []


def test_search_treats_wildcards_literally(campaign):
    builders.make_coverage(campaign, headline="100% solidarity")
    builders.make_coverage(campaign, headline="Solidarity meeting")
    assert [item.headline for item in coverage.search(campaign, "100%")] == ["100% solidarity"]
    assert coverage.search(campaign, "%") != coverage.search(campaign, "")
    assert coverage.search(campaign, "_") == []


def test_link_and_unlink(owner, campaign):
    event = builders.make_event(campaign)
    item = builders.make_coverage(campaign)
    prompted = coverage.link(owner, event, item, "prompted_by", note="  The news behind it ")
    assert prompted.note == "The news behind it"
    report = coverage.link(owner, event, item, CoverageRelation.REPORT)
    with pytest.raises(Conflict):
        coverage.link(owner, event, item, "prompted_by")
    view = coverage.for_event(event)
    assert [link.id for link in view.prompted_by] == [prompted.id]
    assert [link.id for link in view.reports] == [report.id]
    coverage.unlink(owner, event, prompted)
    db.session.commit()
    assert [link.id for link in coverage.for_event(event).all] == [report.id]
    assert db.session.get(Coverage, item.id) is not None


def test_link_refuses_foreign_articles_bad_relations_and_long_notes(owner, campaign):
    event = builders.make_event(campaign)
    foreign = builders.make_coverage(builders.make_campaign())
    item = builders.make_coverage(campaign)
    with pytest.raises(NotFound):
        coverage.link(owner, event, foreign, "prompted_by")
    with pytest.raises(ValidationFailed):
        coverage.link(owner, event, item, "inspired")
    with pytest.raises(ValidationFailed) as caught:
        coverage.link(owner, event, item, "report", note="x" * 301)
    assert caught.value.field == "note"


def test_links_of_another_event_are_not_found(owner, campaign):
    event = builders.make_event(campaign)
    other = builders.make_event(campaign)
    link = builders.link_coverage(other, builders.make_coverage(campaign))
    with pytest.raises(NotFound):
        coverage.get_link(event, link.id)
    with pytest.raises(NotFound):
        coverage.unlink(owner, event, link)
    with pytest.raises(NotFound):
        coverage.get_coverage(builders.make_campaign(), link.coverage_id)


@pytest.mark.parametrize("coverage_id", [0, -1, 2**31, 2**63, 10**20, None, "1", True])
def test_ids_typed_into_a_form_are_looked_up_only_when_they_could_exist(campaign, coverage_id):
    """The id comes from a form: an impossible one is simply not found, never a database error."""
    builders.make_coverage(campaign)
    with pytest.raises(NotFound):
        coverage.get_coverage(campaign, coverage_id)


def test_link_counts(campaign):
    first, second = builders.make_event(campaign), builders.make_event(campaign)
    item = builders.make_coverage(campaign)
    unused = builders.make_coverage(campaign)
    builders.link_coverage(first, item, CoverageRelation.PROMPTED_BY)
    builders.link_coverage(first, item, CoverageRelation.REPORT)
    builders.link_coverage(second, item, CoverageRelation.PROMPTED_BY)
    assert coverage.link_counts([item, unused]) == {item.id: 2, unused.id: 0}


def test_timeline_interleaves_articles_and_events_by_date(campaign):
    # Events stored in UTC; the timeline uses their local date (Tokyo is 9 hours ahead).
    meeting = builders.make_event(campaign, starts_at=datetime(2012, 2, 29, 19, 0), title="LMC meeting")
    late = builders.make_event(campaign, starts_at=datetime(2012, 3, 5, 20, 0), timezone="Asia/Tokyo",
                               title="Tokyo meeting")  # 6 March in Tokyo
    prompted = builders.make_coverage(campaign, headline="Before", published_on=date(2012, 2, 20))
    same_day_news = builders.make_coverage(campaign, headline="Same day news", published_on=date(2012, 2, 29))
    same_day_report = builders.make_coverage(campaign, headline="Same day report", published_on=date(2012, 2, 29))
    builders.make_coverage(campaign, headline="Article", published_on=date(2012, 3, 6))
    builders.make_coverage(campaign, headline="Undated", published_on=None)
    builders.link_coverage(meeting, prompted, CoverageRelation.PROMPTED_BY)
    builders.link_coverage(meeting, same_day_report, CoverageRelation.REPORT)
    builders.link_coverage(meeting, same_day_news, CoverageRelation.PROMPTED_BY)

    entries = coverage.timeline(campaign, [meeting, late])
    labels = [entry.coverage.headline if entry.kind == "coverage" else entry.event.title for entry in entries]
    assert labels == ["Before", "Same day news", "LMC meeting", "Same day report", "Article", "Tokyo meeting"]
    assert [entry.relation for entry in entries if entry.kind == "coverage"] == [
        "prompted_by", "prompted_by", "report", ""
    ]
    assert entries[-1].day == date(2012, 3, 6)


def test_timeline_hides_relations_to_events_not_shown(campaign):
    hidden = builders.make_event(campaign)
    item = builders.make_coverage(campaign)
    builders.link_coverage(hidden, item, CoverageRelation.REPORT)
    entries = coverage.timeline(campaign, [])
    assert [(entry.kind, entry.relation) for entry in entries] == [("coverage", "")]
