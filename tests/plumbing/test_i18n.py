"""Languages: a third one by configuration and a catalog, no language named
by hand, and Babel formatting in the page locale."""

import re
import shutil
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import format_decimal
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from portal.plumbing.config import DEFAULTS, PROJECT_ROOT
from portal.plumbing.i18n import (
    format_compensation,
    format_deadline,
    format_file_size,
    keep_amounts_together,
    language,
)

NBSP = "\u00a0"


def test_a_third_language_by_configuration_and_a_catalog(make_app, tmp_path, page):
    translations = tmp_path / "translations"
    shutil.copytree(PROJECT_ROOT / "translations", translations, ignore=shutil.ignore_patterns("*.pot"))
    privacy = tmp_path / "privacy"
    shutil.copytree(PROJECT_ROOT / "privacy", privacy)
    (privacy / "es.md").write_text(
        (privacy / "en.md")
        .read_text(encoding="utf-8")
        .replace("title: Privacy notice", "title: Aviso de privacidad"),
        encoding="utf-8",
    )
    content = tmp_path / "content"
    (content / "es" / "empleos").mkdir(parents=True)
    (content / "es" / "empleos" / "analista.md").write_text(
        "---\nlayout: job-posting\ntitle: Analista\ntranslationKey: analyst\n---\nCuerpo.\n", encoding="utf-8"
    )
    languages = {
        "en": {"name": "English", "locale": "en_CA", "paths": dict(PATHS_EN)},
        "es": {"name": "Español", "locale": "es", "paths": {**PATHS_EN, "jobs": "empleos"}},
    }
    settings = dict(
        BABEL_TRANSLATION_DIRECTORIES=str(translations),
        PORTAL_LANGUAGES=languages,
        PORTAL_ORGANISATION_NAME={"en": "Agency", "es": "Agencia"},
        PORTAL_MAIL_FROM={"en": "Careers <careers@agency.example>", "es": "Empleos <empleos@agency.example>"},
        PORTAL_PRIVACY_NOTICE_DIR=str(privacy),
        PORTAL_CONTENT_DIR=str(content),
    )
    runner = make_app(**settings).test_cli_runner()
    assert runner.invoke(args=["i18n", "init", "es"]).exit_code == 0
    po_path = translations / "es" / "LC_MESSAGES" / "messages.po"
    po_path.write_text(
        po_path.read_text(encoding="utf-8").replace(
            'msgid "Open jobs"\nmsgstr ""', 'msgid "Open jobs"\nmsgstr "Empleos abiertos"'
        ),
        encoding="utf-8",
    )
    assert runner.invoke(args=["i18n", "compile"]).exit_code == 0
    client = make_app(**settings).test_client()
    result = page(client.get("/es/empleos/"), lang="es")
    assert result.h1 == "Empleos abiertos"
    assert "/es/empleos/analista/" in result.links()
    assert page(client.get("/en/jobs/")).toggle() == {"es": "/es/empleos/"}


#: Every URL word the portal needs, in English.
PATHS_EN = dict(DEFAULTS["PORTAL_LANGUAGES"]["en"]["paths"])


def test_no_language_is_named_by_hand_outside_configuration():
    """Only the defaults (config.py) and per-language rules (French typography
    in catalogs.py) may name a language; templates never branch on it."""
    import ast

    names = {"en", "fr", "en_CA", "fr_CA"}
    offenders = []
    for path in PROJECT_ROOT.joinpath("portal").rglob("*.py"):
        if path.name in ("config.py", "catalogs.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}: {node.value!r}")
    for path in PROJECT_ROOT.joinpath("templates").rglob("*.*"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"""(?<![\w-])["'](en|fr)["']|lang\w* *== *["']""", line):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Field cannot be longer than 3 characters."),
        ("fr", "Le champ ne peut pas contenir plus de 3 caractères."),
    ],
)
def test_wtforms_built_in_messages_follow_the_page_language(app, lang, expected):
    class Form(FlaskForm):
        class Meta:
            csrf = False

        name = StringField(validators=[Length(max=3)])

    with app.test_request_context(f"/{lang}/", method="POST", data={"name": "abcdef"}):
        app.preprocess_request()
        from flask import g

        g.lang_code = lang
        form = Form()
        assert not form.validate()
        assert form.errors["name"] == [expected]


