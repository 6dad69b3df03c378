"""Job facts read from front matter: values, the CDS site's prose, and bad values reported."""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.content import Kind, Severity
from portal.content.jobfacts import (
    EmploymentType,
    LanguageRequirement,
    Location,
    RemoteWork,
    Salary,
    SalaryPeriod,
    read_job_facts,
)
from portal.content.loader import load

TORONTO = ZoneInfo("America/Toronto")
ATTRIBUTES = {
    "classification": "classifications",
    "salary": "salary",
    "employmentType": "employment_type",
    "termEnd": "term_end",
    "locations": "locations",
    "remote": "remote",
    "languageRequirement": "language",
    "languageLevels": "language_levels",
}


def read(data: dict):
    """Return the facts and every report, as (key, message, error)."""
    reports = []
    facts = read_job_facts(data, lambda key, message, error=True: reports.append((key, message, error)))
    return facts, reports


def test_every_fact_is_read_as_data():
    facts, reports = read(
        {
            "classification": "it-3",
            "salary": {"min": "88,000", "max": 110000, "currency": "cad", "period": "Year"},
            "employmentType": "Term",
            "termEnd": date(2028, 3, 31),
            "locations": ["Ottawa, ON", {"city": "Montréal", "province": "Québec"}],
            "remote": "hybrid",
            "languageRequirement": "bilingual-imperative",
            "languageLevels": "cbc/cbc",
        }
    )
    assert reports == []
    assert facts.classifications == ("IT-03",)
    assert facts.salary == Salary(Decimal(88000), Decimal(110000), "CAD", SalaryPeriod.YEAR)
    assert facts.employment_type is EmploymentType.TERM
    assert facts.term_end == date(2028, 3, 31)
    assert facts.locations == (Location("Ottawa", "ON"), Location("Montréal", "QC"))
    assert facts.provinces == {"ON", "QC"}
    assert facts.remote is RemoteWork.HYBRID
    assert facts.language is LanguageRequirement.BILINGUAL_IMPERATIVE
    assert facts.language_levels == "CBC/CBC"


def test_a_posting_without_facts_has_none():
    facts, reports = read({"title": "Developer"})
    assert not facts and reports == []


@pytest.mark.parametrize(
    ("written", "requirement", "levels"),
    [
        ("English essential", LanguageRequirement.ENGLISH_ESSENTIAL, ""),
        ("Anglais essentiel", LanguageRequirement.ENGLISH_ESSENTIAL, ""),
        ("Français essentiel", LanguageRequirement.FRENCH_ESSENTIAL, ""),
        ("English or French", LanguageRequirement.ENGLISH_OR_FRENCH, ""),
        ("Bilingual imperative (BBB/BBB)", LanguageRequirement.BILINGUAL_IMPERATIVE, "BBB/BBB"),
        ("Bilingue impératif (CBC/CBC)", LanguageRequirement.BILINGUAL_IMPERATIVE, "CBC/CBC"),
        ("Bilingual - Non-imperative CBC/CBC", LanguageRequirement.BILINGUAL_NON_IMPERATIVE, "CBC/CBC"),
        ("Bilingue non impératif (BBB/BBB)", LanguageRequirement.BILINGUAL_NON_IMPERATIVE, "BBB/BBB"),
        ("various", LanguageRequirement.VARIOUS, ""),
    ],
)
def test_the_cds_sites_prose_language_requirements_are_understood(written, requirement, levels):
    facts, reports = read({"languageRequirement": written})
    assert (facts.language, facts.language_levels) == (requirement, levels)
    assert [report for report in reports if report[2]] == []


@pytest.mark.parametrize(
    ("data", "key", "words"),
    [
        ({"classification": "Senior developer"}, "classification", "group and level"),
        ({"salary": {"min": 110000, "max": 88000}}, "salary", "more than max"),
        ({"salary": {"min": "lots"}}, "salary", "must be amounts"),
        ({"salary": "88000"}, "salary", "mapping"),
        ({"salary": {"min": 1, "period": "fortnight"}}, "salary", "fortnight"),
        ({"salary": {"min": 1, "currency": "dollars"}}, "salary", "three-letter"),
        ({"employmentType": "permanent"}, "employmentType", "indeterminate, term"),
        ({"employmentType": "term", "termEnd": "next spring"}, "termEnd", "not a date"),
        ({"locations": ["Ottawa"]}, "locations", "city and a province"),
        ({"locations": ["Springfield, ZZ"]}, "locations", "city and a province"),
        ({"remote": "sometimes"}, "remote", "on-site, hybrid, remote"),
        ({"languageRequirement": "Klingon"}, "languageRequirement", "english-essential"),
        (
            {"languageRequirement": "bilingual-imperative", "languageLevels": "BB"},
            "languageLevels",
            "BBB/BBB",
        ),
        (
            {"languageRequirement": "english-essential", "languageLevels": "BBB/BBB"},
            "languageLevels",
            "not bilingual",
        ),
    ],
)
def test_a_bad_value_is_an_error_and_left_out(data, key, words):
    facts, reports = read(data)
    errors = [(k, message) for k, message, error in reports if error]
    assert errors and errors[0][0] == key and words in errors[0][1], reports
    assert not getattr(facts, ATTRIBUTES[key])


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"employmentType": "term"}, "employmentType"),
        ({"languageRequirement": "bilingual-imperative"}, "languageRequirement"),
    ],
)
def test_what_is_missing_is_a_warning(data, key):
    _, reports = read(data)
    assert [(k, error) for k, _, error in reports] == [(key, False)]


def test_bad_facts_are_reported_with_path_and_line_and_the_posting_is_served(content_tree):
    content_tree(
        "en/jobs/analyst.md",
        """
        ---
        layout: job-posting
        title: Analyst
        classification: EC-05
        salary:
          min: 90000
          max: 80000
        remote: sometimes
        ---
        Body.
        """,
    )
    index = load([content_tree.root], ["en", "fr"], TORONTO)
    posting = index.get(Kind.POSTING, "en", "analyst")
    assert posting is not None
    assert posting.facts.classifications == ("EC-05",) and posting.facts.salary is None
    errors = {(p.line, p.message.split()[0]) for p in index.problems if p.severity is Severity.ERROR}
    assert errors >= {(5, "salary"), (8, "remote")}


def test_translations_stating_different_facts_are_warned_about(content_tree):
    for path, province in (("en/jobs/analyst.md", "ON"), ("fr/emplois/analyste.md", "QC")):
        content_tree(
            path,
            f"""
            ---
            layout: job-posting
            title: Analyst
            translationKey: analyst
            locations: ["Gatineau, {province}"]
            ---
            Body.
            """,
        )
    index = load([content_tree.root], ["en", "fr"], TORONTO)
    assert any(
        "job facts" in p.message and p.path.endswith("analyste.md") and p.severity is Severity.WARNING
        for p in index.problems
    )
