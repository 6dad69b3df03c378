"""Postings as staff see them: the content's postings joined with what the
database holds about them (application counts, titles of removed postings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ..content import ContentIndex
from . import review
from .models import StaffUser, Status


@dataclass
class PostingSummary:
    """One posting on the dashboard, in the staff member's language."""

    key: str
    title: str
    is_open: bool
    closing_at: datetime | None = None
    counts: dict[Status, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def posting_summaries(
    session: Session, user: StaffUser, index: ContentIndex, lang: str, now: datetime
) -> list[PostingSummary]:
    """Return the postings ``user`` may see, open ones first, with counts per status.

    Postings removed from the content but holding applications are listed
    too, under the title the applications recorded.
    """
    visible = review.visible_keys(user)
    counts = review.status_counts(session, visible)
    stored = review.stored_titles(session, visible)
    keys = (set(index.posting_keys()) | set(counts)) if visible is None else visible
    summaries = []
    for key in keys:
        document = index.posting(key, lang)
        summaries.append(
            PostingSummary(
                key=key,
                title=document.title if document else stored.get(key, key),
                is_open=bool(document and document.is_open(now)),
                closing_at=document.closing_at if document else None,
                counts=counts.get(key, {}),
            )
        )
    summaries.sort(key=lambda summary: (not summary.is_open, summary.title.casefold()))
    return summaries


def posting_title(session: Session, index: ContentIndex, posting_key: str, lang: str) -> str:
    """Return a posting's title in ``lang`` if the content has it, else the
    title its applications recorded."""
    document = index.posting(posting_key, lang)
    if document is not None:
        return document.title
    return review.stored_titles(session, {posting_key}).get(posting_key, posting_key)


def question_labels(index: ContentIndex, posting_key: str, lang: str) -> dict[str, str]:
    """Return a posting's screening questions in ``lang`` (or its other language), label by id."""
    document = index.posting(posting_key, lang)
    return {question.id: question.label for question in document.questions} if document else {}
