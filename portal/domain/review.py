"""Reviewing applications: who may see what, the pipeline, notes, lists, exports.

Functions take a session and flush; the request (or command) commits once.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Row, Select, bindparam, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from ..content.criteria import Criterion
from . import assessments, audit, candidate_access, disclosure, essentials, limits
from .models import (
    Application,
    ApplicationLink,
    ApplicationTally,
    Assessment,
    EquityResponse,
    Note,
    Resume,
    Role,
    ScanStatus,
    ScreeningAnswer,
    StaffUser,
    Status,
    StatusChange,
)
from .usage import mark_used

#: The pipeline: where an application may go from each status.
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    Status.RECEIVED: (Status.SCREENING, Status.REJECTED, Status.WITHDRAWN),
    Status.SCREENING: (Status.INTERVIEW, Status.REJECTED, Status.WITHDRAWN),
    Status.INTERVIEW: (Status.OFFER, Status.REJECTED, Status.WITHDRAWN),
    Status.OFFER: (Status.HIRED, Status.REJECTED, Status.WITHDRAWN),
    Status.HIRED: (),
    Status.REJECTED: (),
    Status.WITHDRAWN: (),
}
#: Where staff may move several applications at once.
BULK_TARGETS = tuple(status for status in Status if status is not Status.RECEIVED)
PAGE_SIZE = 50
#: Counts below this are not shown in the equity report.
SMALL_COUNT = 5
EQUITY_GROUPS = ("woman", "indigenous", "disability", "visible_minority", "prefer_not_to_answer")
SORTS = ("newest", "oldest", "name")


class ReviewError(ValueError):
    """A review action that the rules refuse; ``code`` says which rule."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def can_see(user: StaffUser, posting_key: str) -> bool:
    """Admins see every posting; reviewers only those assigned to them."""
    if user.role.sees_every_posting:
        return True
    return any(assignment.posting_key == posting_key for assignment in user.assignments)


def visible_keys(user: StaffUser) -> set[str] | None:
    """Return the posting keys a user may see, or None for all of them."""
    if user.role.sees_every_posting:
        return None
    return {assignment.posting_key for assignment in user.assignments}


def visible_application(session: Session, user: StaffUser, application_id: int | None) -> Application | None:
    """Return the application if it exists and ``user`` may see its posting."""
    found = session.get(Application, application_id) if application_id is not None else None
    return found if found is not None and can_see(user, found.posting_key) else None


def hidden_application(session: Session, user: StaffUser, application_id: int | None) -> Application | None:
    """Return the application if it exists but ``user`` may not see it (a
    refusal worth auditing); None when it does not exist or is visible."""
    found = session.get(Application, application_id) if application_id is not None else None
    return found if found is not None and not can_see(user, found.posting_key) else None


def open_application(
    session: Session, user: StaffUser, application_id: int | None, *, now: datetime, ip_address: str
) -> Application | None:
    """Return an application ``user`` may see, recording the access in the audit log."""
    found = visible_application(session, user, application_id)
    if found is not None:
        _audit(session, "view_application", user, now, ip_address, found)
    return found


def open_resume(
    session: Session, user: StaffUser, application_id: int | None, *, now: datetime, ip_address: str
) -> Resume | None:
    """Return the résumé of an application ``user`` may see; the download is audited.

    Raises ReviewError("resume_held") while the résumé waits for the virus
    scanner; returns None when there is no such résumé to see.
    """
    found = visible_application(session, user, application_id)
    if found is None or found.resume is None:
        return None
    if found.resume.scan_status is not ScanStatus.CLEAN:
        raise ReviewError("resume_held")
    _audit(session, "download_resume", user, now, ip_address, found)
    mark_used(found, now)
    return found.resume


def _audit(
    session: Session,
    action: str,
    user: StaffUser,
    now: datetime,
    ip_address: str,
    application: Application | None = None,
    posting_key: str | None = None,
    detail: str = "",
) -> None:
    audit.record_by_staff(
        session,
        action,
        user,
        at=now,
        ip_address=ip_address,
        application_id=application.id if application else None,
        posting_key=application.posting_key if application else posting_key,
        detail=detail,
    )


