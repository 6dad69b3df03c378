"""Applications: the rules for taking one in. Functions take a session and
flush; the request commits once."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..content import Document
from ..content.model import Question
from . import candidate_access, limits, mail
from .models import Application, ApplicationLink, EquityResponse, Resume, ScreeningAnswer, Status
from .resumes import CheckedFile

#: No 0/O, 1/I/L: a reference read over the phone is not misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: Signs that a submission may be automated, with what staff are told: stored
#: with the application and shown to staff, never a reason to refuse it.
FLAGS = {
    "honeypot": (
        _l("Hidden field filled in"),
        _l(
            "A field that people do not see, labelled “Leave this field empty”, was filled in: "
            "automated programs fill in every field."
        ),
    ),
    "too_fast": (
        _l("Sent too fast"),
        _l(
            "The form was sent within seconds of being opened, or without the time it was opened: "
            "people take longer to fill it in."
        ),
    ),
}
#: Whether the candidate withdrew the application themselves (no decision
#: email then, and staff cannot move it): defined with the candidate's links.
withdrawn_by_candidate = candidate_access.withdrawn_by_candidate
#: The sizes of the columns that hold the form's token and the language code.
SUBMISSION_TOKEN_LENGTH = 64
LANGUAGE_CODE_LENGTH = 10
#: The INSERT that can skip a row whose unique key is taken, by database.
_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class ApplicationsClosed(Exception):
    """The posting does not take applications (closed, hidden or a draft)."""


class TooLong(ValueError):
    """A value of the submission is longer than its column allows (the form
    should have said so: this is the last guard before the database)."""

    def __init__(self, field: str, limit: int) -> None:
        super().__init__(f"{field} is longer than {limit} characters")
        self.field = field
        self.limit = limit


@dataclass(frozen=True)
class Answer:
    """A screening answer: the value stored and the label the candidate saw."""

    question: Question
    value: str
    label: str


@dataclass(frozen=True)
class EquityAnswers:
    """Voluntary self-identification; all False means the candidate said nothing."""

    woman: bool = False
    indigenous: bool = False
    disability: bool = False
    visible_minority: bool = False
    prefer_not_to_answer: bool = False

    @property
    def given(self) -> bool:
        return any(
            (self.woman, self.indigenous, self.disability, self.visible_minority, self.prefer_not_to_answer)
        )


@dataclass(frozen=True)
class Submission:
    """Everything a candidate sent, already checked for shape by the form."""

    submission_token: str
    full_name: str
    email: str
    preferred_language: str
    resume: CheckedFile
    phone: str = ""
    pronouns: str = ""
    about: str = ""
    accommodation: str = ""
    keep_for_future: bool = False
    links: tuple[str, ...] = ()
    answers: tuple[Answer, ...] = ()
    equity: EquityAnswers = EquityAnswers()
    #: Signs of automation (keys of FLAGS).
    flags: tuple[str, ...] = ()


def new_reference() -> str:
    """Return an unguessable, human-friendly reference like ``7KQ4-M9XP-2HTD``."""
    characters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))
    return "-".join(characters[i : i + 4] for i in range(0, 12, 4))


def flags_of(application: Application) -> list[str]:
    """Return the signs of automation stored with an application (keys of FLAGS)."""
    return [flag for flag in (application.flags or "").split(",") if flag in FLAGS]


def find_by_reference(session: Session, reference: str) -> Application | None:
    """Return the application with this reference number, if any."""
    return session.scalar(select(Application).where(Application.reference == reference))


def find_by_token(session: Session, token: str) -> Application | None:
    """Return the application a form submission already created, if any."""
    return session.scalar(select(Application).where(Application.submission_token == token))


def submit(
    session: Session,
    posting: Document,
    submission: Submission,
    *,
    privacy_notice_version: str,
    posting_titles: Mapping[str, str],
    contact_email: str,
    now: datetime,
    status_link: candidate_access.LinkBuilder,
) -> tuple[Application, bool]:
    """Store an application with its résumé, answers, equity response, status
    link and confirmation email (which carries the link, built by
    ``status_link``), all in the caller's transaction.

    Returns ``(application, created)``: a form sent twice (double click,
    re-sent POST) returns the first application with ``created`` False.
    Raises ApplicationsClosed when the posting takes no applications at ``now``,
    TooLong when a value is over its cap (then nothing is stored).
    """
    check_lengths(submission)
    if not posting.accepts_applications(now):
        # The same form sent again after the closing still finds its application.
        existing = find_by_token(session, submission.submission_token)
        if existing is not None:
            return existing, False
        raise ApplicationsClosed(posting.slug)
    values = _columns(posting, submission, privacy_notice_version, now)
    language = submission.preferred_language
    token = candidate_access.status_token()
    # Rendered before the first write: on SQLite the write lock is then held
    # for the inserts only, not while templates render.
    email = mail.render(
        "application_received",
        language,
        reference=values["reference"],
        full_name=values["full_name"],
        posting_title=posting_titles.get(language, posting.title),
        contact_email=contact_email,
        status_url=status_link(language, token),
    )
    application = _insert_once(session, values)
    if application is None:
        # This form was stored already, or another request with it got there
        # first (PostgreSQL waits on the unique token, then inserts nothing).
        existing = find_by_token(session, submission.submission_token)
        if existing is None:
            raise LookupError("the submission token collided, yet no application holds it")
        return existing, False
    session.add_all(_parts(application.id, submission))
    if submission.equity.given:
        session.add(
            EquityResponse(
                application_id=application.id,
                posting_key=application.posting_key,
                woman=submission.equity.woman,
                indigenous=submission.equity.indigenous,
                disability=submission.equity.disability,
                visible_minority=submission.equity.visible_minority,
                prefer_not_to_answer=submission.equity.prefer_not_to_answer,
            )
        )
    candidate_access.add_status_link(session, application, token, now=now)
    mail.queue_rendered(
        session, email, recipient=application.email, language=language, application_id=application.id
    )
    return application, True


def check_lengths(submission: Submission) -> None:
    """Raise TooLong for the first value longer than its cap in ``limits``."""
    values = [
        ("submission_token", submission.submission_token, SUBMISSION_TOKEN_LENGTH),
        ("full_name", submission.full_name, limits.FULL_NAME),
        ("email", submission.email, limits.EMAIL),
        ("phone", submission.phone, limits.PHONE),
        ("pronouns", submission.pronouns, limits.PRONOUNS),
        ("preferred_language", submission.preferred_language, LANGUAGE_CODE_LENGTH),
        ("about", submission.about, limits.ABOUT),
        ("accommodation", submission.accommodation, limits.ACCOMMODATION),
        *((f"links[{i}]", link, limits.LINK) for i, link in enumerate(submission.links)),
        *((f"answers[{i}]", a.value, limits.TEXT_ANSWER) for i, a in enumerate(submission.answers)),
    ]
    for field, value, limit in values:
        if len(value) > limit:
            raise TooLong(field, limit)


def _insert_once(session: Session, values: dict) -> Application | None:
    """Insert the application row unless one holds its submission token
    already; return it, or None when the form was stored before.

    ``ON CONFLICT DO NOTHING`` rather than a savepoint: nearly every form is
    sent once, and this costs no round trips to the database beyond the insert.
    """
    insert = _UPSERTS[session.get_bind().dialect.name]
    statement = (
        insert(Application)
        .on_conflict_do_nothing(index_elements=[Application.submission_token])
        .returning(Application)
    )
    return session.scalars(statement, [values]).one_or_none()


def _columns(posting: Document, submission: Submission, version: str, now: datetime) -> dict:
    return {
        "reference": new_reference(),
        "submission_token": submission.submission_token,
        "posting_key": posting.posting_key,
        "posting_lang": posting.lang,
        "posting_slug": posting.slug,
        "posting_title": posting.title,
        "full_name": submission.full_name,
        "email": submission.email,
        "phone": submission.phone or None,
        "pronouns": submission.pronouns or None,
        "preferred_language": submission.preferred_language,
        "about": submission.about,
        "accommodation": submission.accommodation or None,
        "keep_for_future": submission.keep_for_future,
        "privacy_notice_version": version,
        "status": Status.RECEIVED,
        "submitted_at": now,
        "flags": ",".join(flag for flag in FLAGS if flag in submission.flags),
    }


def _parts(application_id: int, submission: Submission) -> list:
    """The rows stored with a new application: its links, answers and résumé."""
    resume = submission.resume
    return [
        *(
            ApplicationLink(application_id=application_id, position=i, url=url)
            for i, url in enumerate(submission.links)
        ),
        *(
            ScreeningAnswer(
                application_id=application_id,
                position=i,
                question_id=answer.question.id,
                question_label=answer.question.label,
                answer=answer.value,
                answer_label=answer.label,
            )
            for i, answer in enumerate(submission.answers)
        ),
        Resume(
            application_id=application_id,
            filename=resume.filename,
            media_type=resume.media_type,
            size=resume.size,
            sha256=resume.sha256,
            content=resume.content,
            scan_status=resume.scan_status,
        ),
    ]
