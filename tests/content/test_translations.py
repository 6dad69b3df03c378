"""The translators' report: `flask content translations` and the staff page."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.content.loader import load
from portal.content.translations import (
    FindingKind,
    GitCommitTimes,
    UnpairedReason,
    body_likeness,
    body_words,
    translation_report,
)
from tests.conftest import create_staff, shared_path

LANGUAGES = ["en", "fr"]
ZONE = ZoneInfo("America/Toronto")

ENGLISH_BODY = """
Our team builds forms that people can fill in on any phone. We test every
page with screen readers and with people who use them every day, and we
publish what we learn so other teams can reuse it.
"""
FRENCH_BODY = """
Notre équipe conçoit des formulaires que l’on peut remplir sur n’importe quel
téléphone. Nous testons chaque page avec des lecteurs d’écran et avec les
personnes qui s’en servent chaque jour, puis nous publions nos leçons.
"""


def posting(title: str, key: str | None, body: str = ENGLISH_BODY) -> str:
    key_line = f"translationKey: {key}\n" if key is not None else ""
    return f"---\nlayout: job-posting\ntitle: {title}\n{key_line}---\n{body}"


def story(title: str, key: str | None, body: str = ENGLISH_BODY) -> str:
    key_line = f"translationKey: {key}\n" if key is not None else ""
    return f"---\nlayout: blog\ntitle: {title}\n{key_line}---\n{body}"


def report_for(root, **options):
    index = load([str(root)], LANGUAGES, ZONE)
    return translation_report(index, LANGUAGES, **options)


def findings_of(report, kind):
    return {Path(finding.file.path).name: finding for finding in report.of_kind(kind)}


# Unpaired files and likely pairs ------------------------------------------------


def test_unpaired_files_are_reported_with_the_reason(content_tree):
    content_tree("en/jobs/data-analyst.md", posting("Data analyst", "data-analyst"))
    content_tree("fr/emplois/analyste.md", posting("Analyste de données", "data-analyst", FRENCH_BODY))
    content_tree("en/jobs/no-key.md", posting("Accessibility lead", None))
    content_tree("fr/emplois/seul.md", posting("Conseiller en politiques", "policy-fr-only", FRENCH_BODY))
    report = report_for(content_tree.root)
    unpaired = findings_of(report, FindingKind.UNPAIRED)
    assert set(unpaired) == {"no-key.md", "seul.md"}
    assert unpaired["no-key.md"].reason is UnpairedReason.NO_KEY
    assert unpaired["no-key.md"].other_language == "fr"
    assert unpaired["seul.md"].reason is UnpairedReason.NO_MATCH
    assert unpaired["seul.md"].other_language == "en"
    assert unpaired["seul.md"].line == 4  # the translationKey line
    assert "no en file has translationKey 'policy-fr-only'" in unpaired["seul.md"].message
    # Accessibility lead and the policy posting are not alike: no suggestion.
    assert unpaired["no-key.md"].suggestion is None and unpaired["seul.md"].suggestion is None


def test_an_unpaired_file_gets_its_likely_pair_both_ways(content_tree):
    content_tree(
        "en/blog/team-offsite-recap.md", story("What we learned at our offsite", "team-offsite-recap")
    )
    content_tree(
        "fr/blog/bilan-de-la-retraite.md", story("Ce que nous avons appris", "eam-offsite-recap", FRENCH_BODY)
    )
    content_tree("fr/blog/autre.md", story("Une tout autre histoire", "budget-2024-explained", FRENCH_BODY))
    report = report_for(content_tree.root)
    unpaired = findings_of(report, FindingKind.UNPAIRED)
    english, french = unpaired["team-offsite-recap.md"], unpaired["bilan-de-la-retraite.md"]
    assert english.suggestion.path == french.file.path
    assert french.suggestion.path == english.file.path
    assert english.suggestion.key == "eam-offsite-recap"
    assert english.likeness == french.likeness and english.likeness > 0.9
    assert "likely pair:" in english.message and "give both the same translationKey" in english.message
    assert unpaired["autre.md"].suggestion is None


def test_a_likely_pair_is_only_looked_for_in_the_same_kind(content_tree):
    content_tree("en/jobs/offsite.md", posting("Offsite coordinator", "team-offsite-recap"))
    content_tree("fr/blog/bilan.md", story("Bilan", "eam-offsite-recap", FRENCH_BODY))
    unpaired = findings_of(report_for(content_tree.root), FindingKind.UNPAIRED)
    assert unpaired["offsite.md"].suggestion is None and unpaired["bilan.md"].suggestion is None


def test_a_counterpart_not_served_is_named_instead_of_a_guess(content_tree):
    content_tree("en/jobs/designer.md", posting("Service designer", "designer-2024"))
    # The French file has the key but no title: the loader skips it.
    content_tree(
        "fr/emplois/designer.md", "---\nlayout: job-posting\ntranslationKey: designer-2024\n---\nTexte.\n"
    )
    content_tree("fr/emplois/designer-2.md", posting("Concepteur", "designer-2025", FRENCH_BODY))
    unpaired = findings_of(report_for(content_tree.root), FindingKind.UNPAIRED)
    finding = unpaired["designer.md"]
    assert finding.reason is UnpairedReason.COUNTERPART_NOT_SERVED
    assert finding.other.path.endswith("fr/emplois/designer.md")
    assert finding.suggestion is None
    assert "is not served" in finding.message


def test_a_key_used_twice_names_the_file_paired_instead(content_tree):
    content_tree("en/jobs/a.md", posting("Writer", "writer"))
    content_tree("en/jobs/b.md", posting("Writer (copy)", "writer"))
    content_tree("fr/emplois/a.md", posting("Rédacteur", "writer", FRENCH_BODY))
    unpaired = findings_of(report_for(content_tree.root), FindingKind.UNPAIRED)
    assert set(unpaired) == {"b.md"}
    assert unpaired["b.md"].reason is UnpairedReason.KEY_USED_TWICE
    assert unpaired["b.md"].other.path.endswith("en/jobs/a.md")


# Keys paired only after normalisation -------------------------------------------


def test_keys_paired_only_after_normalisation_are_reported(content_tree):
    content_tree("en/blog/hiring.md", story("How we hire", "how-we-hire"))
    content_tree("fr/blog/embauche.md", story("Comment nous embauchons", "how-we-hire/", FRENCH_BODY))
    content_tree("en/blog/retro.md", story("Retrospective", "Retro-On-API"))
    content_tree("fr/blog/retro.md", story("Rétrospective", "retro-on-api", FRENCH_BODY))
    content_tree("en/blog/same.md", story("Same key", "same-key"))
    content_tree("fr/blog/same.md", story("Même clé", "same-key", FRENCH_BODY))
    report = report_for(content_tree.root)
    assert report.of_kind(FindingKind.UNPAIRED) == ()
    inexact = report.of_kind(FindingKind.INEXACT_KEY)
    by_path = {finding.file.path.removeprefix(str(content_tree.root) + "/"): finding for finding in inexact}
    assert set(by_path) == {"fr/blog/embauche.md", "en/blog/retro.md"}
    slash = by_path["fr/blog/embauche.md"]
    assert (slash.file.key, slash.other.key) == ("how-we-hire/", "how-we-hire")
    assert "removing a trailing slash" in slash.message and slash.line == 4
    case = by_path["en/blog/retro.md"]
    assert (case.file.key, case.other.key) == ("Retro-On-API", "retro-on-api")
    assert "lower-casing" in case.message and "write it 'retro-on-api'" in case.message


# Untranslated counterparts ------------------------------------------------------


def test_a_counterpart_with_the_same_body_is_untranslated(content_tree):
    content_tree("en/jobs/writer.md", posting("Content writer", "writer"))
    content_tree(
        "fr/emplois/writer.md",
        posting("Rédacteur de contenu", "writer", ENGLISH_BODY.replace("every day", "daily")),
    )
    content_tree("en/jobs/designer.md", posting("Designer", "designer"))
    content_tree("fr/emplois/designer.md", posting("Concepteur", "designer", FRENCH_BODY))
    untranslated = findings_of(report_for(content_tree.root), FindingKind.UNTRANSLATED)
    assert set(untranslated) == {"writer.md"}
    finding = untranslated["writer.md"]
    assert finding.file.language == "fr" and finding.other.language == "en"
    assert 0.9 <= finding.likeness < 1 and not finding.same_title
    assert "the same text as in" in finding.message


def test_a_long_identical_title_is_untranslated_a_short_one_is_a_name(content_tree):
    content_tree("en/jobs/long.md", posting("Senior Platform Reliability Engineer", "long"))
    content_tree("fr/emplois/long.md", posting("Senior Platform Reliability Engineer", "long", FRENCH_BODY))
    content_tree("en/blog/notify.md", story("GC Notify", "notify"))
    content_tree("fr/blog/notify.md", story("GC Notify", "notify", FRENCH_BODY))
    untranslated = findings_of(report_for(content_tree.root), FindingKind.UNTRANSLATED)
    assert set(untranslated) == {"long.md"}
    assert untranslated["long.md"].same_title and untranslated["long.md"].likeness is None


def test_short_identical_bodies_are_not_called_untranslated():
    assert body_likeness(body_words("<p>Apply now.</p>"), body_words("<p>Apply now.</p>")) is None
    words = body_words("<p>" + " ".join(["word"] * 20) + "</p>")
    assert body_likeness(words, words) == 1.0
    assert body_words("<p>A&nbsp;b <em>c</em></p>") == ["A", "b", "c"]


# Stale translations (git) -------------------------------------------------------


def git(folder: Path, *arguments: str, when: str | None = None) -> None:
    environment = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    if when:
        environment.update(GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Test Translator",
            "-c",
            "user.email=translator@nds.example",
            "-c",
            "commit.gpgsign=false",
            *arguments,
        ],
        cwd=folder,
        env=environment,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def git_content(content_tree):
    """A content tree in a git repository: the English file committed on
    2020-01-01, the French one on 2020-03-01 (60 days later)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = content_tree.root
    content_tree("en/jobs/analyst.md", posting("Analyst", "analyst"))
    content_tree("fr/emplois/analyste.md", posting("Analyste", "analyst", FRENCH_BODY))
    git(root, "init", "--quiet")
    git(root, "add", "en")
    git(root, "commit", "--quiet", "-m", "English", when="2020-01-01T12:00:00+00:00")
    git(root, "add", "fr")
    git(root, "commit", "--quiet", "-m", "French", when="2020-03-01T12:00:00+00:00")
    return content_tree


