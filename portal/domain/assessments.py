"""Assessing applications against a posting's merit criteria.

Each reviewer rates each criterion once (met, partly met or not met) with a
short justification, and may revise it; the application page shows every
reviewer's ratings side by side and the consolidated result. A criterion's
consolidated rating is the one every reviewer gave; when they differ it is
"reviewers differ", for the board to settle, never an average.

A rejection of a posting with essential criteria needs each of them rated
(``unjudged``): the record of decision then keeps their consolidated ratings
(``basis``). Functions take a session and flush; the request commits once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..content.criteria import Criterion, CriterionKind
from . import audit, limits
from .models import Application, Assessment, Rating, StaffUser, StatusChange
from .usage import mark_used

#: The consolidated value of a criterion the reviewers rated differently.
DIFFER = "differ"


class AssessmentError(ValueError):
    """Ratings the rules refuse; ``problems`` maps each criterion id to why
    (``justification_required``, ``rating_required`` or ``too_long``)."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(", ".join(f"{key}: {code}" for key, code in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class Judgement:
    """What a reviewer wrote for one criterion: no rating and no text clears it."""

    rating: Rating | None
    justification: str = ""


class Outcome(StrEnum):
    """Where an application stands against its posting's essential criteria."""

    NOT_ASSESSED = "not_assessed"
    INCOMPLETE = "incomplete"
    MEETS = "meets"
    PARTLY_MEETS = "partly_meets"
    DOES_NOT_MEET = "does_not_meet"
    REVIEWERS_DIFFER = "reviewers_differ"

    @property
    def label(self) -> str:
        """The outcome as staff read it, in the page language."""
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.NOT_ASSESSED: _l("Not assessed yet"),
    Outcome.INCOMPLETE: _l("Not every essential criterion is rated yet"),
    Outcome.MEETS: _l("Meets every essential criterion"),
    Outcome.PARTLY_MEETS: _l("Partly meets one or more essential criteria"),
    Outcome.DOES_NOT_MEET: _l("Does not meet one or more essential criteria"),
    Outcome.REVIEWERS_DIFFER: _l("Reviewers differ on one or more essential criteria"),
}


@dataclass(frozen=True)
class CriterionResult:
    """One criterion of an application: each reviewer's rating and the consolidated one."""

    criterion: Criterion
    #: By reviewer id (None: a deleted account).
    ratings: dict[int | None, Assessment] = field(default_factory=dict)

    @property
    def consolidated(self) -> Rating | str | None:
        """The rating every reviewer gave, ``DIFFER`` when they differ, None when unrated."""
        given = {assessment.rating for assessment in self.ratings.values()}
        if not given:
            return None
        return given.pop() if len(given) == 1 else DIFFER

    @property
    def consolidated_label(self) -> str:
        """The consolidated rating in the page language."""
        value = self.consolidated
        if value is None:
            return str(_l("Not rated"))
        if value == DIFFER:
            return str(_l("Reviewers differ"))
        return value.label


@dataclass(frozen=True)
class Board:
    """An application's assessment: the criteria in order, who rated, the outcome."""

    results: tuple[CriterionResult, ...]
    #: Reviewers who rated at least one criterion, in the order they first did.
    reviewers: tuple[StaffUser | None, ...]

    @property
    def essential(self) -> tuple[CriterionResult, ...]:
        return tuple(result for result in self.results if result.criterion.kind is CriterionKind.ESSENTIAL)

    @property
    def assets(self) -> tuple[CriterionResult, ...]:
        return tuple(result for result in self.results if result.criterion.kind is CriterionKind.ASSET)

    @property
    def unjudged(self) -> tuple[Criterion, ...]:
        """The essential criteria nobody has rated yet."""
        return tuple(result.criterion for result in self.essential if result.consolidated is None)

    @property
    def outcome(self) -> Outcome:
        """The consolidated result against the essential criteria."""
        values = [result.consolidated for result in self.essential]
        if not any(result.ratings for result in self.results):
            return Outcome.NOT_ASSESSED
        if any(value is None for value in values):
            return Outcome.INCOMPLETE
        if Rating.NOT_MET in values:
            return Outcome.DOES_NOT_MEET
        if DIFFER in values:
            return Outcome.REVIEWERS_DIFFER
        if Rating.PARTLY_MET in values:
            return Outcome.PARTLY_MEETS
        return Outcome.MEETS

    @property
    def assets_met(self) -> int:
        """How many asset criteria every reviewer rated met."""
        return sum(1 for result in self.assets if result.consolidated is Rating.MET)


def board(application: Application, criteria: tuple[Criterion, ...]) -> Board:
    """Gather an application's ratings against ``criteria`` (ratings of
    criteria the posting no longer lists are left out)."""
    return board_of(application.assessments, criteria)


