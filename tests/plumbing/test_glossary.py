"""The French glossary and house rules: the data, what they find in a line,
in a catalog and in content files (with file:line), how a finding is
silenced with a reason, and that TRANSLATING.md shows the same glossary."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from portal.plumbing import glossary
from portal.plumbing.config import PROJECT_ROOT

FRENCH = glossary.path_for(PROJECT_ROOT / "translations", "fr")

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def terms() -> glossary.Glossary:
    return glossary.load(FRENCH)


def found(text: str, terms) -> list[str]:
    return glossary.text_problems(text, terms)


def test_translating_md_shows_the_glossary_data():
    table = glossary.markdown_table(glossary.load(FRENCH))
    assert table in (PROJECT_ROOT / "TRANSLATING.md").read_text(encoding="utf-8")
    assert "| résumé | curriculum vitæ | « CV »," in table


def test_the_glossary_names_one_french_term_per_concept(terms):
    assert len(terms.entries) >= 20
    french = {entry.use for entry in terms.entries}
    for avoid in terms.avoided():
        assert avoid.why and avoid.preferred
        # A term to avoid never finds the term to use.
        assert not any(avoid.pattern.search(term) for term in french), avoid.term
    statuses = {entry.concept: entry.use for entry in terms.entries if entry.concept.endswith("(status)")}
    assert statuses["Received (status)"] == "Reçue"
    assert statuses["Offer (status)"] != "Offre"


@pytest.mark.parametrize(
    ("text", "term", "preferred"),
    [
        ("Téléversez votre CV en PDF.", "CV", "curriculum vitæ"),
        (
            "Après la clôture de ce processus d\u2019embauche.",
            "processus d’embauche",
            "processus de recrutement",
        ),
        ("Après la clôture de ce processus d'embauche.", "processus d’embauche", "processus de recrutement"),
        (
            "Une cote de sécurité de niveau fiabilité.",
            "cote de sécurité de niveau fiabilité",
            "cote de fiabilité",
        ),
        ("Remplissez une courte demande.", "demande", "candidature"),
        ("Le nom ou le courriel contient", "courriel (for the address)", "adresse courriel"),
        ("Votre e-mail", "e-mail", "adresse courriel"),
        ("Nous rejoignons toute la population.", "rejoindre", "atteindre, joindre; se joindre à"),
        (
            "Se joindre à notre pratique de conception.",
            "pratique (a discipline)",
            "équipe, discipline, domaine",
        ),
        ("DANS CE RÔLE, vous devrez", "dans ce rôle", "à ce titre, dans le cadre de ce poste"),
        ("Vous êtes déconnecté.", "masculine-only participle", None),
        ("Vous n\u2019êtes pas connecté", "masculine-only participle", None),
        ("Vous êtes invité à examiner", "masculine-only participle", None),
        ("3 candidature(s) passée(s) à l\u2019état", "abbreviated doublet", None),
        ("Chaque candidat·e reçoit", "abbreviated doublet", None),
    ],
)
def test_a_term_to_avoid_is_found_with_the_preferred_form(terms, text, term, preferred):
    problems = found(text, terms)
    assert len(problems) == 1, problems
    assert problems[0].endswith(f"[term: {term}]")
    if preferred:
        assert f"write {preferred} (" in problems[0]


@pytest.mark.parametrize(
    "text",
    [
        "Joignez votre curriculum vitæ à votre candidature.",
        "Des applications Web en Python.",  # software, not a job application
        "Le fichier Demandes d\u2019emploi (POU 911).",  # a bank's title
        "Écrivez à %(email)s ou à nom@example.com.",
        "Vous êtes connectée ou connecté.",
        "Votre session est fermée.",
        "Le Service numérique du Nord (SNN) offre des services en ligne.",
        f"De 88{NBSP}000{NBSP}$ à 110{NBSP}000{NBSP}$, 40{NBSP}%, 5{NBSP}Mo.",
        f"Date limite{NBSP}: 31 mars. Des questions? Oui; non! Voir https://example.com à 23:59.",
        f"Le mot «{NBSP}offre{NBSP}» désigne une offre d\u2019emploi.",
        "Une expérience de la cvc et des services.",
    ],
)
def test_good_french_is_not_reported(terms, text):
    assert found(text, terms) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("De 88 000 $ à 110 000 $", "« 88 000 »: a non-breaking space"),
        ("Une hausse de 40 %", "« 40 % »: a non-breaking space"),
        ("Une hausse de 40%", "« 40% »: a non-breaking space"),
        ("Jusqu\u2019à 5 Mo", "« 5 Mo »: a non-breaking space"),
        ("Date limite: 31 mars", "French typography: put a non-breaking space (U+00A0) before ':'"),
        (f"Des questions{NBSP}?", "French typography: no space before ? in Canadian French"),
        ("Le « guide »", "French typography: put a non-breaking space after «"),
    ],
)
def test_numbers_and_typography_are_checked(terms, text, expected):
    problems = found(text, terms)
    assert any(problem.startswith(expected) for problem in problems), problems


def write_catalog(path: Path, entries) -> None:
    catalog = Catalog(locale="fr")
    for msgid, msgstr, comments in entries:
        catalog.add(msgid, msgstr, user_comments=comments)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as po_file:
        write_po(po_file, catalog)


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def test_the_catalog_check_reports_terms_with_file_line_and_honours_reasons(tmp_path, terms):
    po_path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    write_catalog(
        po_path,
        [
            ("Upload your résumé", "Téléversez votre CV", []),
            ("The CV form", "Le formulaire CV", ["glossary-ok: CV — the form's own name"]),
            ("A CV", "Un CV", ["glossary-ok: CV"]),
            ("Apply", "Postuler", ["glossary-ok: CV — nothing to silence"]),
            ("You are signed out.", "Vous êtes déconnecté.", []),
        ],
    )
    problems = [
        str(problem) for problem in glossary.check_catalog(po_path, "messages.po", terms, french=True)
    ]
    upload = line_of(po_path, 'msgid "Upload your résumé"')
    signed_out = line_of(po_path, 'msgid "You are signed out."')
    no_reason = line_of(po_path, 'msgid "A CV"')
    unused = line_of(po_path, 'msgid "Apply"')
    assert problems == [
        f"messages.po:{upload}: 'Upload your résumé': « CV »: write curriculum vitæ "
        "(write « curriculum vitæ » in full) [term: CV]",
        f"messages.po:{no_reason}: 'A CV': glossary-ok for « CV » gives no reason "
        "(glossary-ok: term — reason)",
        f"messages.po:{unused}: 'Apply': glossary-ok for « CV », which is not found here: remove it",
        f"messages.po:{signed_out}: 'You are signed out.': « Vous êtes déconnecté »: write an épicène "
        "phrasing (« Votre session est fermée ») or a full doublet (« invitée ou invité ») "
        "(it addresses every user as a man) [term: masculine-only participle]",
    ]


POSTING = textwrap.dedent(
    """\
    ---
    layout: job-posting
    title: Analyste (processus d’embauche)
    translationKey: cv-analyst
    description: >-
      Une description sur deux lignes
      qui mentionne un CV.
    compensation: '88 000 $'
    questions:
      - id: cv
        type: yes-no
        # glossary-ok: rejoindre — the name of a programme
        label: Avez-vous suivi le programme Rejoindre?
    ---
    Dans ce rôle, vous devrez analyser.

    <!-- glossary-ok: leçons apprises — the title of the 2019 report -->
    Lisez « Leçons apprises » en ligne.
    Une autre ligne avec des leçons apprises. <!-- glossary-ok: leçons apprises -->
    Le formulaire est clair.
    """
).replace("« Leçons apprises »", f"«{NBSP}Leçons apprises{NBSP}»")


def test_a_content_file_is_checked_line_by_line_front_matter_included(tmp_path, terms):
    path = tmp_path / "fr" / "jobs" / "analyste.md"
    path.parent.mkdir(parents=True)
    path.write_text(POSTING, encoding="utf-8")
    problems = [
        (problem.line, problem.message)
        for problem in glossary.check_content([tmp_path / "fr"], tmp_path, terms, french=True)
    ]
    assert [line for line, _ in problems] == [3, 7, 8, 15, 19]
    assert "[term: processus d’embauche]" in problems[0][1]  # the title
    assert "[term: CV]" in problems[1][1]  # the description's second line; `id: cv` and the key are not text
    assert problems[2][1].startswith("« 88 000 »")
    assert "[term: dans ce rôle]" in problems[3][1]
    assert problems[4][1] == (
        "glossary-ok for « leçons apprises » gives no reason (glossary-ok: term — reason)"
    )
    # The displayed path is relative to the root given.
    assert {
        str(problem.path)
        for problem in glossary.check_content([tmp_path / "fr"], tmp_path, terms, french=True)
    } == {"fr/jobs/analyste.md"}


def test_i18n_check_reports_content_findings_with_path_and_line(make_app, tmp_path):
    root = tmp_path / "content"
    (root / "fr" / "blog").mkdir(parents=True)
    (root / "en" / "blog").mkdir(parents=True)
    (root / "fr" / "blog" / "billet.md").write_text(
        "---\ntitle: Les leçons apprises\ndate: 2026-01-01\n---\nTexte.\n", encoding="utf-8"
    )
    app = make_app(PORTAL_CONTENT_DIR=str(root))
    result = app.test_cli_runner().invoke(args=["i18n", "check"])
    assert result.exit_code == 1
    assert (
        f"{root / 'fr' / 'blog' / 'billet.md'}:2: « leçons apprises »: write enseignements tirés"
        in result.stdout
    )


def test_i18n_glossary_prints_the_table(runner):
    result = runner.invoke(args=["i18n", "glossary", "fr"])
    assert result.exit_code == 0
    assert result.stdout == glossary.markdown_table(glossary.load(FRENCH))


def test_the_pipeline_statuses_in_the_catalog_are_the_glossary_s(terms):
    with open(PROJECT_ROOT / "translations/fr/LC_MESSAGES/messages.po", "rb") as po_file:
        catalog = read_po(po_file, locale="fr")
    statuses = {
        entry.concept.removesuffix(" (status)"): entry.use
        for entry in terms.entries
        if "(status)" in entry.concept
    }
    assert set(statuses) == {"Received", "Screening", "Interview", "Offer", "Hired", "Rejected", "Withdrawn"}
    assert {status: catalog.get(status).string for status in statuses} == statuses


def test_typography_and_numbers_are_checked_only_in_french(terms):
    text = "Date limite: 88 000 $, votre CV"
    assert [problem.rsplit("[", 1)[-1] for problem in glossary.text_problems(text, terms, french=False)] == [
        "term: CV]"
    ]
    assert len(glossary.text_problems(text, terms, french=True)) == 3


def test_i18n_glossary_of_a_language_without_one_says_so(runner):
    result = runner.invoke(args=["i18n", "glossary", "en"])
    assert result.exit_code == 1
    assert "en has no glossary" in result.stderr