def test_a_counterpart_much_older_than_its_source_is_stale(git_content):
    report = report_for(git_content.root)
    assert report.git_history
    stale = findings_of(report, FindingKind.STALE)
    assert set(stale) == {"analyst.md"}
    finding = stale["analyst.md"]
    assert finding.days_behind == 60 and finding.other.path.endswith("fr/emplois/analyste.md")
    assert "60 days before" in finding.message


def test_stale_days_is_configurable(git_content):
    assert report_for(git_content.root, stale_days=59).of_kind(FindingKind.STALE)
    assert report_for(git_content.root, stale_days=60).of_kind(FindingKind.STALE) == ()


def test_staleness_is_skipped_outside_git_and_without_git(content_tree, monkeypatch):
    content_tree("en/jobs/analyst.md", posting("Analyst", "analyst"))
    content_tree("fr/emplois/analyste.md", posting("Analyste", "analyst", FRENCH_BODY))
    outside = report_for(content_tree.root)
    assert not outside.git_history and outside.of_kind(FindingKind.STALE) == ()
    monkeypatch.setenv("PATH", "")
    path = str(content_tree.root / "en/jobs/analyst.md")
    assert GitCommitTimes()(path) is None
    assert report_for(content_tree.root).of_kind(FindingKind.STALE) == ()


