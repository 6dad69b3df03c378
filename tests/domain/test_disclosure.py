"""Hiding counts that could single out a few people: the primary rule (under
the threshold), a count equal to its total, and complementary suppression,
on small tables worked out by hand; then the equity report's use of them."""

from __future__ import annotations

import itertools

import pytest

from portal.domain import review
from portal.domain.disclosure import Relation, derivable, hidden_counts


def test_subtraction_recovers_the_one_unknown_part():
    relations = [Relation("total", ("a", "b", "c"))]
    assert derivable({"total", "a", "b"}, relations) == {"total", "a", "b", "c"}
    assert derivable({"total", "a"}, relations) == {"total", "a"}
    # Chains: b is worked out from the second relation, then c from the first.
    chained = [Relation("total", ("a", "b", "c")), Relation("u", ("b", "d"))]
    assert "c" in derivable({"total", "a", "u", "d"}, chained)


def test_a_small_count_is_hidden_and_a_second_part_with_it():
    # Answered 20 = yes 12 + no 6 + prefer not 2: hiding "prefer not" alone
    # would let anyone compute 20 - 12 - 6 = 2.
    counts = {"total": 20, "yes": 12, "no": 6, "prefer_not": 2}
    relations = [Relation("total", ("yes", "no", "prefer_not"))]
    hidden = hidden_counts(counts, relations, shown=counts, threshold=5)
    assert hidden == {"prefer_not", "no"}  # the smallest other part goes with it
    assert "prefer_not" not in derivable(set(counts) - hidden, relations)


def test_nothing_is_hidden_when_every_count_is_large_enough():
    counts = {"total": 20, "yes": 12, "no": 8}
    relations = [Relation("total", ("yes", "no"))]
    assert hidden_counts(counts, relations, shown=counts, threshold=5) == set()


def test_a_count_equal_to_its_total_is_hidden():
    # "Answered 7, Women 7": the implied "not women" is 0, which tells that
    # every respondent is a woman.
    counts = {"answered": 7, "women": 7, "not_women": 0}
    relations = [Relation("answered", ("women", "not_women"))]
    assert hidden_counts(counts, relations, shown={"answered", "women"}, threshold=5) == {"women"}


def test_a_count_whose_complement_is_small_is_hidden():
    counts = {"answered": 9, "women": 5, "not_women": 4}
    relations = [Relation("answered", ("women", "not_women"))]
    assert hidden_counts(counts, relations, shown={"answered", "women"}, threshold=5) == {"women"}
    counts = {"answered": 10, "women": 5, "not_women": 5}
    assert hidden_counts(counts, relations, shown={"answered", "women"}, threshold=5) == set()


def test_a_hidden_part_cannot_be_recovered_through_another_relation():
    # total = a + b and u = b + c: hiding a then b is not enough, since b
    # comes back from u - c, and a from total - b.
    counts = {"total": 12, "a": 2, "b": 10, "u": 20, "c": 10}
    relations = [Relation("total", ("a", "b")), Relation("u", ("b", "c"))]
    hidden = hidden_counts(counts, relations, shown=counts, threshold=5)
    assert {"a", "b"} <= hidden
    assert "a" not in derivable(set(counts) - hidden, relations)


def test_public_counts_are_never_hidden_nor_protected():
    counts = {"applications": 9, "answered": 6, "no_answer": 3}
    relations = [Relation("applications", ("answered", "no_answer"))]
    hidden = hidden_counts(
        counts,
        relations,
        shown={"applications", "answered"},
        threshold=5,
        public={"applications", "no_answer"},
    )
    assert hidden == set()


#: Equity report rows: (applications, answered, groups) -> hidden cells.
EQUITY_CASES = [
    # Everyone who answered is a woman: "Women" would say so.
    ((7, 7, {"woman": 7}), {"woman"}),
    # 4 respondents are not women: hidden as if it were printed.
    ((9, 9, {"woman": 5, "indigenous": 4}), {"woman", "indigenous"}),
    # Both sides of each group are 5 or more.
    ((12, 10, {"woman": 5, "indigenous": 0}), {"indigenous"}),
    ((20, 12, {"woman": 6, "prefer_not_to_answer": 6}), set()),
    # Fewer than 5 answered: nothing about them is shown.
    ((8, 4, {"woman": 2, "prefer_not_to_answer": 2}), {"respondents", "woman", "prefer_not_to_answer"}),
    # Those who did not answer are no group: 3 of 13 did not, and that is shown.
    ((13, 10, {"woman": 5}), set()),
]


@pytest.mark.parametrize(("row", "hidden"), EQUITY_CASES)
def test_equity_suppression(row, hidden):
    applications, answered, groups = row
    groups = dict.fromkeys(review.EQUITY_GROUPS, 0) | groups
    expected = hidden | {group for group, count in groups.items() if count == 0}
    assert review.equity_suppression(applications, answered, groups) == expected


@pytest.mark.parametrize(("answered", "woman"), list(itertools.product(range(12), repeat=2)))
def test_no_small_side_of_a_group_can_be_worked_out(answered, woman):
    """Whatever the counts, what a reader can compute from the shown cells
    never includes a group or its complement under 5."""
    if woman > answered:
        return
    groups = dict.fromkeys(review.EQUITY_GROUPS, 0) | {"woman": woman}
    hidden = review.equity_suppression(answered + 3, answered, groups)
    shown = {"applications": answered + 3, "respondents": answered} | groups
    visible = {name: value for name, value in shown.items() if name not in hidden}
    if "respondents" in visible and "woman" in visible:
        assert visible["woman"] >= 5 and visible["respondents"] - visible["woman"] >= 5
    for name, value in visible.items():
        if name != "applications":
            assert value >= 5