def status_counts(session: Session, posting_keys: set[str] | None) -> dict[str, dict[str, int]]:
    """Count applications per posting and status (from the tally the database keeps)."""
    statement = select(ApplicationTally.posting_key, ApplicationTally.status, ApplicationTally.count).where(
        ApplicationTally.count > 0
    )
    if posting_keys is not None:
        statement = statement.where(ApplicationTally.posting_key.in_(posting_keys))
    counts: dict[str, dict[str, int]] = {}
    for key, status, number in session.execute(statement):
        counts.setdefault(key, {})[status] = number
    return counts


def stored_titles(session: Session, posting_keys: set[str] | None) -> dict[str, str]:
    """Return a title for every posting that has applications (from the
    applications themselves, for postings no longer in the content)."""
    statement = select(Application.posting_key, func.max(Application.posting_title))
    if posting_keys is not None:
        statement = statement.where(Application.posting_key.in_(posting_keys))
    return dict(session.execute(statement.group_by(Application.posting_key)).all())


def allowed_transitions(status: Status) -> tuple[Status, ...]:
    """Return the statuses an application may move to from ``status``."""
    return TRANSITIONS.get(status, ())


def change_status(
    session: Session,
    application: Application,
    to_status: str,
    *,
    reason: str,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
    criteria: tuple[Criterion, ...] = (),
) -> StatusChange:
    """Move an application along the pipeline, keeping the history.

    ``criteria`` are the posting's merit criteria: a rejection needs each
    essential one rated (ReviewError("criteria_unjudged")), and its record
    of decision keeps their consolidated ratings.

    Raises ReviewError("withdrawn_by_candidate") for an application its
    candidate withdrew (nobody may move it again), ReviewError("not_allowed")
    for a move the pipeline forbids, ReviewError("reason_required") for a
    rejection without a written reason and ReviewError("too_long") for a
    reason over ``limits.DECISION_REASON``.
    """
    if candidate_access.withdrawn_by_candidate(application):
        raise ReviewError("withdrawn_by_candidate")
    if to_status not in allowed_transitions(application.status):
        raise ReviewError("not_allowed")
    to_status = Status(to_status)
    reason = reason.strip()
    if to_status is Status.REJECTED and not reason:
        raise ReviewError("reason_required")
    if len(reason) > limits.DECISION_REASON:
        raise ReviewError("too_long")
    basis = ""
    if to_status is Status.REJECTED:
        if assessments.board(application, criteria).unjudged:
            raise ReviewError("criteria_unjudged")
        basis = assessments.basis(application, criteria)
    change = _move(session, application, to_status, reason, "change_status", user, now, ip_address)
    change.criteria_basis = basis
    return change


def is_correction(change: StatusChange) -> bool:
    """Tell whether a history row undid an earlier move (a move the pipeline
    alone does not allow, such as rejected back to screening)."""
    return change.to_status not in allowed_transitions(change.from_status)


def previous_status(application: Application) -> Status | None:
    """Return the status an application was in before it reached its
    current one (corrections skipped), or None at the start of the pipeline."""
    for change in sorted(application.status_changes, key=lambda change: (change.changed_at, change.id or 0))[
        ::-1
    ]:
        if change.to_status == application.status and not is_correction(change):
            return change.from_status
    return None


