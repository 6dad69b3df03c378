"""Languages: the locale comes from the URL, and every page knows its translations.

Languages are configuration (``PORTAL_LANGUAGES``): each has a code used as
the first URL segment, a name for the toggle, and the words used in its URLs
(``/en/jobs/`` and ``/fr/emplois/`` are the same page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from babel import Locale
from babel.dates import get_timezone_name
from babel.lists import format_list
from babel.numbers import format_currency
from babel.units import format_unit
from flask import Blueprint, Flask, current_app, g, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import (
    Babel,
    force_locale,
    format_date,
    format_decimal,
    format_time,
    get_timezone,
    get_translations,
    gettext,
)
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import escape

from .config import PROJECT_ROOT, ConfigurationError

TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
NBSP = "\u00a0"
LANG_ARG = "lang_code"


def init_app(app: Flask) -> None:
    """Set up Flask-Babel, the URL language processors and the template helpers."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["PORTAL_DEFAULT_LANGUAGE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["PORTAL_TIMEZONE"])
    # One Babel per app: Flask-Babel caches loaded catalogs on the Babel
    # object, and two apps in one process may read different catalogs.
    Babel(app, locale_selector=current_locale)
    # Translations are text, never markup: what a catalog says is escaped in
    # HTML (a translator's "<script>" is shown, not run) and left as it is in
    # the plain-text emails.
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        newstyle=True,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )
    # Templates are extracted with "trimmed" (babel.cfg): render them the same way.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.extensions["portal.localized_endpoints"] = set()
    app.url_value_preprocessor(_pull_language)
    app.url_defaults(_add_language)
    app.context_processor(_template_context)
    app.jinja_env.globals["gettext_in"] = gettext_in
    app.jinja_env.globals["language_name"] = language_name
    app.jinja_env.filters["deadline"] = format_deadline
    app.jinja_env.filters["filesize"] = format_file_size
    app.jinja_env.filters["amounts"] = keep_amounts_together
    app.jinja_env.filters["compensation"] = format_compensation
    app.jinja_env.filters["duration"] = format_duration


def _as_text(eval_context: EvalContext, translated: str) -> str:
    return escape(translated) if eval_context.autoescape else translated


@pass_eval_context
def _template_gettext(eval_context: EvalContext, string: str) -> str:
    return _as_text(eval_context, get_translations().ugettext(string))


@pass_eval_context
def _template_ngettext(eval_context: EvalContext, singular: str, plural: str, number: int) -> str:
    return _as_text(eval_context, get_translations().ungettext(singular, plural, number))


@pass_eval_context
def _template_pgettext(eval_context: EvalContext, context: str, string: str) -> str:
    return _as_text(eval_context, get_translations().upgettext(context, string))


@pass_eval_context
def _template_npgettext(
    eval_context: EvalContext, context: str, singular: str, plural: str, number: int
) -> str:
    return _as_text(eval_context, get_translations().unpgettext(context, singular, plural, number))


def languages() -> Mapping[str, Mapping]:
    """Return the configured languages, in display order."""
    return current_app.config["PORTAL_LANGUAGES"]


def current_language() -> str:
    """Return the language of this request: the URL's, else the default.

    Pure: it never writes to the session (Flask-Babel's locale selector).
    """
    return g.get(LANG_ARG) or current_app.config["PORTAL_DEFAULT_LANGUAGE"]


def locale_for(code: str) -> str:
    """Return the Babel locale of a language (``fr_CA`` for "fr"): Canadian
    date, time and number formats; its catalog is found under ``fr/``."""
    return current_app.config["PORTAL_LANGUAGES"].get(code, {}).get("locale", code)


def current_locale() -> str:
    """Return the Babel locale of this request's language."""
    return locale_for(current_language())


def format_deadline(moment: datetime) -> str:
    """Return a deadline in the page locale and the portal's time zone,
    e.g. "March 31, 2027 at 11:59 p.m. Eastern Time"; the date and the time
    never break across lines, and French times on the hour read « 17 h »."""
    zone = get_timezone()
    return gettext(
        "%(date)s at %(time)s (%(zone)s)",
        date=_unbreakable(format_date(moment, "long")),
        time=_unbreakable(_format_short_time(moment)),
        zone=get_timezone_name(
            moment.astimezone(zone),
            width="long",
            uncommon=False,
            locale=current_locale(),
            zone_variant="generic",
        ),
    )


