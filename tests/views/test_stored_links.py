"""Links stored by any route other than the forms (imports, the shell, an old bug) still render inert."""

from organizer.models import Audience, CoverageRelation
from tests import builders


def test_stored_javascript_links_never_become_hrefs(client):
    campaign = builders.make_campaign(slug="links")
    event = builders.make_event(campaign, slug="links-meeting", online_url="javascript:alert(1)",
                                online_audience=Audience.EVERYONE)  # shown on the public page
    coverage = builders.make_coverage(campaign, url="javascript:alert(2)", published_on=None)
    builders.link_coverage(event, coverage, CoverageRelation.PROMPTED_BY)

    page = client.get("/e/links-meeting").get_data(as_text=True)

    assert "javascript:" not in page
    assert 'href="#"' in page


def test_http_links_are_kept(client):
    campaign = builders.make_campaign(slug="links-ok")
    event = builders.make_event(campaign, slug="links-ok-meeting", online_url="https://meet.example.org/room",
                                online_audience=Audience.EVERYONE)  # shown on the public page
    builders.link_coverage(event, builders.make_coverage(campaign), CoverageRelation.PROMPTED_BY)

    page = client.get("/e/links-ok-meeting").get_data(as_text=True)

    assert 'href="https://meet.example.org/room"' in page
    assert 'href="https://socialistworker.co.uk/' in page
