"""Essential screening questions: which applications answered one otherwise.

A posting's yes-no question may be marked essential in its front matter, with
the answer the job needs. Staff see which applications gave another answer,
and can narrow the list to them (or to those meeting every one). Nothing here
changes an application: people read every application and decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from ..content import ContentIndex
from .models import Application, ScreeningAnswer

#: The list's choices besides "all": a differing answer to one or more, or none.
UNMET = "unmet"
MET = "met"
CHOICES = (UNMET, MET)


@dataclass(frozen=True)
class EssentialRequirement:
    """One essential question of a posting: its id, the answer it needs, its label."""

    question_id: str
    answer: str
    label: str


def requirements_of(index: ContentIndex, posting_key: str, lang: str) -> tuple[EssentialRequirement, ...]:
    """Return a posting's essential questions, labelled in ``lang`` (or its other language)."""
    document = index.posting(posting_key, lang)
    if document is None:
        return ()
    return tuple(
        EssentialRequirement(question.id, question.required_answer, question.label)
        for question in document.questions
        if question.essential
    )


def condition(choice: str, requirements: tuple[EssentialRequirement, ...]) -> ColumnElement[bool]:
    """Return the SQL condition on Application for ``choice`` (UNMET or MET).

    UNMET: an answer to an essential question differs from the one needed.
    MET: every essential question was answered as needed. An application
    with no answer to one (sent before it was marked essential, or left
    blank when optional) is in neither.
    """
    if choice == UNMET:
        if not requirements:
            return false()
        return exists().where(
            ScreeningAnswer.application_id == Application.id,
            or_(
                *(
                    and_(
                        ScreeningAnswer.question_id == need.question_id, ScreeningAnswer.answer != need.answer
                    )
                    for need in requirements
                )
            ),
        )
    if not requirements:
        return true()
    return and_(
        *(
            exists().where(
                ScreeningAnswer.application_id == Application.id,
                ScreeningAnswer.question_id == need.question_id,
                ScreeningAnswer.answer == need.answer,
            )
            for need in requirements
        )
    )


def unmet(answers: Iterable[ScreeningAnswer], requirements: tuple[EssentialRequirement, ...]) -> list[str]:
    """Return the ids of the essential questions these answers do not meet, in the posting's order."""
    given = {answer.question_id: answer.answer for answer in answers}
    return [need.question_id for need in _missed(given, requirements)]


def unmet_by_application(
    session: Session, application_ids: list[int], requirements: tuple[EssentialRequirement, ...]
) -> dict[int, list[EssentialRequirement]]:
    """Return, for each listed application that does not meet one or more
    essential questions, the requirements it does not meet (one query)."""
    if not application_ids or not requirements:
        return {}
    rows = session.execute(
        select(ScreeningAnswer.application_id, ScreeningAnswer.question_id, ScreeningAnswer.answer).where(
            ScreeningAnswer.application_id.in_(application_ids),
            ScreeningAnswer.question_id.in_([need.question_id for need in requirements]),
        )
    )
    given: dict[int, dict[str, str]] = {}
    for application_id, question_id, answer in rows:
        given.setdefault(application_id, {})[question_id] = answer
    found = {application_id: _missed(answers, requirements) for application_id, answers in given.items()}
    return {application_id: missed for application_id, missed in found.items() if missed}


def _missed(
    given: dict[str, str], requirements: tuple[EssentialRequirement, ...]
) -> list[EssentialRequirement]:
    # A question left unanswered is not a different answer: it is not flagged.
    return [
        need for need in requirements if need.question_id in given and given[need.question_id] != need.answer
    ]
