"""Name-blind review: until an application reaches a stage, staff see a
candidate number instead of the name, email, phone, pronouns and links.

A posting asks for it in its front matter (``nameBlind``); an admin may
override that per posting (``PostingReviewSetting``). The number is the
application's id: stable (purges never renumber it), already in the staff
URLs and the audit log, and meaningless outside the portal. An admin may
reveal one application, for themselves only, with a written reason; the
reveal is kept and audited. Free text (about, answers, notes) is shown as
written: it may name the candidate, and nothing here hides that.

Functions take a session and flush; the request commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..content import ContentIndex
from ..content.fields import NAME_BLIND_DEFAULT_STAGE, NAME_BLIND_STAGES
from . import audit, limits
from .models import (
    Application,
    NameBlindReveal,
    PostingReviewSetting,
    Role,
    StaffUser,
    Status,
    StatusChange,
)
from .review import ApplicationFilter

#: The stages a name-blind review may last until, in pipeline order.
STAGES: tuple[Status, ...] = tuple(Status(stage) for stage in NAME_BLIND_STAGES)
DEFAULT_STAGE = Status(NAME_BLIND_DEFAULT_STAGE)
#: Where each status stands in the pipeline; rejected and withdrawn stand nowhere.
_RANK = {Status.RECEIVED: 0, Status.SCREENING: 1, Status.INTERVIEW: 2, Status.OFFER: 3, Status.HIRED: 4}
#: What an admin may choose for a posting: follow its front matter, off, or a stage.
CHOICES = ("content", "off", *(stage.value for stage in STAGES))


class NameBlindError(ValueError):
    """A name-blind action the rules refuse; ``code`` says which rule."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Rule:
    """How a posting is reviewed: name-blind until ``until``, or not (None)."""

    until: Status | None
    #: Who decided: ``setting`` (an admin, on the posting's page) or ``content`` (the front matter).
    source: str
    #: What the front matter alone says (shown beside the admin's choice).
    content_until: Status | None = None

    @property
    def blind(self) -> bool:
        """Tell whether the posting's review is name-blind at all."""
        return self.until is not None

    @property
    def choice(self) -> str:
        """Return the admin form's value for this rule (one of CHOICES)."""
        if self.source == "content":
            return "content"
        return self.until.value if self.until else "off"


def content_stage(index: ContentIndex, posting_key: str) -> Status | None:
    """Return the stage a posting's front matter sets (the later one when its
    translations disagree: the stricter wins), or None."""
    stages = [Status(doc.name_blind) for doc in index.postings(posting_key).values() if doc.name_blind]
    return max(stages, key=_RANK.__getitem__) if stages else None


def rule_for(session: Session, index: ContentIndex, posting_key: str) -> Rule:
    """Return the posting's rule: the admin's setting if any, else its front matter."""
    from_content = content_stage(index, posting_key)
    setting = session.get(PostingReviewSetting, posting_key)
    if setting is None:
        return Rule(until=from_content, source="content", content_until=from_content)
    return Rule(
        until=setting.reveal_stage if setting.name_blind else None,
        source="setting",
        content_until=from_content,
    )


def set_rule(
    session: Session,
    posting_key: str,
    choice: str,
    *,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
) -> None:
    """Set a posting's name-blind review (admins): ``content`` follows the
    front matter again, ``off`` turns it off, a stage turns it on until then.

    Raises NameBlindError("not_admin") or NameBlindError("unknown_choice").
    Audited with the choice (no personal information).
    """
    if user.role != Role.ADMIN:
        raise NameBlindError("not_admin")
    if choice not in CHOICES:
        raise NameBlindError("unknown_choice")
    setting = session.get(PostingReviewSetting, posting_key)
    if choice == "content":
        if setting is not None:
            session.delete(setting)
    else:
        if setting is None:
            setting = PostingReviewSetting(posting_key=posting_key)
            session.add(setting)
        setting.name_blind = choice != "off"
        setting.reveal_stage = Status(choice) if choice != "off" else (setting.reveal_stage or DEFAULT_STAGE)
        setting.updated_at = now
        setting.updated_by_id = user.id
    audit.record_by_staff(
        session,
        "set_name_blind",
        user,
        at=now,
        ip_address=ip_address,
        posting_key=posting_key,
        detail=f"name-blind: {choice}",
    )
    session.flush()


def reached(application: Application, stage: Status) -> bool:
    """Tell whether the application is at ``stage`` or beyond, or ever was
    (rejected or withdrawn after an interview, or corrected back): names
    once shown are not hidden again."""
    if _RANK.get(application.status, -1) >= _RANK[stage]:
        return True
    return any(_RANK.get(change.to_status, -1) >= _RANK[stage] for change in application.status_changes)


def _revealed(session: Session, user: StaffUser, application_ids: Iterable[int]) -> set[int]:
    ids = list(application_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(NameBlindReveal.application_id).where(
                NameBlindReveal.staff_user_id == user.id, NameBlindReveal.application_id.in_(ids)
            )
        )
    )


