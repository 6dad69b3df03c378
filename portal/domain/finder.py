"""Finding an application across every posting (admins): by name, email
address or reference number, however the reference was typed. In a posting
reviewed name-blind, applications are found by reference only, and shown
by candidate number until their name may be seen (as in the posting's list).

The search is audited like a view, with the number of matches only: the
words searched for are a name or an address, personal information the
audit log does not keep.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from ..content import ContentIndex
from . import audit, limits, name_blind
from .models import Application, Role, StaffUser

#: Matches shown on one page; more are counted and the page says so.
RESULT_LIMIT = 50
#: Names and email addresses are no longer than an address.
MAX_QUERY = limits.EMAIL
#: A piece of reference this long is worth comparing (a reference has 12).
MIN_REFERENCE_PART = 4
_SPACES = re.compile(r"\s+")
_NOT_REFERENCE = re.compile(r"[^0-9A-Za-z]")


class SearchError(ValueError):
    """A search the rules refuse; ``code`` says which rule (``too_long``,
    ``unreadable`` for control characters, ``not_admin``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SearchResult:
    """The first matches, newest first, and how many match in all."""

    rows: list[Application]
    total: int

    @property
    def more(self) -> bool:
        """More applications match than are listed."""
        return self.total > len(self.rows)


def clean_query(text: str | None) -> str:
    """Return the search as it is compared: trimmed, runs of spaces made one.

    Raises SearchError("too_long") past ``MAX_QUERY`` characters and
    SearchError("unreadable") for control characters (nobody types them).
    """
    query = _SPACES.sub(" ", (text or "").strip())
    if len(query) > MAX_QUERY:
        raise SearchError("too_long")
    if any(unicodedata.category(character) in ("Cc", "Cs") for character in query):
        raise SearchError("unreadable")
    return query


def matching(query: str, blind_postings: Iterable[str] = ()) -> Select:
    """Return the applications whose name or email contains ``query`` (any
    case; not in ``blind_postings``) or whose reference contains it,
    hyphens and spaces ignored."""
    pattern = "%" + _escape_like(query) + "%"
    identity = or_(
        Application.full_name.ilike(pattern, escape="\\"),
        Application.email.ilike(pattern, escape="\\"),
    )
    blind_postings = set(blind_postings)
    if blind_postings:
        identity = and_(Application.posting_key.not_in(blind_postings), identity)
    conditions = [identity]
    compact = _NOT_REFERENCE.sub("", query).upper()
    if len(compact) >= MIN_REFERENCE_PART:
        # References are stored in capitals with hyphens (7KQ4-M9XP-2HTD).
        conditions.append(func.replace(Application.reference, "-", "").like(f"%{compact}%"))
    return select(Application).where(or_(*conditions))


def search_applications(
    session: Session,
    query: str,
    *,
    user: StaffUser,
    now: datetime,
    ip_address: str,
    limit: int = RESULT_LIMIT,
    blind_postings: Iterable[str] = (),
) -> SearchResult | None:
    """Return the applications matching ``query`` in every posting, newest
    first (at most ``limit``), and record the search with its count.

    Only admins search across postings (SearchError("not_admin")); an empty
    query is no search: None, and nothing recorded. Applications to
    ``blind_postings`` (see ``blind_postings()``) match by reference only.
    """
    if user.role != Role.ADMIN:
        raise SearchError("not_admin")
    query = clean_query(query)
    if not query:
        return None
    statement = matching(query, blind_postings)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = list(
        session.scalars(
            statement.order_by(Application.submitted_at.desc(), Application.id.desc()).limit(limit)
        )
    )
    audit.record_by_staff(
        session,
        "search_applications",
        user,
        at=now,
        ip_address=ip_address,
        detail=search_detail(total, len(rows)),
    )
    session.flush()
    return SearchResult(rows=rows, total=total)


def blind_postings(session: Session, index: ContentIndex) -> set[str]:
    """Return the postings holding applications whose review is name-blind."""
    keys = session.scalars(select(Application.posting_key).distinct())
    return {key for key in keys if name_blind.rule_for(session, index, key).blind}


def hidden_identities(
    session: Session, index: ContentIndex, user: StaffUser, rows: Iterable[Application]
) -> set[int]:
    """Return the ids of ``rows`` that ``user`` sees by candidate number only
    (name-blind review, not yet at the stage, not revealed to them)."""
    by_posting: dict[str, list[Application]] = defaultdict(list)
    for row in rows:
        by_posting[row.posting_key].append(row)
    hidden = set()
    for key, applications in by_posting.items():
        rule = name_blind.rule_for(session, index, key)
        if rule.blind:
            shown = name_blind.shown_ids(session, rule, user, applications)
            hidden |= {application.id for application in applications} - shown
    return hidden


def search_detail(total: int, shown: int) -> str:
    """Describe a search for the audit log: how many matched and were listed,
    never what was searched for (a name or an address)."""
    return f"matches: {total}; listed: {shown}"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
