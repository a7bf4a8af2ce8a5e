"""The catalogs: every language complete, every placeholder kept, and up to date with the code.

English is the source language (the msgids). Each other language lives in
organizer/translations/<code>/LC_MESSAGES/messages.po. This file fails when:
- a string in the code or templates has no entry in a catalog (a new ``_("...")`` without its
  translation), or a catalog keeps an entry the code no longer has (run ``make translations``);
- an entry is empty, fuzzy, or lacks one of its plural forms;
- a translation loses, adds or changes a placeholder (``%(name)s``, ``%s``, ``{name}``), an HTML tag,
  or has a bare ``%`` (Jinja formats every translated string with ``%``, so it would break the page);
- the Plural-Forms header does not give the language's CLDR plural rule.
It extracts the strings in-process with Babel, with babel.cfg and the Makefile's KEYWORDS, exactly as
``make messages`` does (about a second), and compiles the catalogs it checks.
"""

from __future__ import annotations

import gettext
import re
import shlex
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.plural import to_gettext

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "organizer" / "translations"
CATALOGS = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
COUNT = "num"  # the name ngettext gives the number, in Flask-Babel and in Jinja
# Entries whose translation may be the English itself (names); anything else copied unchanged is untranslated.
SAME_AS_ENGLISH = {("app name", "Organizer")}

# %(name)s, %s, %5.2f, %-3d ... and %% (a literal percent sign, kept apart).
PYTHON_FORMAT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsa%])"
)
BRACE_FORMAT = re.compile(r"\{\{|\}\}|\{(?P<field>[^{}]*)\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]*>")


# --- what the code holds -------------------------------------------------------------------------

def makefile_keywords() -> dict:
    """The KEYWORDS line of the Makefile (``-k _l -k lazy_ngettext:1,2 ...``) as Babel keywords."""
    line = next(line for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
                if line.startswith("KEYWORDS :="))
    words = shlex.split(line.split(":=", 1)[1])
    specs = [word for flag, word in zip(words, words[1:]) if flag == "-k"]
    from babel.messages.extract import DEFAULT_KEYWORDS
    return {**DEFAULT_KEYWORDS, **parse_keywords(specs)}