def _reached_ids(session: Session, applications: list[Application], stage: Status) -> set[int]:
    """The ids of ``applications`` at or past ``stage`` (one query for their histories)."""
    later = [status for status, rank in _RANK.items() if rank >= _RANK[stage]]
    found = {application.id for application in applications if application.status in later}
    others = [application.id for application in applications if application.id not in found]
    if others:
        found |= set(
            session.scalars(
                select(StatusChange.application_id)
                .where(StatusChange.application_id.in_(others), StatusChange.to_status.in_(later))
                .distinct()
            )
        )
    return found


def hidden(session: Session, rule: Rule, user: StaffUser, application: Application) -> bool:
    """Tell whether ``user`` sees ``application`` by number only: the posting
    is name-blind, the application has not reached the stage, and ``user``
    has not revealed it."""
    if rule.until is None or reached(application, rule.until):
        return False
    return application.id not in _revealed(session, user, [application.id])


def shown_ids(session: Session, rule: Rule, user: StaffUser, applications: Iterable[Application]) -> set[int]:
    """Return the ids of ``applications`` whose candidate ``user`` sees by
    name (every one when the posting is not name-blind)."""
    applications = list(applications)
    if rule.until is None:
        return {application.id for application in applications}
    shown = _reached_ids(session, applications, rule.until)
    return shown | _revealed(session, user, [a.id for a in applications if a.id not in shown])


def identity_check(
    session: Session, rule: Rule, user: StaffUser, posting_key: str
) -> Callable[[Application], bool]:
    """Return a test of whether ``user`` sees an application to the posting
    by name, made with two queries however many applications (for the CSV)."""
    if rule.until is None:
        return lambda application: True
    later = [status for status, rank in _RANK.items() if rank >= _RANK[rule.until]]
    in_posting = select(Application.id).where(Application.posting_key == posting_key)
    reached_ids = set(
        session.scalars(
            select(StatusChange.application_id)
            .where(StatusChange.application_id.in_(in_posting), StatusChange.to_status.in_(later))
            .distinct()
        )
    )
    revealed_ids = set(
        session.scalars(
            select(NameBlindReveal.application_id).where(
                NameBlindReveal.staff_user_id == user.id, NameBlindReveal.application_id.in_(in_posting)
            )
        )
    )
    return lambda application: (
        application.status in later or application.id in reached_ids or application.id in revealed_ids
    )


def candidate_label(application: Application) -> str:
    """Return what staff see instead of the name: "Candidate 17" (the application's id)."""
    # i18n: shown instead of a candidate's name during name-blind review; the number is the application's.
    return _("Candidate %(number)s", number=application.id)


def stand_in(application: Application) -> Application:
    """Return an unsaved copy of the application whose name is its candidate
    number and whose contact details are empty: an email previewed while
    the candidate is shown by number greets "Candidate 17"."""
    values = {column.key: getattr(application, column.key) for column in inspect(Application).column_attrs}
    values.update(full_name=candidate_label(application), email="", phone=None, pronouns=None)
    return Application(**values)


def resume_name(session: Session, rule: Rule, user: StaffUser, application: Application) -> str:
    """Return the name a résumé downloads under: its own, or
    "candidate-17.pdf" while ``user`` sees the candidate by number (file
    names are often the candidate's)."""
    filename = application.resume.filename
    if not hidden(session, rule, user, application):
        return filename
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    safe = extension if extension.isascii() and extension.isalnum() and len(extension) <= 5 else ""
    return f"candidate-{application.id}" + (f".{safe}" if safe else "")


def reveal(
    session: Session,
    rule: Rule,
    application: Application,
    reason: str,
    *,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
) -> NameBlindReveal:
    """Show one application's candidate to ``user`` (an admin) from now on,
    keeping who, when and why; audited without the reason (it may name people).

    Raises NameBlindError("not_admin"), NameBlindError("not_hidden") (nothing
    to reveal), NameBlindError("reason_required") or NameBlindError("too_long").
    """
    if user.role != Role.ADMIN:
        raise NameBlindError("not_admin")
    if not hidden(session, rule, user, application):
        raise NameBlindError("not_hidden")
    reason = reason.strip()
    if not reason:
        raise NameBlindError("reason_required")
    if len(reason) > limits.DECISION_REASON:
        raise NameBlindError("too_long")
    record = NameBlindReveal(
        application_id=application.id, staff_user_id=user.id, reason=reason, revealed_at=now
    )
    session.add(record)
    audit.record_by_staff(
        session,
        "reveal_identity",
        user,
        at=now,
        ip_address=ip_address,
        application_id=application.id,
        posting_key=application.posting_key,
        detail=f"name-blind until {rule.until}; status {application.status}",
    )
    session.flush()
    return record


def reveals_of(session: Session, application: Application) -> list[NameBlindReveal]:
    """Return every reveal of an application, oldest first (the page shows them to all its staff)."""
    return list(
        session.scalars(
            select(NameBlindReveal)
            .where(NameBlindReveal.application_id == application.id)
            .order_by(NameBlindReveal.revealed_at, NameBlindReveal.id)
        )
    )


def without_identity(filters: ApplicationFilter) -> ApplicationFilter:
    """Return a list's filters without what would tell names apart while the
    posting is name-blind: the name or email search and the sort by name."""
    return replace(filters, search="", sort="newest" if filters.sort == "name" else filters.sort)
