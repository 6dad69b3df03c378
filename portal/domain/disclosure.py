"""Hiding counts in a published table so that no small group of people can
be picked out, directly or by arithmetic.

A table is a set of named counts, some shown and some only implied (the
respondents who are *not* women are never printed, yet "Answered 9, Women
5" tells there are 4), and the relations between them: a total and the
parts that add up to it. Two rules hide counts:

* primary: a shown count under the threshold (zero included) is hidden;
* complementary: a count under the threshold, shown or implied, must not
  be recoverable by subtracting shown counts from a shown total. So when
  "Answered 7" and "Women 7" are both shown, the implied "not women: 0"
  would be known, and "Women" is hidden too; when one part of a total is
  hidden, a second one is, so that the first cannot be worked out.

Pure functions over plain values: the same rules serve any report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Relation:
    """``total`` is the sum of ``parts``."""

    total: str
    parts: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        """The total and its parts: knowing all but one gives the last."""
        return (self.total, *self.parts)


def derivable(known: Iterable[str], relations: Iterable[Relation]) -> set[str]:
    """Return every count that can be worked out from the ``known`` ones by
    adding and subtracting along the relations (one unknown at a time)."""
    known = set(known)
    relations = list(relations)
    changed = True
    while changed:
        changed = False
        for relation in relations:
            unknown = [member for member in relation.members if member not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known


def hidden_counts(
    counts: Mapping[str, int],
    relations: Iterable[Relation],
    shown: Iterable[str],
    *,
    threshold: int,
    public: Iterable[str] = (),
) -> set[str]:
    """Return the shown counts to hide so that no count under ``threshold``
    (except the ``public`` ones, never protected) is shown or recoverable.

    ``counts`` holds every count, shown or implied; ``shown`` names those
    the table prints. A complementary count is chosen among the shown parts
    of the relation that gives the protected count away, the smallest
    first, and the total only when no part is left to hide.
    """
    relations = list(relations)
    public = set(public)
    shown = set(shown)
    protected = {name for name, value in counts.items() if value < threshold and name not in public}
    hidden = {name for name in shown & protected}
    while True:
        known = derivable(shown - hidden, relations)
        exposed = sorted(protected & known)
        if not exposed:
            return hidden
        name = exposed[0]
        choice = _complement(name, relations, known, shown - hidden - public, counts)
        if choice is None:
            # Nothing left that may be hidden in its relations: hide every shown,
            # non-public member of them (only reached by tables built oddly).
            choice_set = {
                member
                for relation in relations
                if name in relation.members
                for member in relation.members
                if member in shown - public
            }
            if choice_set <= hidden:
                raise ValueError(f"{name!r} cannot be protected: its relations are all public")
            hidden |= choice_set
        else:
            hidden.add(choice)


def _complement(
    name: str, relations: list[Relation], known: set[str], hideable: set[str], counts: Mapping[str, int]
) -> str | None:
    """Pick a shown count to hide so that ``name`` stops being recoverable
    through one of its relations: a part first, the smallest, then the total."""
    for relation in relations:
        if name not in relation.members or not set(relation.members) <= known:
            continue
        parts = sorted(
            (part for part in relation.parts if part != name and part in hideable),
            key=lambda part: (counts[part], part),
        )
        if parts:
            return parts[0]
        if relation.total != name and relation.total in hideable:
            return relation.total
    return None
