"""Figures for the staff dashboard: how far applications got in the
pipeline (a funnel), how long they waited at each stage, and which postings
close soon with applications nobody has looked at yet.

Every figure comes from a few grouped queries over all the postings asked
for, never one query per application, and works alike on SQLite and
PostgreSQL (the arithmetic on dates is done here, not in SQL).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, union_all
from sqlalchemy.orm import Session

from . import review
from .models import Application, Status, StatusChange
from .postings import PostingSummary

#: The stages of the pipeline, in order; rejected and withdrawn end it at any stage.
FUNNEL = (Status.RECEIVED, Status.SCREENING, Status.INTERVIEW, Status.OFFER, Status.HIRED)
#: A posting closing within this time, with applications still to review, is flagged.
CLOSING_SOON = timedelta(days=7)


@dataclass(frozen=True)
class StageFigures:
    """One stage of a posting's funnel."""

    status: Status
    #: Applications that reached this stage, whatever happened next.
    reached: int
    #: Applications at this stage now.
    current: int
    #: The median time spent at this stage by the applications that left it
    #: (None when none has left it yet).
    median_time: timedelta | None
    #: How many applications the median is taken over.
    left: int


@dataclass(frozen=True)
class PostingPipeline:
    """A posting's funnel, and whether it needs attention before it closes."""

    key: str
    stages: tuple[StageFigures, ...]
    #: Applications still at "received": nobody has screened them yet.
    unreviewed: int
    #: Open, closing within CLOSING_SOON, and ``unreviewed`` is not zero.
    closing_soon: bool

    @property
    def total(self) -> int:
        """Every application to the posting (all of them were received)."""
        return self.stages[0].reached


def pipelines(
    session: Session, summaries: Iterable[PostingSummary], now: datetime
) -> dict[str, PostingPipeline]:
    """Return the funnel of every posting in ``summaries`` that has applications, by key."""
    summaries = [summary for summary in summaries if summary.total]
    keys = {summary.key for summary in summaries}
    if not keys:
        return {}
    reached = reached_counts(session, keys)
    times = stage_times(session, keys)
    report = {}
    for summary in summaries:
        counts = reached.get(summary.key, {})
        stages = []
        for status in FUNNEL:
            durations = times.get((summary.key, status), [])
            stages.append(
                StageFigures(
                    status=status,
                    reached=counts.get(status, 0),
                    current=summary.counts.get(status, 0),
                    median_time=statistics.median(durations) if durations else None,
                    left=len(durations),
                )
            )
        unreviewed = summary.counts.get(Status.RECEIVED, 0)
        report[summary.key] = PostingPipeline(
            key=summary.key,
            stages=tuple(stages),
            unreviewed=unreviewed,
            closing_soon=bool(unreviewed) and closes_soon(summary, now),
        )
    return report


def closes_soon(summary: PostingSummary, now: datetime) -> bool:
    """Tell whether an open posting closes within CLOSING_SOON of ``now``."""
    return (
        summary.is_open and summary.closing_at is not None and now <= summary.closing_at <= now + CLOSING_SOON
    )


def _rank(column):
    """A status's place in the funnel (0 for received, and for rejected or
    withdrawn, which count from the stage they left)."""
    return case({status.value: number for number, status in enumerate(FUNNEL)}, value=column, else_=0)


def _forward_move():
    """A history row that follows the pipeline; a correction (moving an
    application back to undo a mistake) does not, and is left out."""
    return or_(
        *(
            and_(StatusChange.from_status == before, StatusChange.to_status == after)
            for before, afters in review.TRANSITIONS.items()
            for after in afters
        )
    )


def reached_counts(session: Session, posting_keys: set[str]) -> dict[str, dict[Status, int]]:
    """Count, per posting, the applications that reached each stage of the
    funnel at least: the furthest of their current stage and of the stages
    they moved on from. A stage reached by mistake and corrected does not count.
    """
    ranks = union_all(
        select(Application.id.label("application_id"), _rank(Application.status).label("rank")).where(
            Application.posting_key.in_(posting_keys)
        ),
        select(StatusChange.application_id, _rank(StatusChange.from_status))
        .join(Application, Application.id == StatusChange.application_id)
        .where(Application.posting_key.in_(posting_keys), _forward_move()),
    ).subquery()
    furthest = (
        select(ranks.c.application_id, func.max(ranks.c.rank).label("furthest"))
        .group_by(ranks.c.application_id)
        .subquery()
    )
    statement = (
        select(
            Application.posting_key,
            *(func.sum(case((furthest.c.furthest >= number, 1), else_=0)) for number in range(len(FUNNEL))),
        )
        .join(furthest, furthest.c.application_id == Application.id)
        .group_by(Application.posting_key)
    )
    return {key: dict(zip(FUNNEL, map(int, sums))) for key, *sums in session.execute(statement)}


def stage_times(session: Session, posting_keys: set[str]) -> dict[tuple[str, Status], list[timedelta]]:
    """Return, per posting and stage, the time each application spent at
    that stage, for the applications that have left it.

    A stage's time runs from entering it (the submission, for "received")
    to the next move; visits are added up when a correction brought the
    application back, and the time at a stage reached by mistake (left by
    a correction) is not counted. One query, streamed in order.
    """
    statement = (
        select(
            Application.id,
            Application.posting_key,
            Application.status,
            Application.submitted_at,
            StatusChange.from_status,
            StatusChange.to_status,
            StatusChange.changed_at,
        )
        .join(StatusChange, StatusChange.application_id == Application.id)
        .where(Application.posting_key.in_(posting_keys))
        .order_by(Application.id, StatusChange.changed_at, StatusChange.id)
        .execution_options(yield_per=1000)
    )
    times: dict[tuple[str, Status], list[timedelta]] = defaultdict(list)
    current_id, entered, spent, key, status = None, None, {}, "", None
    for application_id, posting_key, now_at, submitted_at, before, after, changed_at in session.execute(
        statement
    ):
        if application_id != current_id:
            _add_left(times, key, status, spent)
            current_id, entered, spent, key, status = application_id, submitted_at, {}, posting_key, now_at
        if after in review.allowed_transitions(before) and before in FUNNEL:
            spent[before] = spent.get(before, timedelta()) + max(changed_at - entered, timedelta())
        entered = changed_at
    _add_left(times, key, status, spent)
    return dict(times)


def _add_left(times, key: str, status: Status | None, spent: dict[Status, timedelta]) -> None:
    """Keep one application's time at each stage it has left (not the one it is at)."""
    for stage, duration in spent.items():
        if stage != status:
            times[(key, stage)].append(duration)
