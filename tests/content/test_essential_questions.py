"""Essential yes-no questions in front matter: the answer needed, bad marks, translations compared."""

from zoneinfo import ZoneInfo

import pytest

from portal.content import Kind, Severity
from portal.content.loader import load

TORONTO = ZoneInfo("America/Toronto")


def posting(content_tree, question: str, path: str = "en/jobs/analyst.md", key: str = "analyst"):
    """Write a posting whose first question is ``question`` (YAML lines of a
    mapping) and whose second is a plain yes-no question."""
    indented = "\n".join("    " + line for line in question.strip().splitlines())
    content_tree(
        path,
        f"""---
layout: job-posting
title: Analyst
translationKey: {key}
questions:
  - id: clearance
{indented}
  - id: travel
    type: yes-no
    label: Can you travel?
---
Body.
""",
    )


def loaded(content_tree):
    index = load([content_tree.root], ["en", "fr"], TORONTO)
    return index, index.get(Kind.POSTING, "en", "analyst")


@pytest.mark.parametrize(
    ("lines", "answer"),
    [
        ("type: yes-no\nlabel: Can you get a clearance?\nessential: true", "yes"),
        ("type: yes-no\nlabel: Can you get a clearance?\nessential: true\nrequiredAnswer: yes", "yes"),
        ("type: yes-no\nlabel: Do you hold a licence?\nessential: yes\nrequiredAnswer: 'No'", "no"),
        ("type: yes-no\nlabel: Do you hold a licence?\nessential: 'true'\nrequiredAnswer: no", "no"),
    ],
)
def test_an_essential_yes_no_question_states_the_answer_it_needs(content_tree, lines, answer):
    posting(content_tree, lines)
    index, document = loaded(content_tree)
    clearance, travel = document.questions
    assert clearance.essential and clearance.required_answer == answer
    assert clearance.required  # still required, as every question is unless it says otherwise
    assert clearance.meets(answer) and not clearance.meets("no" if answer == "yes" else "yes")
    assert not travel.essential and travel.meets("no")
    assert not [p for p in index.problems if "question" in p.message]


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ("type: text\nlabel: Tell us more\nessential: true", "only a yes-no question can be essential"),
        (
            "type: choice\nlabel: Where?\nchoices: [Ottawa, Remote]\nessential: true",
            "only a yes-no question can be essential",
        ),
        ("type: yes-no\nlabel: Clearance?\nessential: true\nrequiredAnswer: maybe", "is not yes or no"),
        ("type: yes-no\nlabel: Clearance?\nessential: always", "is not true or false"),
        ("type: yes-no\nlabel: Clearance?\nrequiredAnswer: yes", "only read with essential: true"),
    ],
)
def test_a_bad_essential_mark_is_an_error_with_path_and_line_and_the_question_is_still_asked(
    content_tree, lines, words
):
    posting(content_tree, lines)
    index, document = loaded(content_tree)
    assert document is not None
    assert [question.id for question in document.questions] == ["clearance", "travel"]
    assert not document.questions[0].essential
    reported = [p for p in index.problems if p.message.startswith("question 1:")]
    assert [(p.path.endswith("analyst.md"), p.line, p.severity) for p in reported] == [
        (True, 5, Severity.ERROR)
    ]
    assert words in reported[0].message


def test_a_bad_essential_mark_fails_the_content_check(runner, content_tree):
    posting(content_tree, "type: text\nlabel: Tell us more\nessential: true")
    result = runner.invoke(args=["content", "check", str(content_tree.root)])
    assert result.exit_code == 1
    assert "analyst.md:5: error: question 1: only a yes-no question can be essential" in result.output


@pytest.mark.parametrize(
    ("french", "differs"),
    [
        ("essential: true\nrequiredAnswer: yes", False),
        ("essential: true", False),
        ("essential: true\nrequiredAnswer: no", True),
        ("required: true", True),
    ],
)
def test_translations_that_disagree_on_essential_questions_are_warned_about(content_tree, french, differs):
    posting(content_tree, "type: yes-no\nlabel: Can you get a clearance?\nessential: true")
    posting(
        content_tree,
        "type: yes-no\nlabel: Pouvez-vous obtenir une cote?\n" + french,
        path="fr/emplois/analyste.md",
    )
    index = load([content_tree.root], ["en", "fr"], TORONTO)
    warned = [p for p in index.problems if "essential questions differ" in p.message]
    assert bool(warned) is differs
    assert all(
        p.path.endswith("analyste.md") and p.line == 5 and p.severity is Severity.WARNING for p in warned
    )
    assert index.get(Kind.POSTING, "fr", "analyste") is not None


def test_the_bundled_sample_marks_one_question_essential_in_both_languages(app):
    from portal.content import current_index

    with app.test_request_context():
        by_lang = current_index().postings("head-product-management")
    for document in by_lang.values():
        essential = [(q.id, q.required_answer) for q in document.questions if q.essential]
        assert essential == [("clearance", "yes")]