@pytest.mark.parametrize(("lang", "locale", "size"), [("en", "en_CA", "5 MB"), ("fr", "fr_CA", "5 Mo")])
def test_numbers_and_file_sizes_follow_the_page_locale(app, lang, locale, size):
    """Numbers are the page locale's, as the installed Babel writes them;
    units come from the catalog."""
    with app.test_request_context(f"/{lang}/"), language(lang):
        assert " ".join(format_file_size(5 * 1024 * 1024).split()) == size
        assert format_decimal(1234) == babel_format_decimal(1234, locale=locale)
    assert babel_format_decimal(1234, locale="en_CA") != babel_format_decimal(1234, locale="fr_CA")


NBSP = "\u00a0"
EASTERN = ZoneInfo("America/Toronto")


@pytest.mark.parametrize(
    ("lang", "hour", "minute", "expected"),
    [
        ("en", 17, 0, f"February{NBSP}15,{NBSP}2027 at 5:00\u202fp.m. (Eastern Time)"),
        ("en", 23, 59, f"February{NBSP}15,{NBSP}2027 at 11:59\u202fp.m. (Eastern Time)"),
        # Guide du rédacteur: on the hour, « 17 h », not « 17 h 00 ».
        ("fr", 17, 0, f"15{NBSP}février{NBSP}2027 à 17{NBSP}h (heure de l’Est)"),
        ("fr", 23, 59, f"15{NBSP}février{NBSP}2027 à 23{NBSP}h{NBSP}59 (heure de l’Est)"),
        ("fr", 9, 5, f"15{NBSP}février{NBSP}2027 à 9{NBSP}h{NBSP}05 (heure de l’Est)"),
    ],
)
def test_deadlines_keep_their_date_and_time_on_one_line(app, lang, hour, minute, expected):
    moment = datetime(2027, 2, 15, hour, minute, tzinfo=EASTERN)
    with app.test_request_context(f"/{lang}/"), language(lang):
        assert format_deadline(moment) == expected
        # The same moment given in UTC reads the same in the portal's time zone.
        assert format_deadline(moment.astimezone(UTC)) == expected


@pytest.mark.parametrize(
    ("lang", "sizes"),
    [
        ("en", (f"850{NBSP}KB", f"5{NBSP}MB", f"1.2{NBSP}MB")),
        ("fr", (f"850{NBSP}ko", f"5{NBSP}Mo", f"1,2{NBSP}Mo")),
    ],
)
def test_file_sizes_never_break_between_number_and_unit(app, lang, sizes):
    with app.test_request_context(f"/{lang}/"), language(lang):
        assert tuple(format_file_size(size) for size in (850 * 1024, 5 * 1024 * 1024, 1234567)) == sizes


@pytest.mark.parametrize(
    ("lang", "written", "shown"),
    [
        ("en", "88000-110000", f"$88,000{NBSP}– $110,000"),
        ("fr", "88000-110000", f"88{NBSP}000{NBSP}${NBSP}– 110{NBSP}000{NBSP}$"),
        ("fr", "88 000 – 110 000", f"88{NBSP}000{NBSP}${NBSP}– 110{NBSP}000{NBSP}$"),
        ("fr", "95000", f"95{NBSP}000{NBSP}$"),
        ("en", "$88,000 – $110,000", f"$88,000{NBSP}– $110,000"),
        ("fr", "88 000 $ – 110 000 $", f"88{NBSP}000{NBSP}${NBSP}– 110{NBSP}000{NBSP}$"),
        ("fr", "De 88 000 $ à 110 000 $", f"De 88{NBSP}000{NBSP}$ à 110{NBSP}000{NBSP}$"),
        ("fr", "Jusqu’à 40 % du salaire", f"Jusqu’à 40{NBSP}% du salaire"),
    ],
)
def test_salaries_are_formatted_for_the_page_and_never_break(app, lang, written, shown):
    with app.test_request_context(f"/{lang}/"), language(lang):
        assert format_compensation(written) == shown


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("IT-03, 2 postes", "IT-03, 2 postes"),
        ("12 mois, 17 h 30", f"12 mois, 17{NBSP}h{NBSP}30"),
        ("EC-05 – 2 000 personnes", f"EC-05{NBSP}– 2{NBSP}000 personnes"),
    ],
)
def test_amounts_in_text_keep_together_and_other_spaces_stay(written, shown):
    assert keep_amounts_together(written) == shown