def correct_status(
    session: Session,
    application: Application,
    *,
    reason: str,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
) -> StatusChange:
    """Move an application back to its previous status to undo a mistake:
    reopen a rejection or a withdrawal by staff, or go back one stage.

    Only admins correct (ReviewError("not_admin")); the history keeps both
    the mistake and the correction, and no email goes to the candidate.
    Raises ReviewError("withdrawn_by_candidate") (a candidate's own
    withdrawal is final), ReviewError("no_previous") at the start of the
    pipeline, ReviewError("reason_required") or ReviewError("too_long").
    """
    if user.role != Role.ADMIN:
        raise ReviewError("not_admin")
    if candidate_access.withdrawn_by_candidate(application):
        raise ReviewError("withdrawn_by_candidate")
    back_to = previous_status(application)
    if back_to is None:
        raise ReviewError("no_previous")
    reason = reason.strip()
    if not reason:
        raise ReviewError("reason_required")
    if len(reason) > limits.DECISION_REASON:
        raise ReviewError("too_long")
    return _move(session, application, back_to, reason, "correct_status", user, now, ip_address)


def _move(
    session: Session,
    application: Application,
    to_status: Status,
    reason: str,
    action: str,
    user: StaffUser,
    now: datetime,
    ip_address: str,
) -> StatusChange:
    """Record a checked move in the history and the audit log, then make it."""
    change = StatusChange(
        application_id=application.id,
        from_status=application.status,
        to_status=to_status,
        reason=reason,
        staff_user_id=user.id,
        changed_at=now,
    )
    application.status_changes.append(change)
    _audit(session, action, user, now, ip_address, application, detail=f"{change.from_status} -> {to_status}")
    application.status = to_status
    mark_used(application, now)
    session.flush()
    return change


def bulk_change_status(
    session: Session,
    posting_key: str,
    application_ids: list[int],
    to_status: str,
    *,
    reason: str,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
    criteria: tuple[Criterion, ...] = (),
) -> tuple[list[Application], list[Application]]:
    """Change the status of several applications of one posting; return
    (changed, skipped).

    Ids of other postings' applications are ignored. Applications for which
    the move is not allowed, or (for a rejection) whose essential
    ``criteria`` are not all rated, are skipped, not failed. A rejection
    still needs its reason (ReviewError("reason_required")).
    """
    if to_status == Status.REJECTED and not reason.strip():
        raise ReviewError("reason_required")
    if len(reason.strip()) > limits.DECISION_REASON:
        raise ReviewError("too_long")
    applications = session.scalars(
        select(Application).where(Application.posting_key == posting_key, Application.id.in_(application_ids))
    )
    changed, skipped = [], []
    for application in applications:
        try:
            change_status(
                session,
                application,
                to_status,
                reason=reason,
                user=user,
                now=now,
                ip_address=ip_address,
                criteria=criteria,
            )
        except ReviewError:
            skipped.append(application)
        else:
            changed.append(application)
    return changed, skipped


def add_note(
    session: Session,
    application: Application,
    body: str,
    *,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
) -> Note:
    """Append a note; notes cannot be edited or deleted afterwards.

    Raises ReviewError("empty_note") or ReviewError("too_long") (over ``limits.NOTE``)."""
    body = body.strip()
    if not body:
        raise ReviewError("empty_note")
    if len(body) > limits.NOTE:
        raise ReviewError("too_long")
    note = Note(application_id=application.id, staff_user_id=user.id, body=body, created_at=now)
    application.notes.append(note)
    _audit(session, "add_note", user, now, ip_address, application)
    mark_used(application, now)
    session.flush()
    return note


@dataclass(frozen=True)
class ApplicationFilter:
    """What a reviewer narrows a posting's applications to."""

    status: str = ""
    search: str = ""
    submitted_from: datetime | None = None
    submitted_before: datetime | None = None
    sort: str = "newest"
    #: essentials.UNMET or essentials.MET ("": all), against ``requirements``,
    #: the posting's essential questions.
    essential: str = ""
    requirements: tuple[essentials.EssentialRequirement, ...] = ()


@dataclass(frozen=True)
class ApplicationPage:
    """One page of a posting's applications, with cursors to its neighbours."""

    rows: list[Application]
    total: int
    next_cursor: str | None
    previous_cursor: str | None = None
    first: bool = True


