"""A pseudo-locale for finding interface text that skips the catalog.

With ``PORTAL_PSEUDO_LANGUAGE=qps`` (development or tests), ``/qps/...``
pages show every catalog message accented and bracketed, like
``[Šķîþ ţö ɱàîñ çöñţéñţ]``; any plain English left on such a page did not come
through gettext. The pseudo language shows the default language's postings
and stories as they are written (content has no catalog), without a folder
of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from babel.support import NullTranslations
from flask import Flask
from flask_babel import Domain

from .i18n import current_language

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ACCENTED = "àƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÀƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ"
_TABLE = str.maketrans(_PLAIN, _ACCENTED)
# Placeholders and HTML-looking parts keep their letters.
_KEEP = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|\{\w*\}|<[^>]*>|&\w+;")


def pseudo_text(text: str) -> str:
    """Accent the letters of ``text`` and bracket it, placeholders untouched."""
    parts, position = [], 0
    for match in _KEEP.finditer(text):
        parts.append(text[position : match.start()].translate(_TABLE))
        parts.append(match.group(0))
        position = match.end()
    parts.append(text[position:].translate(_TABLE))
    return "[" + "".join(parts) + "]"


class PseudoTranslations(NullTranslations):
    """Translations that turn every message into its pseudo form."""

    def ugettext(self, message):
        return pseudo_text(message)

    gettext = ugettext

    def ungettext(self, singular, plural, n):
        return pseudo_text(singular if n == 1 else plural)

    ngettext = ungettext

    def upgettext(self, context, message):
        return pseudo_text(message)

    pgettext = upgettext

    def unpgettext(self, context, singular, plural, n):
        return pseudo_text(singular if n == 1 else plural)

    npgettext = unpgettext


class PseudoDomain(Domain):
    """The message domain used on pseudo-language pages."""

    def get_translations(self):
        return PseudoTranslations()


def add_pseudo_language(config) -> None:
    """Add the pseudo language named by ``PORTAL_PSEUDO_LANGUAGE`` to the
    configured languages, copying the default language's URL words, locale,
    content, organisation name and email sender."""
    code = config.get("PORTAL_PSEUDO_LANGUAGE")
    if not code or code in config["PORTAL_LANGUAGES"]:
        return
    default = config["PORTAL_DEFAULT_LANGUAGE"]
    base = config["PORTAL_LANGUAGES"][default]
    config["PORTAL_LANGUAGES"] = {
        **config["PORTAL_LANGUAGES"],
        code: {**base, "name": pseudo_text(base["name"]), "pseudo": True, "content_from": default},
    }
    config["PORTAL_ORGANISATION_NAME"] = {
        **config["PORTAL_ORGANISATION_NAME"],
        code: config["PORTAL_ORGANISATION_NAME"][default],
    }
    if isinstance(config["PORTAL_MAIL_FROM"], Mapping):
        config["PORTAL_MAIL_FROM"] = {
            **config["PORTAL_MAIL_FROM"],
            code: config["PORTAL_MAIL_FROM"].get(default),
        }


def init_app(app: Flask) -> None:
    """Switch to the pseudo domain on pseudo-language requests."""
    code = app.config.get("PORTAL_PSEUDO_LANGUAGE")
    if not code:
        return
    domain = PseudoDomain()

    @app.before_request
    def use_pseudo_domain() -> None:
        if current_language() == code:
            domain.as_default()
