"""The base of every form: text arrives without NUL characters.

PostgreSQL refuses NUL (0x00) in text, and no person types one: it is removed
from every field before validation, so tampered input cannot cause an error.
"""

from __future__ import annotations

from functools import cache

from babel import support
from email_validator import EmailNotValidError, validate_email
from flask import current_app, request
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path
from wtforms.validators import StopValidation, ValidationError

#: The largest id a database integer column holds; larger ones name nothing.
MAX_DATABASE_ID = 2**63 - 1


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


@cache
def _wtforms_catalog(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsMessages:
    """WTForms' own messages in the request's locale, as Flask-WTF gives
    them, but with each locale's catalog read once per process (Flask-WTF
    reads it from disk again for every request)."""

    def gettext(self, string: str) -> str:
        catalog = self._catalog()
        return string if catalog is None else catalog.ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalog = self._catalog()
        if catalog is None:
            return singular if n == 1 else plural
        return catalog.ungettext(singular, plural, n)

    @staticmethod
    def _catalog() -> support.Translations | None:
        if not request or "babel" not in current_app.extensions:
            return None
        return _wtforms_catalog(str(get_locale()))


_WTFORMS_MESSAGES = WTFormsMessages()


class PortalForm(FlaskForm):
    """FlaskForm whose fields all drop NUL characters from what they receive."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if _without_nul not in filters:
                unbound_field.kwargs["filters"] = [_without_nul, *filters]
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _WTFORMS_MESSAGES


class EmailAddress:
    """Refuse an address that is not in an address's format, keeping the
    normalised form of one that is (deliverability is not checked: no DNS
    lookup while a candidate waits)."""

    def __call__(self, form, field) -> None:
        try:
            field.data = validate_email(field.data.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(
                _l("Enter an email address in the correct format, like name@example.com")
            ) from None


def database_id(value: int | None) -> int | None:
    """Return ``value`` if it can be a row id, else None (so lookups find nothing)."""
    return value if value is not None and 0 < value <= MAX_DATABASE_ID else None


class MaxLength:
    """Refuse text longer than ``limit`` characters, saying how long it is.

    The message is formatted when the form is checked, so the numbers follow
    the request's locale ("4,000" in English, "4 000" in French). Like
    WTForms' Length, it sets ``maxlength`` on the rendered input. Text over
    the limit is checked no further (no parsing of a megabyte of "email").
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.field_flags = {"maxlength": limit}

    def __call__(self, form, field) -> None:
        length = len(field.data or "")
        if length > self.limit:
            raise StopValidation(
                _(
                    "Use %(limit)s characters or fewer (you used %(count)s)",
                    limit=format_decimal(self.limit),
                    count=format_decimal(length),
                )
            )