def filtered(posting_key: str, filters: ApplicationFilter) -> Select:
    """Return the applications to ``posting_key`` matching ``filters``."""
    statement = select(Application).where(Application.posting_key == posting_key)
    if filters.status:
        statement = statement.where(Application.status == filters.status)
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                Application.full_name.ilike(pattern, escape="\\"),
                Application.email.ilike(pattern, escape="\\"),
            )
        )
    if filters.submitted_from is not None:
        statement = statement.where(Application.submitted_at >= filters.submitted_from)
    if filters.submitted_before is not None:
        statement = statement.where(Application.submitted_at < filters.submitted_before)
    if filters.essential in essentials.CHOICES:
        statement = statement.where(essentials.condition(filters.essential, filters.requirements))
    return statement


def matching_count(session: Session, posting_key: str, filters: ApplicationFilter) -> int:
    """Return how many applications to ``posting_key`` match ``filters``:
    from the tally the database keeps when at most the status narrows them,
    else counted."""
    narrowed = filters.search or filters.submitted_from or filters.submitted_before
    if narrowed or filters.essential in essentials.CHOICES:
        return session.scalar(select(func.count()).select_from(filtered(posting_key, filters).subquery()))
    statement = select(func.coalesce(func.sum(ApplicationTally.count), 0)).where(
        ApplicationTally.posting_key == posting_key
    )
    if filters.status:
        statement = statement.where(ApplicationTally.status == filters.status)
    return session.scalar(statement)


def _sort_columns(sort: str):
    if sort == "name":
        return (Application.full_name, Application.id), False
    if sort == "oldest":
        return (Application.submitted_at, Application.id), False
    return (Application.submitted_at, Application.id), True


def page_of_applications(
    session: Session,
    posting_key: str,
    filters: ApplicationFilter,
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
) -> ApplicationPage:
    """Return one page, found by keyset (no OFFSET), so page 2,000 of
    100,000 applications costs what page 1 does."""
    columns, descending = _sort_columns(filters.sort)
    direction, values = decode_cursor(cursor, filters.sort)
    backwards = direction == "before"
    statement = filtered(posting_key, filters)
    if values is not None:
        key = tuple_(*columns)
        after = (key < tuple_(*values)) if descending else (key > tuple_(*values))
        before = (key > tuple_(*values)) if descending else (key < tuple_(*values))
        statement = statement.where(before if backwards else after)
    reverse = descending != backwards
    order = [column.desc() if reverse else column.asc() for column in columns]
    rows = list(session.scalars(statement.order_by(*order).limit(page_size + 1)))
    more = len(rows) > page_size
    rows = rows[:page_size]
    if backwards:
        rows.reverse()
    total = matching_count(session, posting_key, filters)
    has_next = more if not backwards else True
    has_previous = (values is not None) if not backwards else more
    return ApplicationPage(
        rows=rows,
        total=total,
        next_cursor=encode_cursor("after", rows[-1], filters.sort) if rows and has_next else None,
        previous_cursor=encode_cursor("before", rows[0], filters.sort) if rows and has_previous else None,
        first=not has_previous,
    )


_MAX_ID = 2**63 - 1


