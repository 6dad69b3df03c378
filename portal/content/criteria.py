"""Merit criteria: the qualifications a posting says candidates are assessed on.

A posting may list them in its front matter (``criteria``), each with an id,
a kind (an essential qualification, which every candidate must meet, or an
asset qualification, which counts in their favour) and a label in the file's
language. The EN and FR files of a posting list the same ids and kinds, so an
assessment made against one language's criteria holds for the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: Line breaks and runs of ASCII spaces; a label's U+00A0 (French typography) is kept.
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class CriterionKind(StrEnum):
    """What meeting a criterion means, in the public service's own vocabulary."""

    ESSENTIAL = "essential"
    ASSET = "asset"


@dataclass(frozen=True, slots=True)
class Criterion:
    """One merit criterion of a posting, labelled in the file's language."""

    id: str
    kind: CriterionKind
    label: str


def read_criteria(value: Any, report) -> tuple[Criterion, ...]:
    """Read a posting's ``criteria`` front-matter value, in the order written.

    ``report(message)`` is called for each bad entry, which is then left out:
    the posting is still served with the criteria that are right.
    """
    if value is None:
        return ()
    if not isinstance(value, list):
        report("criteria must be a list of entries with id, kind and label; none are shown")
        return ()
    criteria: list[Criterion] = []
    for position, item in enumerate(value, start=1):
        problem, criterion = _read_criterion(item)
        if criterion is None:
            report(f"criterion {position}: {problem}; left out")
        elif criterion.id in {known.id for known in criteria}:
            report(f"criterion {position}: id {criterion.id!r} is used twice; left out")
        else:
            criteria.append(criterion)
    return tuple(criteria)


def criteria_shape(criteria: tuple[Criterion, ...]) -> tuple[tuple[str, CriterionKind], ...]:
    """Return what must agree between a posting's translations: each criterion's id and kind."""
    return tuple((criterion.id, criterion.kind) for criterion in criteria)


def _read_criterion(item: Any) -> tuple[str, Criterion | None]:
    if not isinstance(item, dict):
        return "must be a mapping with id, kind and label", None
    criterion_id = str(item.get("id") or "").strip()
    label = _SPACES.sub(" ", str(item.get("label") or "")).strip()
    kind_text = str(item.get("kind") or "").strip().lower()
    if not criterion_id:
        return "has no id", None
    if not label:
        return f"{criterion_id!r} has no label", None
    try:
        kind = CriterionKind(kind_text)
    except ValueError:
        choices = " or ".join(member.value for member in CriterionKind)
        return f"{criterion_id!r} kind {item.get('kind')!r} is not {choices}", None
    return "", Criterion(criterion_id, kind, label)