@cache
def source_messages(root: Path = ROOT) -> dict[tuple[str, str | None], tuple[str | tuple[str, str], str]]:
    """{(msgid, context): (id as the catalog holds it, "file:line")} for every string under ``root``."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(root), method_map, options_map, keywords=makefile_keywords(), comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        key = message[0] if isinstance(message, tuple) else message
        if not key:
            continue
        found.setdefault((key, context), (message, f"{filename}:{lineno}"))
        clash = found[(key, context)][0]
        if isinstance(clash, tuple) != isinstance(message, tuple):
            # One catalog entry cannot be both: gettext("Report") would miss ngettext("Report", ...)'s entry
            # and show English. Give one of them a context (pgettext / npgettext).
            found[(key, context)] = (clash, found[(key, context)][1] + f" and {filename}:{lineno} "
                                     "(used with and without a plural: give one a context, npgettext)")
    return found


def load(path: Path) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle)


# --- checks on one catalog -----------------------------------------------------------------------

def python_placeholders(text: str) -> tuple[set[str], list[str], int]:
    """Named placeholders, positional ones in order, and % signs that are not part of either."""
    named = set()
    positional = []
    spans = []
    for match in PYTHON_FORMAT.finditer(text):
        spans.append(match.span())
        if match.group("type") == "%":
            continue
        if match.group("name") is not None:
            named.add(match.group("name"))
        else:
            positional.append(match.group("type"))
    covered = {index for start, end in spans for index in range(start, end)}
    stray = sum(1 for index, char in enumerate(text) if char == "%" and index not in covered)
    return named, positional, stray


def brace_placeholders(text: str) -> set[str]:
    return {match.group("field") for match in BRACE_FORMAT.finditer(text) if match.group("field") is not None}


def tags(text: str) -> Counter:
    return Counter(re.sub(r"\s+", " ", tag) for tag in HTML_TAG.findall(text))


def single_number_forms(catalog: Catalog) -> set[int]:
    """Plural forms used for exactly one number (Arabic: 0, 1 and 2), which may say the number in
    words instead of %(num)s: "مكانان متبقيان", not "2 مكانان"."""
    plural = gettext.c2py(catalog.plural_expr)
    uses = Counter(plural(n) for n in range(0, 1000))
    return {index for index, count in uses.items() if count == 1}


def placeholder_problems(source: str, translation: str, *, may_drop: set[str] = frozenset()) -> list[str]:
    problems = []
    source_named, source_positional, _ = python_placeholders(source)
    named, positional, stray = python_placeholders(translation)
    missing = source_named - named - may_drop
    extra = named - source_named
    if missing:
        problems.append(f"loses {', '.join(f'%({name})' for name in sorted(missing))}")
    if extra:
        problems.append(f"adds {', '.join(f'%({name})' for name in sorted(extra))}")
    if positional != source_positional:
        problems.append(f"positional placeholders {positional} instead of {source_positional}")
    if stray:
        problems.append("has a bare % (write %% or ٪)")
    if brace_placeholders(translation) != brace_placeholders(source) and brace_placeholders(source):
        problems.append(f"braces {sorted(brace_placeholders(translation))} instead of "
                        f"{sorted(brace_placeholders(source))}")
    if tags(translation) != tags(source):
        problems.append(f"HTML tags {sorted(tags(translation))} instead of {sorted(tags(source))}")
    return problems


def entry_problems(message: Message, catalog: Catalog, single_forms: set[int]) -> list[str]:
    if message.fuzzy:
        return ["is fuzzy (check the translation, then remove the fuzzy flag)"]
    if not message.pluralizable:
        if not isinstance(message.string, str) or not message.string.strip():
            return ["has no translation"]
        if (message.string == message.id and (message.context, message.id) not in SAME_AS_ENGLISH
                and re.search(r"[A-Za-z]{2}", PYTHON_FORMAT.sub("", message.id))):
            return ["is the English copied unchanged"]
        return placeholder_problems(message.id, message.string)
    singular, plural = message.id
    forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    if len(forms) != catalog.num_plurals:
        return [f"has {len(forms)} plural forms, the language has {catalog.num_plurals}"]
    problems = []
    for index, form in enumerate(forms):
        if not form or not form.strip():
            problems.append(f"has no plural form [{index}]")
            continue
        may_drop = {COUNT} if index in single_forms else set()
        # Singular and plural English forms may differ in placeholders ("There's room for your guest too."
        # against "...your %(num)s guests too."): a form is checked against the plural, which has them all.
        source = plural if len(python_placeholders(plural)[0]) >= len(python_placeholders(singular)[0]) else singular
        problems += [f"[{index}] {problem}" for problem in placeholder_problems(source, form, may_drop=may_drop)]
    return problems


def catalog_problems(catalog: Catalog) -> list[str]:
    problems = []
    expected = to_gettext(Locale.parse(catalog.locale).plural_form)
    expected_plural = gettext.c2py(expected.split("plural=", 1)[1].rstrip(";"))
    header_plural = gettext.c2py(catalog.plural_expr)
    if (catalog.num_plurals != int(expected.split("nplurals=")[1].split(";")[0])
            or any(header_plural(n) != expected_plural(n) for n in range(0, 1201))):
        problems.append(f"Plural-Forms header {catalog.plural_forms!r} is not the CLDR rule {expected!r}")
    single_forms = single_number_forms(catalog)
    for message in catalog:
        if not message.id:
            continue
        label = message.id if isinstance(message.id, str) else message.id[0]
        problems += [f"{label!r} {problem}" for problem in entry_problems(message, catalog, single_forms)]
    return problems


def freshness_problems(catalog: Catalog, source: dict) -> list[str]:
    """Strings in the code missing from the catalog (or with another plural), and entries nobody uses."""
    problems = []
    for (key, context), (message, where) in sorted(source.items(), key=lambda item: item[1][1]):
        entry = catalog.get(key, context=context)
        if "with and without a plural" in where:
            problems.append(f"{where}: {key!r}")
        elif entry is None:
            problems.append(f"{where}: {key!r} is not in the catalog (make translations, then translate it)")
        elif isinstance(message, tuple) and (not entry.pluralizable or tuple(entry.id[:2]) != tuple(message[:2])):
            problems.append(f"{where}: {key!r} has plural {message[1]!r} in the code, not in the catalog")
        elif not isinstance(message, tuple) and entry.pluralizable:
            problems.append(f"{where}: {key!r} is no longer a plural in the code (make translations)")
    for entry in catalog:
        if entry.id and (entry.id if isinstance(entry.id, str) else entry.id[0], entry.context) not in source:
            problems.append(f"{entry.id!r} is no longer in the code (make translations drops it)")
    return problems


# --- the catalogs in the repository --------------------------------------------------------------

def test_there_is_an_arabic_catalog():
    assert TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po" in CATALOGS


@pytest.mark.parametrize("path", CATALOGS, ids=[path.parts[-3] for path in CATALOGS])
def test_the_catalog_is_complete_and_keeps_every_placeholder(path):
    problems = catalog_problems(load(path))
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGS, ids=[path.parts[-3] for path in CATALOGS])
def test_the_catalog_has_every_string_of_the_code(path):
    problems = freshness_problems(load(path), source_messages())
    assert not problems, f"{path.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGS, ids=[path.parts[-3] for path in CATALOGS])
def test_every_configured_language_has_a_catalog_and_back(path):
    from organizer.config import Config

    assert path.parts[-3] in Config.LANGUAGES, f"add {path.parts[-3]!r} to LANGUAGES in organizer/config.py"
    assert all(code == "en" or (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").exists()
               for code in Config.LANGUAGES)


def test_extraction_finds_strings_from_every_kind_of_source():
    """Python (gettext, lazy and plural), HTML and text-mail templates, and errors.py, which was once missed."""
    where = {location.split(":")[0] for _message, location in source_messages().values()}
    keys = {key for key, _context in source_messages()}
    assert any(path.endswith(".txt") for path in where)
    assert any(path.endswith(".html") for path in where)
    assert "organizer/errors.py" in {path.replace("\\", "/") for path in where}
    assert "Me + %(num)s guest" in keys  # lazy_ngettext
    assert "Campaign name" in keys  # lazy_gettext as _l


# --- the checks can fail -------------------------------------------------------------------------

def broken_catalog() -> Catalog:
    catalog = Catalog(locale="ar")
    catalog.add("Fine %(name)s", "جيد %(name)s")
    catalog.add("Untranslated")
    catalog.add("Fuzzy", "مبهم", flags={"fuzzy"})
    catalog.add("Hi %(name)s,", "مرحبًا،")
    catalog.add("%(title)s is on %(when)s", "%(title)s في %(date)s")
    catalog.add("Hello %s", "مرحبًا")
    catalog.add("Done", "تم 100%")
    catalog.add("Hello {name}", "مرحبًا {nom}")
    catalog.add("Copied", "Copied")
    catalog.add("%(title)s — %(when)s", "%(title)s — %(when)s")
    catalog.add("<strong>Now</strong>", "الآن")
    catalog.add(("%(num)s place left", "%(num)s places left"), ("لا أماكن", "مكان واحد", "مكانان", "%(num)s أماكن",
                                                             "%(num)s مكانًا", "مكان"))
    catalog.add(("%(num)s guest", "%(num)s guests"), ("a", "b"))
    catalog.add(("Your %(num)s seats at %(title)s", "Your %(num)s seats at %(title)s"),
                ("لا مقاعد في %(title)s", "مقعد في %(title)s", "مقعدان", "%(num)s مقاعد في %(title)s",
                 "%(num)s مقعدًا في %(title)s", "%(num)s مقعد في %(title)s"))
    return catalog


def test_the_completeness_check_finds_each_kind_of_mistake():
    problems = "\n".join(catalog_problems(broken_catalog()))
    assert "'Fine %(name)s'" not in problems
    assert "'Untranslated' has no translation" in problems
    assert "'Copied' is the English copied unchanged" in problems
    assert "'%(title)s — %(when)s'" not in problems  # nothing but placeholders: the same in every language
    assert "'Fuzzy' is fuzzy" in problems
    assert "'Hi %(name)s,' loses %(name)" in problems
    assert "'%(title)s is on %(when)s' loses %(when)" in problems and "adds %(date)" in problems
    assert "'Hello %s' positional placeholders [] instead of ['s']" in problems
    assert "'Done' has a bare %" in problems
    assert "'Hello {name}' braces ['nom'] instead of ['name']" in problems
    assert "'<strong>Now</strong>' HTML tags" in problems
    # Forms 0, 1 and 2 stand for one number each and may say it in words; form 5 (100, 101...) may not.
    assert "'%(num)s place left' [5] loses %(num)" in problems
    assert "[1] loses %(num)" not in problems.split("'%(num)s place left'")[1]
    assert "'%(num)s guest' has 2 plural forms, the language has 6" in problems
    assert "'Your %(num)s seats at %(title)s' [2] loses %(title)" in problems


def test_the_plural_header_is_checked_against_cldr():
    catalog = Catalog(locale="ar")
    catalog._num_plurals, catalog._plural_expr = 2, "(n != 1)"  # noqa: SLF001 - what a careless header gives
    assert any("Plural-Forms header" in problem for problem in catalog_problems(catalog))


def test_the_freshness_check_finds_new_changed_and_dropped_strings():
    catalog = Catalog(locale="ar")
    catalog.add("Kept", "باقٍ")
    catalog.add("Dropped", "محذوف")
    catalog.add(("%(num)s guest", "%(num)s guests"), ("", "", "", "", "", ""))
    source = {
        ("Kept", None): ("Kept", "templates/a.html:1"),
        ("New", None): ("New", "templates/a.html:2"),
        ("%(num)s guest", None): (("%(num)s guest", "%(num)s people"), "organizer/b.py:3"),
    }
    problems = "\n".join(freshness_problems(catalog, source))
    assert "templates/a.html:2: 'New' is not in the catalog" in problems
    assert "'Dropped' is no longer in the code" in problems
    assert "organizer/b.py:3: '%(num)s guest' has plural '%(num)s people' in the code" in problems
    assert "'Kept'" not in problems


def test_a_new_string_without_its_translation_fails(tmp_path):
    """End to end: code and templates gain strings (a copy of the tree, the repository is not touched)
    that the Arabic catalog does not have."""
    (tmp_path / "templates" / "email").mkdir(parents=True)
    (tmp_path / "organizer").mkdir()
    (tmp_path / "templates" / "page.html").write_text(
        '<p>{{ _("A sentence nobody has translated yet.") }} {{ _("Sign in") }}</p>\n', encoding="utf-8")
    (tmp_path / "templates" / "email" / "mail.txt").write_text('{{ _("A new mail line.") }}\n', encoding="utf-8")
    (tmp_path / "organizer" / "views.py").write_text(
        'from flask_babel import lazy_ngettext, lazy_gettext as _l\n'
        'LABEL = _l("A new label.")\n'
        'COUNT = lazy_ngettext("%(num)s new thing", "%(num)s new things", 2)\n', encoding="utf-8")
    catalog = load(TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po")
    missing = [problem for problem in freshness_problems(catalog, source_messages(tmp_path))
               if "is not in the catalog" in problem]
    assert missing == [
        "organizer/views.py:2: 'A new label.' is not in the catalog (make translations, then translate it)",
        "organizer/views.py:3: '%(num)s new thing' is not in the catalog (make translations, then translate it)",
        "templates/email/mail.txt:1: 'A new mail line.' is not in the catalog (make translations, then translate it)",
        "templates/page.html:1: 'A sentence nobody has translated yet.' is not in the catalog "
        "(make translations, then translate it)",
    ]