def encode_cursor(direction: str, application: Application, sort: str) -> str:
    """Return an opaque cursor pointing just past ``application`` in ``sort`` order."""
    first = application.full_name if sort == "name" else application.submitted_at.isoformat()
    raw = json.dumps([direction, sort, first, application.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, sort: str) -> tuple[str | None, tuple | None]:
    """Return (direction, sort values) from a cursor made for ``sort``.

    Anything else (absent, tampered, made for another sort order) gives
    (None, None): the first page.
    """
    if not cursor:
        return None, None
    try:
        direction, cursor_sort, first, identifier = json.loads(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        )
        if (
            direction not in ("after", "before")
            or cursor_sort != sort
            or not isinstance(first, str)
            or not isinstance(identifier, int)
            or not 0 < identifier <= _MAX_ID
        ):
            return None, None
        if sort != "name":
            first = datetime.fromisoformat(first)
            if first.tzinfo is None:
                return None, None
        return direction, (first, identifier)
    except (ValueError, TypeError):
        return None, None


@dataclass
class EquityRow:
    """Self-identification counts for one posting; None means hidden (see ``equity_suppression``)."""

    posting_key: str
    applications: int
    respondents: int | None
    groups: dict[str, int | None] = field(default_factory=dict)


def equity_report(
    session: Session, posting_keys: list[str], *, user: StaffUser, now: datetime, ip_address: str
) -> list[EquityRow]:
    """Count self-identified groups per posting, hiding any count that could
    single out fewer than 5 people (``equity_suppression``). Reading the
    report is audited."""
    _audit(session, "view_equity_report", user, now, ip_address)
    sums = [func.sum(case((getattr(EquityResponse, group), 1), else_=0)) for group in EQUITY_GROUPS]
    responses = {
        row[0]: row[1:]
        for row in session.execute(
            select(EquityResponse.posting_key, func.count(EquityResponse.id), *sums).group_by(
                EquityResponse.posting_key
            )
        )
    }
    applications = dict(
        session.execute(
            select(Application.posting_key, func.count(Application.id)).group_by(Application.posting_key)
        ).all()
    )
    report = []
    for key in posting_keys:
        respondents, *groups = responses.get(key, (0,) + (0,) * len(EQUITY_GROUPS))
        counts = dict(zip(EQUITY_GROUPS, (count or 0 for count in groups)))
        hidden = equity_suppression(applications.get(key, 0), respondents, counts)
        report.append(
            EquityRow(
                posting_key=key,
                applications=applications.get(key, 0),
                respondents=None if "respondents" in hidden else respondents,
                groups={group: None if group in hidden else count for group, count in counts.items()},
            )
        )
    return report


def equity_suppression(applications: int, respondents: int, groups: dict[str, int]) -> set[str]:
    """Return which of a posting's counts to hide ("respondents" or a group).

    A count under SMALL_COUNT is hidden, and so is one that would give such a
    count away by subtraction: "Answered 7, Women 7" tells that no
    respondent is not a woman, "Answered 9, Women 5" that 4 are not. Each
    group splits the respondents in two (in it or not; "prefer not to
    answer" is chosen alone, so its other side is "answered for some group"),
    so a group is shown only when both sides reach SMALL_COUNT. Those who did
    not answer are not protected (saying nothing reveals nothing).
    """
    counts = {"applications": applications, "respondents": respondents}
    counts["no_answer"] = applications - respondents
    relations = [disclosure.Relation("applications", ("respondents", "no_answer"))]
    for group, count in groups.items():
        counts[group] = count
        counts[f"not:{group}"] = respondents - count
        relations.append(disclosure.Relation("respondents", (group, f"not:{group}")))
    return disclosure.hidden_counts(
        counts,
        relations,
        shown={"applications", "respondents", *groups},
        threshold=SMALL_COUNT,
        public={"applications", "no_answer"},
    )


FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def spreadsheet_safe(cells: Iterable) -> list[str]:
    """Return the cells as text, each one a spreadsheet would run as a
    formula neutralised (OWASP CSV injection)."""
    # One comprehension, no call per cell: an export may have millions of cells.
    return [("'" + text if text[:1] in FORMULA_STARTS else text) for text in map(str, cells)]


def export_applications(
    session: Session,
    posting_key: str,
    filters: ApplicationFilter | None = None,
    *,
    user: StaffUser,
    now: datetime,
    ip_address: str,
    batch: int = 1000,
    with_ratings: bool = False,
) -> Iterator[ExportRow]:
    """Record the export in the audit log (its row count and filters, never
    the candidates' data); return the posting's applications matching
    ``filters``, oldest first, read in batches as they are used, with their
    answers and links (and their ratings ``with_ratings``)."""
    filters = filters or ApplicationFilter()
    rows = matching_count(session, posting_key, filters)
    _audit(
        session,
        "export_csv",
        user,
        now,
        ip_address,
        posting_key=posting_key,
        detail=export_detail(rows, filters),
    )
    return _matching_applications(session, posting_key, filters, batch, with_ratings)


def export_detail(rows: int, filters: ApplicationFilter) -> str:
    """Describe an export for the audit log: how many rows, and which filters."""
    parts = [f"{rows} rows"]
    if filters.status:
        parts.append(f"status={filters.status}")
    if filters.search:
        parts.append(f"search={json.dumps(filters.search, ensure_ascii=False)}")
    if filters.submitted_from is not None:
        parts.append(f"from={filters.submitted_from.date().isoformat()}")
    if filters.submitted_before is not None:
        parts.append(f"before={filters.submitted_before.date().isoformat()}")
    if filters.essential:
        parts.append(f"essential={filters.essential}")
    return "; ".join(parts)


#: What an export reads of each application: plain rows, not ORM objects
#: (100,000 of them load in a fraction of the time).
EXPORT_COLUMNS = (
    Application.id,
    Application.reference,
    Application.submitted_at,
    Application.full_name,
    Application.email,
    Application.phone,
    Application.pronouns,
    Application.preferred_language,
    Application.status,
    Application.keep_for_future,
    Application.about,
    Application.accommodation,
    Application.privacy_notice_version,
    Application.flags,
)


@dataclass(frozen=True)
class ExportRow:
    """One application of an export (a row of ``EXPORT_COLUMNS``, read by
    name like an Application), with its answers (label by question id),
    links and ratings read alongside it."""

    application: Row
    answers: dict[str, str]
    links: list[str]
    ratings: list[Assessment] = field(default_factory=list)


def _matching_applications(
    session: Session, posting_key: str, filters: ApplicationFilter, batch: int, with_ratings: bool
) -> Iterator[ExportRow]:
    # Each batch of applications brings its answers and links in two plain
    # queries (and its ratings in one more): 100,000 rows stream in seconds.
    matching = filtered(posting_key, filters)
    statement = matching.with_only_columns(*EXPORT_COLUMNS).order_by(Application.submitted_at, Application.id)
    # A batch is the matching applications from its first to its last in
    # that order: its answers, links and ratings are found with that range
    # (four values), not with a list of a thousand ids to send and parse.
    position = tuple_(Application.submitted_at, Application.id)
    at, number = Application.submitted_at.type, Application.id.type
    in_batch = matching.with_only_columns(Application.id).where(
        position >= tuple_(bindparam("first_at", type_=at), bindparam("first_id", type_=number)),
        position <= tuple_(bindparam("last_at", type_=at), bindparam("last_id", type_=number)),
    )
    answer_query = (
        select(ScreeningAnswer.application_id, ScreeningAnswer.question_id, ScreeningAnswer.answer_label)
        .where(ScreeningAnswer.application_id.in_(in_batch))
        .order_by(ScreeningAnswer.position)
    )
    link_query = (
        select(ApplicationLink.application_id, ApplicationLink.url)
        .where(ApplicationLink.application_id.in_(in_batch))
        .order_by(ApplicationLink.position)
    )
    rating_query = select(Assessment).where(Assessment.application_id.in_(in_batch))
    for applications in session.execute(statement.execution_options(yield_per=batch)).partitions():
        batch_range = {
            "first_at": applications[0].submitted_at,
            "first_id": applications[0].id,
            "last_at": applications[-1].submitted_at,
            "last_id": applications[-1].id,
        }
        answers: dict[int, dict[str, str]] = {}
        for owner, question, label in session.execute(answer_query, batch_range):
            answers.setdefault(owner, {})[question] = label
        links: dict[int, list[str]] = {}
        for owner, url in session.execute(link_query, batch_range):
            links.setdefault(owner, []).append(url)
        ratings: dict[int, list[Assessment]] = {}
        if with_ratings:
            for assessment in session.scalars(rating_query, batch_range):
                ratings.setdefault(assessment.application_id, []).append(assessment)
        for application in applications:
            yield ExportRow(
                application,
                answers.get(application.id, {}),
                links.get(application.id, []),
                ratings.get(application.id, []),
            )