def _format_short_time(moment: datetime) -> str:
    # Locales that write hours "17 h 00" (fr_CA) follow the Guide du
    # rédacteur: no leading zero, and the hour alone on the hour (« 17 h »).
    pattern = Locale.parse(current_locale()).time_formats["short"].pattern
    if _HOUR_H_MINUTES.fullmatch(pattern):
        on_the_hour = moment.astimezone(get_timezone()).minute == 0
        return format_time(moment, "H\u00a0'h'" if on_the_hour else "H\u00a0'h'\u00a0mm")
    return format_time(moment, "short")


_HOUR_H_MINUTES = re.compile(r"H{1,2}\s*'h'\s*mm")


def _unbreakable(text: str) -> str:
    return text.replace(" ", NBSP)


def format_duration(duration: timedelta) -> str:
    """Return a duration in the page locale, in the units people count
    waits in: "45 minutes", "5 hours", "3 days, 5 hours", « 12 jours »
    (each number kept on one line with its unit)."""
    locale = current_locale()
    minutes = max(0, round(duration.total_seconds() / 60))

    def unit(value: int, name: str) -> str:
        return _unbreakable(format_unit(value, f"duration-{name}", length="long", locale=locale))

    if minutes < 60:
        return unit(max(1, minutes), "minute")
    hours = round(minutes / 60)
    if hours < 24:
        return unit(hours, "hour")
    days, hours = divmod(hours, 24)
    if hours == 0 or days >= 10:
        return unit(days + (1 if hours >= 12 and days >= 10 else 0), "day")
    return format_list([unit(days, "day"), unit(hours, "hour")], style="unit", locale=locale)


