"""Reading an article's details from its page: JSON-LD, OpenGraph and meta tags, served by a local page
server (the seed article) and fetched through the SSRF guard."""

from __future__ import annotations

from datetime import date

import pytest

from organizer.services.coverage.extraction import details_from_link, extract_details
from organizer.services.coverage.safefetch import FetchPolicy, FetchRefused
from tests import pageserver
from tests.pageserver import page_server

POLICY = FetchPolicy(allowed_test_addresses=frozenset({"127.0.0.1"}))


@pytest.fixture(scope="module")
def server():
    with page_server() as url:
        yield url


def test_the_seed_article_is_read_from_its_page(server):
    final_url, details = details_from_link(f"{server}/article", POLICY)
    assert final_url == f"{server}/article"
    assert details.headline == pageserver.HEADLINE  # JSON-LD's headline, not the <title> with the outlet
    assert details.outlet == pageserver.OUTLET
    assert details.author == pageserver.AUTHOR
    assert details.published_on == date(2012, 3, 3)
    assert details.excerpt == pageserver.EXCERPT
    assert details.language == "en-GB"


def test_an_arabic_page_from_opengraph_and_meta_tags(server):
    _url, details = details_from_link(f"{server}/arabic", POLICY)
    assert details.headline == "السوريون يتحدون الهجوم على حمص"
    assert details.outlet == "العامل الاشتراكي"
    assert details.author == "سيمون عساف"
    assert details.published_on == date(2012, 3, 3)
    assert details.language == "ar"


def test_opengraph_alone():
    html = """<html><head><meta property="og:title" content="A headline">
    <meta property="og:site_name" content="The Outlet"><meta property="og:description" content="An excerpt.">
    <meta property="og:locale" content="pt_BR"><meta property="article:published_time" content="2026-11-02T10:00:00-03:00">
    </head></html>"""
    details = extract_details(html, "https://example.org/a")
    assert (details.headline, details.outlet, details.excerpt, details.language, details.published_on) == (
        "A headline", "The Outlet", "An excerpt.", "pt-BR", date(2026, 11, 2))


def test_plain_meta_tags_and_the_title_are_the_last_resort():
    html = """<html lang="fr"><head><title>Le titre</title><meta name="author" content="Jeanne">
    <meta name="description" content="Un extrait."></head></html>"""
    details = extract_details(html, "https://www.journal.example/x")
    assert (details.headline, details.author, details.excerpt, details.language, details.outlet) == (
        "Le titre", "Jeanne", "Un extrait.", "fr", "journal.example")


def test_nonsense_is_no_crash():
    for html in ["", "<html", "\x00\x01", '<script type="application/ld+json">{broken</script>',
                 '<meta property="article:published_time" content="yesterday">']:
        details = extract_details(html, "https://example.org/")
        assert details.published_on is None


def test_a_page_that_says_nothing_is_a_clear_message(monkeypatch, server):
    monkeypatch.setattr(pageserver, "article_html", lambda: "<html><body><p>Nothing</p></body></html>")
    with pytest.raises(FetchRefused, match="no details"):
        details_from_link(f"{server}/article", POLICY)
