"""``nameBlind`` in a posting's front matter: true, false or a stage; a bad
value is an error with its path and line and the posting is still served,
reviewed name-blind; translations that disagree are warned about."""

from zoneinfo import ZoneInfo

import pytest

from portal.content import Kind, Severity
from portal.content.loader import load

TORONTO = ZoneInfo("America/Toronto")


def posting(content_tree, value: str | None, path: str = "en/jobs/analyst.md"):
    """Write a posting with ``nameBlind: value`` (absent for None) on line 4; return the index."""
    line = f"nameBlind: {value}\n" if value is not None else ""
    content_tree(
        path, f"---\nlayout: job-posting\ntitle: Analyst\n{line}translationKey: analyst\n---\nBody.\n"
    )
    return load([content_tree.root], ["en", "fr"], TORONTO)


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        (None, None),
        ("false", None),
        ("no", None),
        ("true", "interview"),
        ("yes", "interview"),
        ("screening", "screening"),
        ("Interview", "interview"),
        ("offer", "offer"),
    ],
)
def test_name_blind_is_read_as_a_stage_or_none(content_tree, value, stage):
    index = posting(content_tree, value)
    assert index.get(Kind.POSTING, "en", "analyst").name_blind == stage
    assert not [p for p in index.problems if "nameBlind" in p.message]


@pytest.mark.parametrize("value", ["hired", "rejected", "maybe", "[interview]", "2"])
def test_a_bad_value_is_an_error_with_path_and_line_and_the_posting_stays_blind(content_tree, value):
    index = posting(content_tree, value)
    document = index.get(Kind.POSTING, "en", "analyst")
    assert document is not None
    assert document.name_blind == "interview"
    (problem,) = [p for p in index.problems if "nameBlind" in p.message]
    assert (problem.path.endswith("analyst.md"), problem.line, problem.severity) == (True, 4, Severity.ERROR)
    assert "not true, false or a stage" in problem.message


def test_a_blog_story_is_never_name_blind(content_tree):
    content_tree("en/blog/story.md", "---\nlayout: blog\ntitle: Story\nnameBlind: true\n---\nBody.\n")
    index = load([content_tree.root], ["en", "fr"], TORONTO)
    assert index.get(Kind.STORY, "en", "story").name_blind is None
    assert not [p for p in index.problems if "unknown front-matter key" in p.message]


@pytest.mark.parametrize(
    ("french", "differs"),
    [("true", False), ("interview", False), ("offer", True), ("false", True), (None, True)],
)
def test_translations_that_disagree_are_warned_about(content_tree, french, differs):
    posting(content_tree, "true")
    index = posting(content_tree, french, "fr/emplois/analyste.md")
    warned = [p for p in index.problems if "nameBlind differs" in p.message]
    assert bool(warned) is differs
    assert all(p.path.endswith("analyste.md") and p.severity is Severity.WARNING for p in warned)
    if french is not None:
        assert all(p.line == 4 for p in warned)