def test_commit_times_can_be_given(content_tree):
    """The report takes any clock, so callers may cache or fake commit times."""
    english = content_tree("en/jobs/analyst.md", posting("Analyst", "analyst"))
    content_tree("fr/emplois/analyste.md", posting("Analyste", "analyst", FRENCH_BODY))
    times = {str(english): 0}
    report = report_for(content_tree.root, commit_time=lambda path: times.get(path, 31 * 86400))
    assert [finding.file.path for finding in report.of_kind(FindingKind.STALE)] == [str(english)]


# The command ---------------------------------------------------------------------


def write_every_kind(content_tree):
    content_tree("en/jobs/only-english.md", posting("Only in English", "only-english"))
    content_tree("en/blog/hiring.md", story("How we hire", "how-we-hire"))
    content_tree("fr/blog/embauche.md", story("Comment nous embauchons", "how-we-hire/", FRENCH_BODY))
    content_tree("en/jobs/writer.md", posting("Content writer", "writer"))
    content_tree("fr/emplois/writer.md", posting("Rédacteur", "writer"))


def test_the_command_prints_one_line_per_finding_and_exits_0(runner, content_tree):
    write_every_kind(content_tree)
    result = runner.invoke(args=["content", "translations", str(content_tree.root)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    root = str(content_tree.root)
    assert lines[0].startswith(f"{root}/en/jobs/only-english.md:4: unpaired: no fr file has")
    assert lines[1].startswith(f"{root}/fr/blog/embauche.md:4: inexact-key: ")
    assert lines[2].startswith(f"{root}/fr/emplois/writer.md:1: untranslated: ")
    assert len(lines) == 3
    assert "5 documents, 2 translation pairs" in result.stderr
    assert "1 unpaired (0 with a likely pair), 1 inexact keys, 1 untranslated, 0 stale" in result.stderr


def test_the_command_prints_json_for_scripts(runner, content_tree):
    write_every_kind(content_tree)
    result = runner.invoke(args=["content", "translations", "--json", str(content_tree.root)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["counts"] == {
        "unpaired": 1,
        "inexact-key": 1,
        "untranslated": 1,
        "stale": 0,
        "open-closed": 0,
        "closing-date": 0,
    }
    assert document["stale_days"] == 30 and document["git_history"] is False
    kinds = [finding["kind"] for finding in document["findings"]]
    assert kinds == ["unpaired", "inexact-key", "untranslated"]
    inexact = document["findings"][1]
    assert inexact["language"] == "fr" and inexact["key"] == "how-we-hire/"
    assert inexact["other"]["key"] == "how-we-hire" and inexact["other"]["language"] == "en"
    assert inexact["path"].endswith("fr/blog/embauche.md") and inexact["content"] == "blog"
    assert document["findings"][0]["reason"] == "no-match"
    assert document["findings"][0]["suggestion"] is None


def test_the_command_takes_stale_days(runner, git_content):
    args = ["content", "translations", "--json", str(git_content.root)]
    assert json.loads(runner.invoke(args=args).stdout)["counts"]["stale"] == 1
    relaxed = runner.invoke(args=[*args, "--stale-days", "90"])
    assert json.loads(relaxed.stdout)["counts"]["stale"] == 0
    assert runner.invoke(args=[*args, "--stale-days", "-1"]).exit_code == 2


# The staff page ------------------------------------------------------------------


@pytest.fixture
def translations_staff(make_app, database_url, content_tree):
    """Staff accounts on a portal serving a tree with every kind of finding."""
    write_every_kind(content_tree)
    content_tree(
        "en/blog/team-offsite-recap.md", story("What we learned at our offsite", "team-offsite-recap")
    )
    content_tree("fr/blog/bilan.md", story("Ce que nous avons appris", "eam-offsite-recap", FRENCH_BODY))
    return create_staff(
        make_app(
            DATABASE_URL=database_url, RATELIMIT_ENABLED=False, PORTAL_CONTENT_DIR=str(content_tree.root)
        )
    )


@pytest.mark.parametrize(
    ("lang", "url"), [("en", "/en/staff/translations/"), ("fr", "/fr/personnel/traductions/")]
)
def test_the_staff_page_shows_the_report_to_admins(translations_staff, page, lang, url):
    result = page(translations_staff.client(translations_staff.admin).get(url), lang=lang)
    if lang == "en":
        assert result.h1 == "Content translations"
    tables = result.soup.select("table")
    # Summary, unpaired, inexact keys, untranslated (no git: no stale table), no open/closed pair or date.
    assert len(tables) == 4
    assert all(table.caption and table.caption.get_text(strip=True) for table in tables)
    assert all(th.get("scope") in ("col", "row") for th in result.soup.select("th"))
    text = result.text
    assert "en/jobs/only-english.md" in text and "fr/blog/embauche.md" in text
    assert "how-we-hire/" in text and "fr/emplois/writer.md" in text
    assert "fr/blog/bilan.md" in text and "eam-offsite-recap" in text  # the likely pair
    assert url in result.links()  # the admin nav links to the page


@pytest.mark.parametrize("who", ["assigned", "unassigned"])
def test_the_staff_page_is_hidden_from_reviewers(translations_staff, who):
    client = translations_staff.client(getattr(translations_staff, who))
    assert client.get("/en/staff/translations/").status_code == 404
    assert "/en/staff/translations/" not in client.get("/en/staff/").get_data(as_text=True)


# The real corpus -----------------------------------------------------------------


CORPUS_ROOTS = ("digital-canada-ca/content", "digital-canada-ca-website/content")


def nfc(path: str | Path) -> str:
    return unicodedata.normalize("NFC", os.path.normpath(str(path)))


@pytest.fixture(scope="module")
def corpus_report():
    corpus = shared_path("corpus", "cds-site")
    index = load([str(corpus / root) for root in CORPUS_ROOTS], LANGUAGES, ZONE)
    return corpus, index, translation_report(index, LANGUAGES)


@pytest.mark.corpus
def test_corpus_mismatched_blog_pairs_are_found(corpus_report):
    _corpus, _index, report = corpus_report
    blog = [finding for finding in report.findings if finding.content == "blog"]
    inexact = {
        (finding.other.key, finding.file.key) for finding in blog if finding.kind is FindingKind.INEXACT_KEY
    }
    assert inexact == {
        ("wanted-ceo-cds", "wanted-ceo-cds/"),
        ("retrospective-on-energuide-api", "retrospective-on-EnerGuide-api"),
    }
    unpaired = {finding.file.key: finding for finding in blog if finding.kind is FindingKind.UNPAIRED}
    assert set(unpaired) == {"in-this-together", "n-this-together"}
    assert unpaired["in-this-together"].suggestion.key == "n-this-together"
    assert unpaired["n-this-together"].suggestion.key == "in-this-together"


@pytest.mark.corpus
def test_corpus_unpaired_postings_are_the_manifests(corpus_report):
    corpus, index, report = corpus_report
    with open(corpus / "MANIFEST.tsv", encoding="utf-8", newline="") as manifest:
        rows = list(csv.DictReader(manifest, delimiter="\t"))
    listed = {nfc(corpus / row["file"]) for row in rows if row["note"].startswith("UNPAIRED")}
    assert len(listed) == 6
    served = {nfc(document.source) for document in index.documents.values()}
    assert listed <= served, "an UNPAIRED file is shadowed by another with its slug"
    postings = [finding for finding in report.of_kind(FindingKind.UNPAIRED) if finding.content == "jobs"]
    no_match = {nfc(finding.file.path) for finding in postings if finding.reason is UnpairedReason.NO_MATCH}
    assert no_match == listed
    # The other unpaired postings are explained: no key, or a counterpart the
    # loader does not serve (its slug is taken by another file).
    others = {finding.reason for finding in postings if nfc(finding.file.path) not in listed}
    assert others <= {UnpairedReason.NO_KEY, UnpairedReason.COUNTERPART_NOT_SERVED}


def test_the_staff_page_reads_git_once_per_content_version(git_content, make_app, database_url, monkeypatch):
    """The report reads each file's history with git: done once for a version
    of the content, not on every visit of the page."""
    import portal.content.translations as translations

    calls = []
    real_run = subprocess.run

    def counting_run(arguments, *args, **kwargs):
        if arguments[0] == "git":
            calls.append(arguments)
        return real_run(arguments, *args, **kwargs)

    monkeypatch.setattr(translations.subprocess, "run", counting_run)
    staff = create_staff(
        make_app(
            DATABASE_URL=database_url,
            RATELIMIT_ENABLED=False,
            PORTAL_CONTENT_DIR=str(git_content.root),
            PORTAL_CONTENT_RELOAD_INTERVAL=0,
        )
    )
    client = staff.client(staff.admin)
    first = client.get("/en/staff/translations/")
    assert first.status_code == 200 and "analyst.md" in first.get_data(as_text=True)
    after_first = len(calls)
    assert after_first >= 2
    assert client.get("/en/staff/translations/").status_code == 200
    assert client.get("/fr/personnel/traductions/").status_code == 200
    assert len(calls) == after_first
    git_content("en/jobs/new.md", posting("New", "new"))
    assert client.get("/en/staff/translations/").status_code == 200
    assert len(calls) > after_first, "a new version of the content gets a new report"
