"""What the staff dashboard shows: postings from the content joined with
application counts from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from .. import review
from ..content import ContentIndex, Document, Kind
from ..models import StaffUser


@dataclass
class PostingSummary:
    """One posting on the dashboard, in the staff member's language."""

    key: str
    title: str
    is_open: bool
    closing_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def postings_by_key(index: ContentIndex) -> dict[str, dict[str, Document]]:
    """Group published postings by posting key, then language."""
    grouped: dict[str, dict[str, Document]] = {}
    for document in index.documents.values():
        if document.kind is Kind.POSTING and document.published:
            grouped.setdefault(document.posting_key, {})[document.lang] = document
    return grouped


def posting_summaries(session: Session, user: StaffUser, index: ContentIndex, lang: str,
                      now: datetime) -> list[PostingSummary]:
    """Return the postings ``user`` may see, open ones first, with counts per status.

    Postings removed from the content but holding applications are listed
    too, under the title the applications recorded.
    """
    visible = review.visible_keys(user)
    counts = review.status_counts(session, visible)
    stored = review.stored_titles(session, visible)
    documents = postings_by_key(index)
    keys = (set(documents) | set(counts)) if visible is None else visible
    summaries = []
    for key in keys:
        translations = documents.get(key, {})
        document = translations.get(lang) or next(iter(translations.values()), None)
        summaries.append(PostingSummary(
            key=key,
            title=document.title if document else stored.get(key, key),
            is_open=bool(document and document.is_open(now)),
            closing_at=document.closing_at if document else None,
            counts=counts.get(key, {}),
        ))
    summaries.sort(key=lambda summary: (not summary.is_open, summary.title.casefold()))
    return summaries


def posting_title(session: Session, index: ContentIndex, posting_key: str, lang: str) -> str:
    """Return a posting's title in ``lang`` if the content has it."""
    translations = postings_by_key(index).get(posting_key, {})
    document = translations.get(lang) or next(iter(translations.values()), None)
    if document is not None:
        return document.title
    return review.stored_titles(session, {posting_key}).get(posting_key, posting_key)
