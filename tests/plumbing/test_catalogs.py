"""Translators' catalogs through Babel's API: complete, checked (placeholders,
plurals, French typography), updated, compiled and extracted."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from portal.plumbing import catalogs
from portal.plumbing.config import PROJECT_ROOT

NBSP = "\u00a0"


def test_the_real_catalogs_pass_the_check(runner):
    result = runner.invoke(args=["i18n", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_the_french_catalog_is_complete():
    with open(PROJECT_ROOT / "translations/fr/LC_MESSAGES/messages.po", "rb") as po_file:
        catalog = read_po(po_file, locale="fr")
    entries = [message for message in catalog if message.id]
    assert len(entries) > 200
    assert not [
        m.id for m in entries if m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string))
    ]


def plural_forms(first: str, other: str) -> tuple[str, ...]:
    """Return a French plural translation with as many forms as the installed
    Babel gives French (2 before Babel 2.19, 3 since): the first, then the other."""
    return (first,) + (other,) * (Catalog(locale="fr").num_plurals - 1)


def write_catalog(path: Path, entries, obsolete=()):
    catalog = Catalog(locale="fr")
    for msgid, msgstr, flags in entries:
        catalog.add(msgid, msgstr, flags=flags)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as po_file:
        write_po(po_file, catalog)
    if obsolete:
        with path.open("a", encoding="utf-8") as po_file:
            for msgid, msgstr in obsolete:
                po_file.write(f'\n#~ msgid "{msgid}"\n#~ msgstr "{msgstr}"\n')


@pytest.fixture
def checked(tmp_path):
    """Check a small catalog against a small "extracted" template."""
    template = Catalog(locale="fr")
    for msgid in (
        "Apply",
        "Hello %(name)s",
        "Deadline: %(date)s",
        "“%(title)s” is closed",
        ("%(num)d job", "%(num)d jobs"),
        "Fuzzy one",
        "Untranslated one",
        "Only in code",
    ):
        template.add(msgid, locations=[("templates/example.html", 7)])
    po_path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    write_catalog(
        po_path,
        [
            ("Apply", "Postuler", ()),
            ("Hello %(name)s", "Bonjour %(nom)s", ()),
            ("Deadline: %(date)s", "Date limite : %(date)s", ()),
            ("“%(title)s” is closed", "« %(title)s » est fermé", ()),
            ("Forgot it? Really!", "Oublié\u00a0? Vraiment !", ()),
            (("%(num)d job", "%(num)d jobs"), plural_forms("un emploi", "%(num)d emplois et %(extra)s"), ()),
            ("Fuzzy one", "Flou", ("fuzzy",)),
            ("Untranslated one", "", ()),
            ("Gone from the code", "Disparu", ()),
        ],
        obsolete=[("Old", "Vieux")],
    )
    return {str(problem) for problem in catalogs.check_catalog(po_path, template, "messages.po")}


@pytest.mark.parametrize(
    "expected",
    [
        r"messages\.po:\d+: untranslated: 'Untranslated one'",
        r"messages\.po:\d+: fuzzy: .*'Fuzzy one'",
        r"messages\.po:\d+: placeholders differ in 'Hello %\(name\)s'",
        r"messages\.po:\d+: placeholders differ in '%\(num\)d job'.*%\(extra\)s",
        r"messages\.po:\d+: French typography in 'Deadline: %\(date\)s': "
        r"put a non-breaking space \(U\+00A0\) before ':'",
        r"messages\.po:\d+: French typography in '“%\(title\)s” is closed': put a non-breaking space after «",
        r"messages\.po:\d+: French typography in '“%\(title\)s” is closed': "
        r"put a non-breaking space before »",
        r"messages\.po:\d+: French typography in 'Forgot it\? Really!': "
        r"no space before ! \? in Canadian French",
        r"messages\.po:\d+: obsolete entry left behind: 'Old'",
        r"messages\.po:\d+: no longer used in the code: 'Gone from the code'",
        r"templates/example\.html:7: not in fr catalog: 'Only in code'",
    ],
)
def test_check_reports_each_kind_of_problem(checked, expected):
    assert any(re.fullmatch(expected + ".*", line) for line in checked), sorted(checked)


def test_check_accepts_good_french_and_a_singular_without_its_count(tmp_path):
    template = Catalog(locale="fr")
    for msgid in (
        "Deadline: %(date)s",
        ("See the open job", "See all %(num)d open jobs"),
        "Visit https://example.org at 23:59",
    ):
        template.add(msgid)
    po_path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    write_catalog(
        po_path,
        [
            ("Deadline: %(date)s", f"Date limite{NBSP}: %(date)s", ()),
            (
                ("See the open job", "See all %(num)d open jobs"),
                plural_forms("Voir l’emploi", "Voir les %(num)d emplois"),
                (),
            ),
            ("Visit https://example.org at 23:59", "Visitez https://example.org à 23:59", ()),
        ],
    )
    assert catalogs.check_catalog(po_path, template, "messages.po") == []


def test_check_command_fails_on_a_broken_catalog(make_app, tmp_path):
    shutil.copytree(PROJECT_ROOT / "translations" / "fr", tmp_path / "fr")
    po_path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    text = po_path.read_text(encoding="utf-8")
    po_path.write_text(text.replace('msgstr "Emplois"', 'msgstr ""', 1), encoding="utf-8")
    result = (
        make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path)).test_cli_runner().invoke(args=["i18n", "check"])
    )
    assert result.exit_code == 1
    assert re.search(r"messages\.po:\d+: untranslated: 'Jobs'", result.stdout)


def test_update_keeps_translations_and_drops_removed_messages(make_app, tmp_path):
    shutil.copytree(PROJECT_ROOT / "translations" / "fr", tmp_path / "fr")
    po_path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    with po_path.open("a", encoding="utf-8") as po_file:
        po_file.write('\nmsgid "A message the code no longer has"\nmsgstr "Un message disparu"\n')
    runner = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path)).test_cli_runner()
    assert runner.invoke(args=["i18n", "update"]).exit_code == 0
    updated = po_path.read_text(encoding="utf-8")
    assert "A message the code no longer has" not in updated
    assert 'msgstr "Emplois"' in updated
    assert runner.invoke(args=["i18n", "check"]).exit_code == 0
    compiled = runner.invoke(args=["i18n", "compile"])
    assert compiled.exit_code == 0 and (tmp_path / "fr/LC_MESSAGES/messages.mo").exists()


def test_extract_writes_a_template_with_translator_comments(make_app, tmp_path):
    runner = make_app(BABEL_TRANSLATION_DIRECTORIES=str(tmp_path)).test_cli_runner()
    result = runner.invoke(args=["i18n", "extract"])
    assert result.exit_code == 0
    pot = (tmp_path / "messages.pot").read_text(encoding="utf-8")
    assert 'msgid "Skip to main content"' in pot
    assert "#. %(size)s is a file size" in pot  # an i18n: comment reaches translators


@pytest.fixture
def french_copy(tmp_path):
    """A copy of the French catalog that a test can break."""
    shutil.copytree(
        PROJECT_ROOT / "translations" / "fr", tmp_path / "fr", ignore=shutil.ignore_patterns("*.mo")
    )
    return tmp_path / "fr" / "LC_MESSAGES" / "messages.po"


@pytest.mark.parametrize(
    "header",
    ["nplurals=2; plural=(n >;", "nplurals=2; plural=n*;", "nplurals=1; plural=(n > 1);", "plural=;"],
)
def test_a_broken_plural_forms_header_is_refused_by_check_and_compile(make_app, french_copy, header):
    """Compiled, it would make every French page answer 500."""
    text = french_copy.read_text(encoding="utf-8")
    french_copy.write_text(
        re.sub(r'"Plural-Forms: [^"]*\\n"', f'"Plural-Forms: {header}\\\\n"', text), encoding="utf-8"
    )
    runner = make_app(BABEL_TRANSLATION_DIRECTORIES=str(french_copy.parents[2])).test_cli_runner()
    checked = runner.invoke(args=["i18n", "check"])
    assert checked.exit_code == 1
    assert re.search(r"messages\.po:1: the Plural-Forms header", checked.stdout)
    compiled = runner.invoke(args=["i18n", "compile"])
    assert compiled.exit_code == 1 and "Plural-Forms" in compiled.stderr
    assert not french_copy.with_suffix(".mo").exists()


def test_html_in_a_translation_is_reported_and_shown_as_text(make_app, french_copy, page):
    text = french_copy.read_text(encoding="utf-8")
    french_copy.write_text(
        text.replace(
            'msgid "Jobs"\nmsgstr "Emplois"', 'msgid "Jobs"\nmsgstr "<script>alert(1)</script>Emplois"', 1
        ),
        encoding="utf-8",
    )
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(french_copy.parents[2]))
    checked = app.test_cli_runner().invoke(args=["i18n", "check"])
    assert re.search(r"messages\.po:\d+: HTML in the translation of 'Jobs'", checked.stdout)
    assert app.test_cli_runner().invoke(args=["i18n", "compile"]).exit_code == 0
    response = app.test_client().get("/fr/emplois/")
    assert b"<script>alert(1)</script>" not in response.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;Emplois" in response.data
