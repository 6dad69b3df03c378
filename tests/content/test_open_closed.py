"""A posting open in one language and closed in another, or closing at
different times, is reported by `flask content check` (a warning with
path:line) and by `flask content translations`."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from portal.content import Severity
from portal.content.loader import load
from portal.content.translations import FindingKind, translation_report
from tests.conftest import LANGUAGES, create_staff, shared_path

ZONE = ZoneInfo("America/Toronto")


def posting(title: str, extra: str = "") -> str:
    return f"---\nlayout: job-posting\ntitle: {title}\ntranslationKey: analyst\n{extra}---\nBody.\n"


@pytest.fixture
def tree(content_tree):
    """An analyst posting open in English, archived in French (line 5), and
    a writer posting whose French closes a day later (line 5)."""
    content_tree("en/jobs/analyst.md", posting("Analyst"))
    content_tree("fr/emplois/analyste.md", posting("Analyste", "archived: true\n"))
    writer = "---\nlayout: job-posting\ntitle: {}\ntranslationKey: writer\nclosingDate: {}\n---\nBody.\n"
    content_tree("en/jobs/writer.md", writer.format("Writer", "2099-03-01"))
    content_tree("fr/emplois/redactrice.md", writer.format("Rédactrice", "2099-03-02"))
    return content_tree


def test_check_warns_with_path_and_line(tree):
    problems = load([str(tree.root)], LANGUAGES, ZONE).problems
    by_file = {(p.path.split("/content/")[1], p.line, p.severity): p.message for p in problems}
    closed = by_file[("fr/emplois/analyste.md", 5, Severity.WARNING)]
    assert closed.startswith("closed here (archived) but open in ") and "en/jobs/analyst.md" in closed
    assert by_file[("fr/emplois/redactrice.md", 5, Severity.WARNING)].startswith("closingDate differs from ")


def test_check_command_lists_them_as_warnings(runner, tree):
    result = runner.invoke(args=["content", "check", str(tree.root)])
    assert f"{tree.root}/fr/emplois/analyste.md:5: warning: closed here (archived)" in result.stdout
    assert f"{tree.root}/fr/emplois/redactrice.md:5: warning: closingDate differs" in result.stdout
    assert result.exit_code == 0, "warnings, not errors: both pages are still served"


def test_translations_report_has_both_kinds(runner, tree):
    result = runner.invoke(args=["content", "translations", "--json", str(tree.root)])
    document = json.loads(result.stdout)
    assert document["counts"]["open-closed"] == 1 and document["counts"]["closing-date"] == 1
    by_kind = {finding["kind"]: finding for finding in document["findings"]}
    closed = by_kind["open-closed"]
    assert (closed["language"], closed["other_language"], closed["line"]) == ("fr", "en", 5)
    assert closed["path"].endswith("fr/emplois/analyste.md")
    dates = by_kind["closing-date"]
    assert dates["path"].endswith("fr/emplois/redactrice.md") and dates["line"] == 5
    text = runner.invoke(args=["content", "translations", str(tree.root)])
    assert f"{tree.root}/fr/emplois/analyste.md:5: open-closed: " in text.stdout
    assert "1 open in one language only, 1 with different closing dates" in text.stderr


@pytest.mark.parametrize("closed_lang", LANGUAGES)
def test_whichever_language_is_closed_is_named(content_tree, closed_lang):
    for lang, path in (("en", "en/jobs/analyst.md"), ("fr", "fr/emplois/analyste.md")):
        content_tree(path, posting(lang, "draft: false\narchived: true\n" if lang == closed_lang else ""))
    report = translation_report(load([str(content_tree.root)], LANGUAGES, ZONE), LANGUAGES)
    (finding,) = report.of_kind(FindingKind.OPEN_CLOSED)
    assert finding.file.language == closed_lang and finding.line == 6


def test_a_pair_closed_in_both_languages_is_fine(content_tree):
    content_tree("en/jobs/analyst.md", posting("Analyst", "archived: true\n"))
    content_tree("fr/emplois/analyste.md", posting("Analyste", "archived: true\n"))
    report = translation_report(load([str(content_tree.root)], LANGUAGES, ZONE), LANGUAGES)
    assert report.of_kind(FindingKind.OPEN_CLOSED) == ()


@pytest.mark.corpus
def test_the_real_senior_policy_advisor_is_reported(runner):
    root = str(shared_path("corpus", "cds-site", "digital-canada-ca", "content"))
    check = runner.invoke(args=["content", "check", root])
    (line,) = [line for line in check.stdout.splitlines() if "closed here" in line]
    assert line.startswith(f"{root}/fr/careers/positions/conseiller-principal-en-politiques.md:")
    assert ": warning: closed here (archived) but open in " in line
    assert line.endswith(
        "en/work-with-us/positions/senior-policy-advisor.md: "
        "en readers can apply, fr readers are told it is closed"
    )
    report = json.loads(runner.invoke(args=["content", "translations", "--json", root]).stdout)
    (finding,) = [f for f in report["findings"] if f["kind"] == "open-closed"]
    assert finding["file"]["title"] != finding["other"]["title"]
    assert finding["other"]["path"].endswith("senior-policy-advisor.md")


@pytest.mark.parametrize(
    ("lang", "url", "headings"),
    [
        ("en", "/en/staff/translations/", ("Open in one language", "Closing on another date")),
        ("fr", "/fr/personnel/traductions/", ("Offre ouverte dans une langue", "Date limite différente")),
    ],
)
def test_the_staff_page_lists_both_kinds(make_app, database_url, tree, page, lang, url, headings):
    staff = create_staff(
        make_app(DATABASE_URL=database_url, RATELIMIT_ENABLED=False, PORTAL_CONTENT_DIR=str(tree.root))
    )
    result = page(staff.client(staff.admin).get(url), lang=lang)
    sections = {h2["id"]: h2 for h2 in result.soup.select("h2[id]")}
    assert sections["open-closed"].get_text(strip=True).startswith(headings[0])
    assert sections["closing-date"].get_text(strip=True).startswith(headings[1])
    open_closed = sections["open-closed"].find_next("table").get_text(" ")
    assert "fr/emplois/analyste.md" in open_closed and "en/jobs/analyst.md" in open_closed
    dates = sections["closing-date"].find_next("table").get_text(" ")
    assert "redactrice.md" in dates or "writer.md" in dates