def board_of(ratings: Iterable[Assessment], criteria: tuple[Criterion, ...]) -> Board:
    """Gather one application's ``ratings`` against ``criteria``, as ``board`` does."""
    by_criterion: dict[str, dict[int | None, Assessment]] = {criterion.id: {} for criterion in criteria}
    reviewers: dict[int | None, StaffUser | None] = {}
    for assessment in sorted(ratings, key=lambda item: (item.assessed_at, item.id or 0)):
        if assessment.criterion_id in by_criterion:
            by_criterion[assessment.criterion_id][assessment.staff_user_id] = assessment
            reviewers.setdefault(assessment.staff_user_id, assessment.reviewer)
    return Board(
        results=tuple(CriterionResult(criterion, by_criterion[criterion.id]) for criterion in criteria),
        reviewers=tuple(reviewers.values()),
    )


def not_judged(applications: list[Application], criteria: tuple[Criterion, ...]) -> list[Application]:
    """Return the applications some essential criterion of which nobody has rated yet."""
    return [application for application in applications if board(application, criteria).unjudged]


def own_judgements(application: Application, user: StaffUser) -> dict[str, Assessment]:
    """Return ``user``'s own ratings of an application, by criterion id."""
    return {
        assessment.criterion_id: assessment
        for assessment in application.assessments
        if assessment.staff_user_id == user.id
    }


def check(judgements: Mapping[str, Judgement]) -> dict[str, str]:
    """Return what is wrong with each criterion's judgement, by criterion id
    (a rating needs its justification, a justification its rating)."""
    problems: dict[str, str] = {}
    for criterion_id, judgement in judgements.items():
        text = judgement.justification.strip()
        if len(text) > limits.JUSTIFICATION:
            problems[criterion_id] = "too_long"
        elif judgement.rating is not None and not text:
            problems[criterion_id] = "justification_required"
        elif judgement.rating is None and text:
            problems[criterion_id] = "rating_required"
    return problems


def save(
    session: Session,
    application: Application,
    criteria: tuple[Criterion, ...],
    judgements: Mapping[str, Judgement],
    *,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
) -> int:
    """Record ``user``'s ratings of an application, one per criterion,
    replacing their earlier ones; a judgement with neither rating nor text
    withdraws that criterion's rating. Ids the posting does not list are
    ignored. Return how many criteria ``user`` has rated now.

    Raises AssessmentError (nothing is stored) when a judgement is incomplete.
    """
    known = {criterion.id for criterion in criteria}
    judgements = {key: value for key, value in judgements.items() if key in known}
    problems = check(judgements)
    if problems:
        raise AssessmentError(problems)
    mine = own_judgements(application, user)
    for criterion_id, judgement in judgements.items():
        existing = mine.get(criterion_id)
        if judgement.rating is None:
            if existing is not None:
                application.assessments.remove(existing)
            continue
        text = judgement.justification.strip()
        if existing is None:
            application.assessments.append(
                Assessment(
                    staff_user_id=user.id,
                    reviewer=user,
                    criterion_id=criterion_id,
                    rating=judgement.rating,
                    justification=text,
                    assessed_at=now,
                )
            )
        elif (existing.rating, existing.justification) != (judgement.rating, text):
            existing.rating, existing.justification, existing.assessed_at = judgement.rating, text, now
    rated = sum(1 for judgement in judgements.values() if judgement.rating is not None)
    audit.record_by_staff(
        session,
        "assess_application",
        user,
        at=now,
        ip_address=ip_address,
        application_id=application.id,
        posting_key=application.posting_key,
        detail=f"{rated}/{len(criteria)} criteria rated",
    )
    mark_used(application, now)
    session.flush()
    return rated


def basis(application: Application, criteria: tuple[Criterion, ...]) -> str:
    """The record of a rejection's basis: each essential criterion's
    consolidated rating when it was made, as ``id=rating`` joined by ``;``."""
    return ";".join(
        f"{result.criterion.id}={result.consolidated}" for result in board(application, criteria).essential
    )


def read_basis(text: str) -> list[tuple[str, Rating | str]]:
    """Read a ``basis`` back as (criterion id, rating or ``DIFFER``) pairs."""
    pairs: list[tuple[str, Rating | str]] = []
    for part in text.split(";"):
        criterion_id, _, value = part.partition("=")
        if not criterion_id:
            continue
        try:
            pairs.append((criterion_id, Rating(value)))
        except ValueError:
            pairs.append((criterion_id, DIFFER))
    return pairs


def record_of_decision(
    session: Session, posting_key: str, *, user: StaffUser, now: datetime, ip_address: str, batch: int = 500
) -> Iterator[Application]:
    """Record the export of a posting's record of decision in the audit log
    (its row count only) and return the posting's applications, oldest
    first, with their ratings and history, read in batches as they are used."""
    where = Application.posting_key == posting_key
    rows = session.scalar(select(func.count(Application.id)).where(where))
    audit.record_by_staff(
        session,
        "export_decisions",
        user,
        at=now,
        ip_address=ip_address,
        posting_key=posting_key,
        detail=f"{rows} rows",
    )
    return _with_ratings(session, where, batch)


def _with_ratings(session: Session, where, batch: int) -> Iterator[Application]:
    statement = (
        select(Application)
        .where(where)
        .order_by(Application.submitted_at, Application.id)
        .options(
            selectinload(Application.assessments).selectinload(Assessment.reviewer),
            selectinload(Application.status_changes).selectinload(StatusChange.author),
        )
    )
    yield from session.scalars(statement.execution_options(yield_per=batch))
