"""The locale is negotiated from Accept-Language as werkzeug does it, each header parsed once."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from organizer import templating


@pytest.mark.parametrize("header", ["", "fr-CH, fr;q=0.9, en;q=0.8", "ar", "ar-EG;q=0.1, en;q=0.2", "*", "de"])
def test_same_choice_as_werkzeug(app, header):
    original = app.config["LANGUAGES"]
    app.config["LANGUAGES"] = ["en", "ar"]
    try:
        headers = {"Accept-Language": header} if header else {}
        expected = Request(EnvironBuilder(headers=headers).get_environ()).accept_languages.best_match(["en", "ar"])
        with app.test_request_context("/", headers=headers):
            # English is written in DEFAULT_LOCALE's formats (en_GB); other languages as negotiated.
            chosen = templating.select_locale()
            assert (templating.language_of(chosen) or None) == expected
            assert chosen == ("en_GB" if expected == "en" else expected)
    finally:
        app.config["LANGUAGES"] = original


def test_each_header_is_parsed_once(app):
    templating._best_locale.cache_clear()
    for _ in range(3):
        with app.test_request_context("/", headers={"Accept-Language": "en-GB,en;q=0.9"}):
            assert templating.select_locale() == "en_GB"
    assert templating._best_locale.cache_info().misses == 1  # noqa: SLF001