def format_file_size(size: int) -> str:
    """Return a file size in the page locale, number and unit on one line:
    "850 KB", "1.2 MB", « 1,2 Mo » (with U+00A0)."""
    if size < 1024 * 1024:
        text = gettext("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    else:
        text = gettext("%(size)s MB", size=format_decimal(round(size / 1024 / 1024, 1)))
    return _unbreakable(text)


#: Spaces that must not break a line: inside a number ("88 000"), between a
#: number and its currency or unit ("000 $", "5 Mo", "40 %"), and before a
#: dash, which never starts a line.
_BREAKABLE_IN_AMOUNT = re.compile(
    r"(?<=\d) (?=\d{3}(?!\d))"
    r"|(?<=\d) (?=[$€£¢%]|(?:CAD|USD|k\$|ko|Mo|Go|KB|MB|GB|h)(?![^\W\d_]))"
    r"|(?<=[$€£¢]) (?=\d)"
    r"|(?<=\d h) (?=\d\d(?!\d))"
    r"| (?=[–—])"
)
#: A plain amount or range of whole numbers ("88000-110000", "88,000 – 110,000").
_PLAIN_AMOUNTS = re.compile(
    r"^\s*(\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+)(?:\s*[-–]\s*(\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+))?\s*$"
)


def keep_amounts_together(text: str) -> str:
    """Return ``text`` with U+00A0 for the spaces inside its amounts, so
    « 88 000 $ » or "5 MB" never breaks across lines."""
    return _BREAKABLE_IN_AMOUNT.sub(NBSP, text)


def format_compensation(text: str) -> str:
    """Return a salary for the page locale: a plain amount or range of
    Canadian dollars ("88000-110000") is formatted by Babel ("$88,000 –
    $110,000", « 88 000 $ – 110 000 $ »); written text keeps its words, with
    its amounts kept on one line."""
    plain = _PLAIN_AMOUNTS.match(text)
    if plain is None:
        return keep_amounts_together(text)
    locale = Locale.parse(current_locale())
    pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
    amounts = [
        format_currency(int(re.sub(r"\D", "", number)), "CAD", pattern, locale=locale, currency_digits=False)
        for number in plain.groups()
        if number is not None
    ]
    return f"{NBSP}– ".join(amounts)


def language_of_path(path: str) -> str | None:
    """Return the language named by the first segment of ``path``, if any."""
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in languages() else None


def localized_route(bp: Blueprint, template: str, **options) -> Callable:
    """Register a view under every language: ``{jobs}/<slug>/`` becomes
    ``/en/jobs/<slug>/`` and ``/fr/emplois/<slug>/`` (one endpoint).

    Words in braces are looked up in each language's ``paths``.
    """

    def decorator(view: Callable) -> Callable:
        endpoint = options.pop("endpoint", view.__name__)

        def register(state: BlueprintSetupState) -> None:
            for code, language in state.app.config["PORTAL_LANGUAGES"].items():
                try:
                    path = template.format(**language["paths"])
                except KeyError as missing:
                    raise ConfigurationError(
                        f"PORTAL_LANGUAGES[{code!r}]['paths'] has no URL word {missing}."
                    ) from None
                state.add_url_rule(f"/{code}/{path}", endpoint, view, defaults={LANG_ARG: code}, **options)
            state.app.extensions["portal.localized_endpoints"].add(f"{state.name}.{endpoint}")

        bp.record(register)
        return view

    return decorator


def _pull_language(endpoint: str | None, values: dict | None) -> None:
    if values and LANG_ARG in values:
        g.lang_code = values.pop(LANG_ARG)


def _add_language(endpoint: str, values: dict) -> None:
    if LANG_ARG in values or not g.get(LANG_ARG):
        return
    if endpoint in current_app.extensions["portal.localized_endpoints"]:
        values[LANG_ARG] = g.lang_code


@dataclass(frozen=True)
class LanguageLink:
    """One language version of the current page, for the toggle and hreflang."""

    code: str
    name: str
    url: str
    #: False when the page has no translation and ``url`` is that language's listing.
    translated: bool

    @property
    def absolute_url(self) -> str:
        return request.host_url.rstrip("/") + self.url if self.url.startswith("/") else self.url


def set_translations(urls: Mapping[str, str], fallback: Callable[[str], str] | None = None) -> None:
    """Declare the current page's URL in each language that has it.

    Languages missing from ``urls`` link to ``fallback(code)`` (typically the
    listing in that language) and the page says it exists in fewer languages.
    """
    g.translation_urls = dict(urls)
    g.translation_fallback = fallback


def language_links() -> list[LanguageLink]:
    """Return every language's version of the current page, current one first."""
    urls = g.get("translation_urls")
    fallback = g.get("translation_fallback")
    links = []
    for code, language in languages().items():
        if urls is None:
            url = _same_page_in(code)
            translated = url is not None
        else:
            url = urls.get(code)
            translated = url is not None
            if url is None and fallback is not None:
                url = fallback(code)
        if url is None:
            url = url_for("public.home", **{LANG_ARG: code})
        links.append(LanguageLink(code, language["name"], url, translated))
    links.sort(key=lambda link: link.code != current_language())
    return links


def _same_page_in(code: str) -> str | None:
    endpoint = request.endpoint
    if not endpoint or endpoint not in current_app.extensions["portal.localized_endpoints"]:
        return None
    return url_for(endpoint, **{**(request.view_args or {}), LANG_ARG: code})


def _template_context() -> dict:
    lang = current_language()
    return {
        "page_lang": lang,
        "organisation": current_app.config["PORTAL_ORGANISATION_NAME"].get(lang, ""),
        "language_links": language_links if request else (lambda: []),
    }


def language_name(code: str, in_language: str | None = None) -> str:
    """Return the name of language ``code`` as written in ``in_language``
    (default: the page's), e.g. "anglais" for "en" on a French page; a code
    Babel does not know (the pseudo-locale) gets its configured name."""
    try:
        return Locale.parse(locale_for(code)).get_language_name(locale_for(in_language or current_language()))
    except (ValueError, TypeError):
        return languages().get(code, {}).get("name", code)


def gettext_in(lang: str, message: str, **variables) -> str:
    """Translate ``message`` into ``lang`` whatever the page language."""
    with force_locale(locale_for(lang)):
        return gettext(message, **variables)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Render what follows in ``lang`` (emails, bilingual pages)."""
    with force_locale(locale_for(lang)):
        previous = g.get(LANG_ARG)
        g.lang_code = lang
        try:
            yield
        finally:
            g.lang_code = previous


def translation_directory() -> Path:
    """Return the folder holding the gettext catalogs."""
    return Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[0])
