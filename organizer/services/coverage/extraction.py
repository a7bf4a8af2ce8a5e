"""An article's details (outlet, headline, author, date, excerpt, language) read from its page's own
metadata: JSON-LD first (what news sites write for search engines, the most precise), then OpenGraph
(what they write for link previews), then plain meta tags and the page's ``lang``.

extruct (Scrapinghub's maintained extractor) parses the JSON-LD and OpenGraph, including the odd
forms sites write (``@graph`` lists, OpenGraph in several namespaces); lxml, which it brings, reads
the few plain tags. The organizer checks and edits everything before it is saved, so a wrong guess
costs a keystroke, not a wrong library entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import extruct
import lxml.html
from flask_babel import gettext as _
from lxml.etree import ParserError

from organizer.services.coverage import coverage as coverage_rules
from organizer.services.coverage.safefetch import FetchPolicy, FetchRefused, fetch_page

_ARTICLE_TYPES = {"article", "newsarticle", "reportagenews", "analysisnewsarticle", "opinionnewsarticle",
                  "blogposting", "report", "backgroundnewsarticle", "scholarlyarticle", "webpage"}
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_LANGUAGE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|[0-9]{3}))?")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ArticleDetails:
    outlet: str = ""
    headline: str = ""
    author: str = ""
    published_on: date | None = None
    excerpt: str = ""
    language: str = ""

    @property
    def found_anything(self) -> bool:
        return any((self.headline, self.author, self.published_on, self.excerpt))


def details_from_link(url: str, policy: FetchPolicy | None = None) -> tuple[str, ArticleDetails]:
    """Fetches ``url`` under the SSRF rules (safefetch) and reads its details. Returns the address the page
    was found at (after redirects) and the details; raises ``FetchRefused`` with a message for the organizer."""
    page = fetch_page(url, policy)
    details = extract_details(page.html, page.url)
    if not details.found_anything:
        raise FetchRefused(_no_details())
    return page.url, details


def _no_details() -> str:
    return _("The page had no details to fill in. Fill in the fields by hand.")


def extract_details(html: str, url: str) -> ArticleDetails:
    """What the page says about itself; empty fields where it says nothing usable."""
    try:
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True, errors="ignore")
    except (ValueError, ParserError):
        data = {}
    article = _json_ld_article(data.get("json-ld") or [])
    graph: dict[str, Any] = {}
    for item in data.get("opengraph") or []:
        graph.update({key: value for key, value in item.items() if not key.startswith("@")})
    meta, lang, title = _plain_tags(html)

    outlet = (_name(article.get("publisher")) or _text(graph.get("og:site_name"))
              or _text(meta.get("application-name")) or _host(url))
    headline = (_text(article.get("headline")) or _text(article.get("name")) or _text(graph.get("og:title"))
                or _text(meta.get("twitter:title")) or title)
    author = _name(article.get("author")) or _name(graph.get("article:author")) or _name(meta.get("author"))
    published = (_date(article.get("datePublished")) or _date(graph.get("article:published_time"))
                 or _date(meta.get("article:published_time")) or _date(meta.get("date"))
                 or _date(meta.get("dc.date")))
    excerpt = (_text(article.get("description")) or _text(graph.get("og:description"))
               or _text(meta.get("description")) or _text(meta.get("twitter:description")))
    language = (_language(article.get("inLanguage")) or _language(lang) or _language(graph.get("og:locale"))
                or _language(meta.get("content-language")))
    return ArticleDetails(
        outlet=outlet[: coverage_rules.OUTLET_MAX],
        headline=headline[: coverage_rules.HEADLINE_MAX],
        author=author[: coverage_rules.AUTHOR_MAX],
        published_on=published if published and coverage_rules.MIN_YEAR <= published.year <= coverage_rules.MAX_YEAR
        else None,
        excerpt=excerpt[: coverage_rules.EXCERPT_MAX],
        language=language,
    )


def _json_ld_article(items: list) -> dict:
    """The first item that is an article, looking into ``@graph`` lists; pages often carry several."""
    candidates: list[dict] = []

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for entry in value:
                walk(entry)
        elif isinstance(value, dict):
            types = value.get("@type")
            names = [types] if isinstance(types, str) else (types if isinstance(types, list) else [])
            if any(isinstance(name, str) and name.lower() in _ARTICLE_TYPES for name in names):
                candidates.append(value)
            walk(value.get("@graph"))

    walk(items)
    # A WebPage wrapper is a last resort: the article inside it says more.
    candidates.sort(key=lambda item: str(item.get("@type")).lower() == "webpage")
    return candidates[0] if candidates else {}


def _plain_tags(html: str) -> tuple[dict[str, str], str, str]:
    try:
        root = lxml.html.fromstring(html)
    except (ValueError, ParserError):
        return {}, "", ""
    meta: dict[str, str] = {}
    for tag in root.iter("meta"):
        key = (tag.get("name") or tag.get("property") or tag.get("http-equiv") or "").strip().lower()
        content = tag.get("content")
        if key and content and key not in meta:
            meta[key] = content
    title = root.findtext(".//title") or ""
    return meta, root.get("lang") or root.get("xml:lang") or "", _text(title)


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = next((entry for entry in value if isinstance(entry, str)), "")
    return _SPACES.sub(" ", value).strip() if isinstance(value, str) else ""


def _name(value: Any) -> str:
    """A person's or organisation's name: a string, {"name": ...}, or a list of those (joined)."""
    if isinstance(value, list):
        return ", ".join(name for name in (_name(entry) for entry in value) if name)
    if isinstance(value, dict):
        return _text(value.get("name"))
    text = _text(value)
    return "" if text.startswith(("http://", "https://")) else text


def _date(value: Any) -> date | None:
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        match = _DATE.search(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def _language(value: Any) -> str:
    """A short code the library accepts ("en", "ar", "pt-BR") from "ar", "en_GB", "en-gb"..."""
    match = _LANGUAGE.match(_text(value))
    if not match:
        return ""
    return match[1].lower() + (f"-{match[2].upper()}" if match[2] else "")


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
