"""Merit criteria read from front matter: kinds, bad entries reported, translations compared."""

from zoneinfo import ZoneInfo

import pytest

from portal.content import Kind, Severity
from portal.content.criteria import Criterion, CriterionKind, read_criteria
from portal.content.loader import load

TORONTO = ZoneInfo("America/Toronto")


def read(value):
    """Return the criteria and every report."""
    reports = []
    return read_criteria(value, reports.append), reports


def test_criteria_are_read_in_order_with_their_kind():
    criteria, reports = read(
        [
            {"id": "degree", "kind": "essential", "label": "A degree in\n  computer science"},
            {"id": "python", "kind": "Asset", "label": "Python in production"},
        ]
    )
    assert reports == []
    assert criteria == (
        Criterion("degree", CriterionKind.ESSENTIAL, "A degree in computer science"),
        Criterion("python", CriterionKind.ASSET, "Python in production"),
    )


def test_a_label_keeps_its_non_breaking_spaces():
    criteria, _ = read([{"id": "files", "kind": "asset", "label": "Fichiers de 5\u00a0Mo"}])
    assert criteria[0].label == "Fichiers de 5\u00a0Mo"


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("A degree", "must be a mapping"),
        ({"kind": "essential", "label": "A degree"}, "has no id"),
        ({"id": "degree", "kind": "essential"}, "has no label"),
        ({"id": "degree", "kind": "required", "label": "A degree"}, "is not essential or asset"),
    ],
)
def test_a_bad_entry_is_reported_and_left_out(entry, words):
    criteria, reports = read([entry, {"id": "python", "kind": "asset", "label": "Python"}])
    assert [criterion.id for criterion in criteria] == ["python"]
    assert len(reports) == 1 and reports[0].startswith("criterion 1:") and words in reports[0]


def test_an_id_used_twice_keeps_the_first():
    criteria, reports = read(
        [
            {"id": "degree", "kind": "essential", "label": "A degree"},
            {"id": "degree", "kind": "asset", "label": "A second degree"},
        ]
    )
    assert [criterion.label for criterion in criteria] == ["A degree"]
    assert reports == ["criterion 2: id 'degree' is used twice; left out"]


def test_criteria_that_are_not_a_list_are_reported():
    criteria, reports = read("A degree")
    assert criteria == () and "must be a list" in reports[0]


def test_bad_criteria_are_errors_with_path_and_line_and_the_posting_is_served(content_tree):
    content_tree(
        "en/jobs/analyst.md",
        """
        ---
        layout: job-posting
        title: Analyst
        criteria:
          - id: degree
            kind: essential
            label: A degree
          - id: degree
            kind: asset
            label: Twice
        ---
        Body.
        """,
    )
    index = load([content_tree.root], ["en", "fr"], TORONTO)
    posting = index.get(Kind.POSTING, "en", "analyst")
    assert posting is not None
    assert [criterion.id for criterion in posting.criteria] == ["degree"]
    reported = [p for p in index.problems if "criterion" in p.message]
    assert [(p.path.endswith("analyst.md"), p.line, p.severity) for p in reported] == [
        (True, 4, Severity.ERROR)
    ]
    assert "used twice" in reported[0].message
    assert not [p for p in index.problems if "unknown front-matter key" in p.message]


@pytest.mark.parametrize(
    ("french", "differs"),
    [
        ("[{id: degree, kind: essential, label: Un grade}]", False),
        ("[{id: grade, kind: essential, label: Un grade}]", True),
        ("[{id: degree, kind: asset, label: Un grade}]", True),
        ("[]", True),
    ],
)
def test_translations_with_different_criteria_are_warned_about(content_tree, french, differs):
    for path, criteria in (
        ("en/jobs/analyst.md", "[{id: degree, kind: essential, label: A degree}]"),
        ("fr/emplois/analyste.md", french),
    ):
        content_tree(
            path,
            f"""
            ---
            layout: job-posting
            title: Analyst
            translationKey: analyst
            criteria: {criteria}
            ---
            Body.
            """,
        )
    index = load([content_tree.root], ["en", "fr"], TORONTO)
    warned = [p for p in index.problems if "merit criteria differ" in p.message]
    assert bool(warned) is differs
    assert all(p.path.endswith("analyste.md") and p.line == 5 for p in warned)
