"""Every template complies with the CSP (no inline script, style or event handlers) and autoescaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "templates").rglob("*.html"))
STATIC_JS = sorted((Path(__file__).resolve().parents[2] / "organizer" / "static").rglob("*.js"))

RULES = {
    "inline <script> (CSP forbids it; use a file in organizer/static/js/)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element (CSP forbids inline styles; use app.css)": re.compile(r"<style\b", re.I),
    "style= attribute (CSP forbids inline styles; use a class)": re.compile(r"\sstyle\s*=", re.I),
    "on*= event handler attribute (CSP forbids it)": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "|safe filter (never on user content; render_markdown already returns safe Markup)": re.compile(r"\|\s*safe\b"),
    "{% autoescape false %}": re.compile(r"{%-?\s*autoescape\s+false", re.I),
    "script from another origin": re.compile(r"<script[^>]*src=[\"']?(https?:)?//", re.I),
    "stylesheet or font from another origin": re.compile(r"<link[^>]*href=[\"']?(https?:)?//", re.I),
}


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 5


# HTML emails are read in mail clients, outside our CSP, and need inline styles there.
EMAIL_ALLOWED = {"<style> element (CSP forbids inline styles; use app.css)",
                 "style= attribute (CSP forbids inline styles; use a class)"}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p).split("/templates/")[1])
def test_template_complies_with_the_content_security_policy(template):
    text = template.read_text(encoding="utf-8")
    is_email = "/templates/email/" in str(template)
    found = [f"{problem}: {match.group(0)[:80]!r}" for problem, pattern in RULES.items()
             if not (is_email and problem in EMAIL_ALLOWED)
             for match in pattern.finditer(text)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("script", STATIC_JS, ids=lambda p: p.name)
def test_scripts_do_not_write_html_from_strings(script):
    """innerHTML/outerHTML/insertAdjacentHTML/document.write with data would reopen XSS past the CSP."""
    text = script.read_text(encoding="utf-8")
    risky = re.findall(r"\.(innerHTML|outerHTML|insertAdjacentHTML)\s*[+]?=|\.insertAdjacentHTML\(|document\.write\(|\beval\(|new Function\(", text)
    assert not risky, f"{script.name}: {risky}"
