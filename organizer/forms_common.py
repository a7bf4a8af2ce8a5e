"""The base of every form: WTForms' own messages come from our catalog.

A field that cannot parse what was sent ("Not a valid integer value.", "Not a valid choice.") or a validator
without a ``message=`` speaks with WTForms' words. Flask-WTF would translate those with WTForms' catalogs,
whose Arabic leaves four of the six plural forms empty and calls a whole number a "real number"; here they
go through the app's catalog instead, so they are in the visitor's language, use the glossary's words, and
tests/test_translations.py checks them like every other string.
"""

from __future__ import annotations

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as _FlaskForm

# The WTForms messages these forms can show, listed so that `make messages` extracts them (lazy: nothing is
# translated at import). Their English must stay exactly WTForms' own, or the lookup misses.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid input."),
    _l("Not a valid integer value."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    lazy_ngettext("'%(value)s' is not a valid choice for this field.",
                  "'%(value)s' are not valid choices for this field.", 1),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    lazy_ngettext("Field must be exactly %(max)d character long.",
                  "Field must be exactly %(max)d characters long.", 1),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Invalid email address."),
    _l("Invalid URL."),
)


class _CatalogTranslations:
    """What WTForms asks of its translations object. WTForms fills the placeholders itself, so the
    strings are looked up without Flask-Babel's formatting."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


_TRANSLATIONS = _CatalogTranslations()


class FlaskForm(_FlaskForm):
    """Flask-WTF's form (CSRF, request data) with WTForms' messages from our catalog."""

    class Meta(_FlaskForm.Meta):
        def get_translations(self, form):
            return _TRANSLATIONS
