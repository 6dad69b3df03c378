"""Typed SQLAlchemy 2.0 models: applications and what they carry, staff, audit, outbox.

Statuses and roles are enums defined here once; each knows its label.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..plumbing.db import EnumText, UTCDateTime, db
from . import limits


class Status(StrEnum):
    """Where an application stands in the hiring pipeline."""

    RECEIVED = "received"
    SCREENING = "screening"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The status as staff read it, in the page language."""
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    Status.RECEIVED: _l("Received"),
    Status.SCREENING: _l("Screening"),
    Status.INTERVIEW: _l("Interview"),
    Status.OFFER: _l("Offer"),
    Status.HIRED: _l("Hired"),
    Status.REJECTED: _l("Rejected"),
    Status.WITHDRAWN: _l("Withdrawn"),
}


class Role(StrEnum):
    """What a staff account may do: admins everything, reviewers their postings."""

    ADMIN = "admin"
    REVIEWER = "reviewer"

    @property
    def sees_every_posting(self) -> bool:
        """Admins see every posting; reviewers only those assigned to them."""
        return self is Role.ADMIN

    @property
    def label(self) -> str:
        """The role as staff read it, in the page language."""
        return _ROLE_LABELS[self]


_ROLE_LABELS = {Role.ADMIN: _l("Administrator"), Role.REVIEWER: _l("Reviewer")}


class ScanStatus(StrEnum):
    """Whether staff may download a résumé: ``clean`` once the virus scanner
    passed it (or when no scanner is configured), ``unscanned`` while it waits
    for a scanner that was down when it arrived (``PORTAL_CLAMAV_UNAVAILABLE=hold``).
    Infected files are never stored."""

    CLEAN = "clean"
    UNSCANNED = "unscanned"


class Application(db.Model):
    """A candidate's application to one posting, in the language they chose."""

    __tablename__ = "application"
    # The per-posting review table filters by status and pages by date.
    __table_args__ = (
        Index("ix_application_posting_submitted", "posting_key", "submitted_at", "id"),
        Index("ix_application_posting_status_submitted", "posting_key", "status", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown to the candidate and quoted in emails: XXXX-XXXX-XXXX.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    #: Hidden form value: a re-sent or double-clicked form creates one row.
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    #: The posting's translationKey (or lang:slug), shared by its translations.
    posting_key: Mapped[str] = mapped_column(String(300))
    posting_lang: Mapped[str] = mapped_column(String(10))
    posting_slug: Mapped[str] = mapped_column(String(300))
    posting_title: Mapped[str] = mapped_column(String(500))
    full_name: Mapped[str] = mapped_column(String(limits.FULL_NAME))
    email: Mapped[str] = mapped_column(String(limits.EMAIL), index=True)
    phone: Mapped[str | None] = mapped_column(String(limits.PHONE))
    pronouns: Mapped[str | None] = mapped_column(String(limits.PRONOUNS))
    preferred_language: Mapped[str] = mapped_column(String(10))
    about: Mapped[str] = mapped_column(String(limits.ABOUT), default="")
    accommodation: Mapped[str | None] = mapped_column(String(limits.ACCOMMODATION))
    keep_for_future: Mapped[bool] = mapped_column(Boolean, default=False)
    privacy_notice_version: Mapped[str] = mapped_column(String(50))
    status: Mapped[Status] = mapped_column(EnumText(Status), default=Status.RECEIVED)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Why the submission looks automated (comma-separated: ``honeypot``, ``too_fast``);
    #: shown to staff, never a reason to refuse.
    flags: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: The last administrative use (status change, note, résumé download): with the
    #: posting's closing date, it starts the retention clock.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    status_changes: Mapped[list[StatusChange]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="StatusChange.changed_at"
    )
    notes: Mapped[list[Note]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Note.created_at"
    )
    links: Mapped[list[ApplicationLink]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ApplicationLink.position"
    )
    answers: Mapped[list[ScreeningAnswer]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ScreeningAnswer.position"
    )
    resume: Mapped[Resume] = relationship(cascade="all, delete-orphan", passive_deletes=True, uselist=False)
    messages: Mapped[list[ApplicationMessage]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ApplicationMessage.created_at"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Assessment.id"
    )


class ApplicationLink(db.Model):
    """A link to work samples or a profile (http or https only)."""

    __tablename__ = "application_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(limits.LINK))


class ScreeningAnswer(db.Model):
    """The answer to one screening question, with the question as asked."""

    __tablename__ = "screening_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(100))
    question_label: Mapped[str] = mapped_column(Text)
    #: "yes"/"no", a choice id, or the text written.
    answer: Mapped[str] = mapped_column(String(limits.TEXT_ANSWER), default="")
    #: What the candidate saw for that answer ("Oui", the choice's label...).
    answer_label: Mapped[str] = mapped_column(Text, default="")


class Resume(db.Model):
    """The résumé file, stored in the database with its application.

    In the database (not a local folder) so that several app servers sharing
    one PostgreSQL see the same files, and so that the application and its
    file are committed, or rolled back, together.
    """

    __tablename__ = "resume"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    #: Held résumés (``unscanned``) are found by ``flask resumes scan`` through the index.
    scan_status: Mapped[ScanStatus] = mapped_column(
        EnumText(ScanStatus), default=ScanStatus.CLEAN, server_default=ScanStatus.CLEAN.value, index=True
    )


class EquityResponse(db.Model):
    """Voluntary employment-equity self-identification, kept apart.

    Never loaded with an application (no relationship from it) and only ever
    reported in aggregate per posting. The link to the application exists so
    the response is deleted with it.
    """

    __tablename__ = "equity_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), unique=True)
    posting_key: Mapped[str] = mapped_column(String(300), index=True)
    woman: Mapped[bool] = mapped_column(Boolean, default=False)
    indigenous: Mapped[bool] = mapped_column(Boolean, default=False)
    disability: Mapped[bool] = mapped_column(Boolean, default=False)
    visible_minority: Mapped[bool] = mapped_column(Boolean, default=False)
    prefer_not_to_answer: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxEmail(db.Model):
    """An email written in the same transaction as what caused it, sent after commit."""

    __tablename__ = "outbox_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="SET NULL"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Set while one sender works on the email, so two senders never both send it.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Made once, when the email is written: a copy sent again after a crash
    #: carries the same Message-ID, so mail servers and clients drop it.
    message_id: Mapped[str | None] = mapped_column(String(255))
    #: Extra headers as a JSON object (a job alert's List-Unsubscribe), or None.
    headers: Mapped[str | None] = mapped_column(Text)
    #: After a failed try: not tried again before then (back-off).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffUser(db.Model):
    """A member of the hiring staff: an admin, or a reviewer of assigned postings."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(EnumText(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The base32 secret of the authenticator app, once enrolment is confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The last time step accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    assignments: Mapped[list[Assignment]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Assignment.posting_key"
    )


class Assignment(db.Model):
    """A reviewer may see the applications to one posting (by translationKey)."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("staff_user_id", "posting_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    posting_key: Mapped[str] = mapped_column(String(300), index=True)


class StaffSession(db.Model):
    """A signed-in browser. The cookie holds only ``token``; revoking the row
    signs that browser out on its next request."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[StaffUser] = relationship()


class ApplicationTally(db.Model):
    """How many applications each posting has in each status, kept by the
    database itself: triggers on ``application`` (migration 0011) count every
    insert, delete and change of status, whatever code does it. The staff
    list and the dashboard read their totals here instead of counting up to
    100,000 rows on every page.

    On PostgreSQL the triggers run at commit (deferred), so concurrent
    submissions hold the posting's row only for that moment. A future SQLite
    migration that rebuilds the ``application`` table (batch mode) drops the
    triggers and must create them again (``tally_triggers`` of 0011).
    """

    __tablename__ = "application_tally"

    posting_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    status: Mapped[Status] = mapped_column(EnumText(Status), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class StatusChange(db.Model):
    """One step of an application through the pipeline: who, when, why."""

    __tablename__ = "status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[Status] = mapped_column(EnumText(Status))
    to_status: Mapped[Status] = mapped_column(EnumText(Status))
    #: The record of decision: required for a rejection.
    reason: Mapped[str] = mapped_column(String(limits.DECISION_REASON), default="")
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The candidate withdrew the application themselves (from the status page).
    by_candidate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    #: For a rejection of a posting with merit criteria: the consolidated
    #: result of each essential criterion when the decision was made, as
    #: ``id=rating`` pairs joined by ``;`` (the record of decision points at them).
    criteria_basis: Mapped[str] = mapped_column(Text, default="", server_default="")

    author: Mapped[StaffUser | None] = relationship()


class Note(db.Model):
    """A reviewer's note on an application; notes are never edited."""

    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(String(limits.NOTE))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author: Mapped[StaffUser | None] = relationship()


class AuditEvent(db.Model):
    """Append-only record of access to personal information and of staff actions.

    Deliberately without foreign keys: entries outlive the applications and
    accounts they mention (a purge is itself audited).
    """

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: The email of the actor (or the email tried, for a failed sign-in).
    actor: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[int | None] = mapped_column(Integer, index=True)
    posting_key: Mapped[str | None] = mapped_column(String(300))
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    #: The actor's role when it happened (``admin``, ``reviewer``; empty for
    #: the public, a command, or an unknown account).
    role: Mapped[str] = mapped_column(String(20), default="", server_default="")
    #: ``done``, ``refused`` (denied access, refused CSRF token) or ``failed``.
    outcome: Mapped[str] = mapped_column(String(20), default="done", server_default="done")
    detail: Mapped[str] = mapped_column(Text, default="")


class PostingClosure(db.Model):
    """When the portal first saw a posting closed: the start of its retention clock."""

    __tablename__ = "posting_closure"

    posting_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecoveryCode(db.Model):
    """A one-time code that signs in instead of the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccountToken(db.Model):
    """A single-use, expiring link sent by email: an invitation to set a first
    password, or a password reset. The link holds the token; only its hash is kept."""

    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    #: ``invitation`` or ``reset``.
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LegalHold(db.Model):
    """Keeps an application, or every application to a posting, from being
    purged while a complaint, an access request or litigation is open."""

    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Exactly one of the two is set.
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    posting_key: Mapped[str | None] = mapped_column(String(300), index=True)
    reason: Mapped[str] = mapped_column(String(limits.HOLD_REASON))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    placed_by: Mapped[str] = mapped_column(String(320))


class JobAlert(db.Model):
    """A candidate's subscription to emails about new postings: one address,
    one language, optionally a search. Nothing is sent before the address is
    confirmed; unsubscribing deletes the row (and its links and history)."""

    __tablename__ = "job_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the address, language and filters: one subscription for each.
    identity: Mapped[str] = mapped_column(String(64), unique=True)
    #: Stored and compared in lower case.
    email: Mapped[str] = mapped_column(String(limits.EMAIL))
    language: Mapped[str] = mapped_column(String(10))
    #: The search (``JobQuery.to_args()`` without its order) as JSON with sorted keys; "{}": every posting.
    filters: Mapped[str] = mapped_column(Text)
    #: The site address the subscriber used: the links in the emails point there.
    site_url: Mapped[str] = mapped_column(String(200))
    #: When the subscription was last asked for: unconfirmed, it expires from then.
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: When ``flask alerts send`` last emailed it.
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    links: Mapped[list[JobAlertLink]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class JobAlertLink(db.Model):
    """A link to confirm, manage or cancel a subscription, sent in one email.
    The link holds a random token; only its SHA-256 is kept. Every email has
    its own, and each works until the subscription is deleted."""

    __tablename__ = "job_alert_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    job_alert_id: Mapped[int] = mapped_column(ForeignKey("job_alert.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobAlertPosting(db.Model):
    """A posting a subscription has had: emailed to it, or already open when
    it was confirmed. The unique pair is what keeps a posting from ever being
    sent twice to one subscription, even by two overlapping runs."""

    __tablename__ = "job_alert_posting"
    __table_args__ = (UniqueConstraint("job_alert_id", "posting_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_alert_id: Mapped[int] = mapped_column(ForeignKey("job_alert.id", ondelete="CASCADE"))
    posting_key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: False for a posting already open at confirmation (seen on the list, never emailed).
    emailed: Mapped[bool] = mapped_column(Boolean, default=False)


class ApplicationMessage(db.Model):
    """An email staff sent a candidate (a free message or a decision email),
    kept in the application's history: who, when, what."""

    __tablename__ = "application_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    #: ``message`` (written by staff) or the decision email's template (``decision_offer``...).
    kind: Mapped[str] = mapped_column(String(40))
    #: The subject staff wrote (empty: the template's).
    subject: Mapped[str] = mapped_column(String(limits.MESSAGE_SUBJECT), default="")
    #: The message staff wrote, or the personal message added to a decision email.
    body: Mapped[str] = mapped_column(String(limits.MESSAGE), default="")
    email_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_email.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author: Mapped[StaffUser | None] = relationship()
    email: Mapped[OutboxEmail | None] = relationship()


class StatusLink(db.Model):
    """The personal link to an application's status page, sent by email. The
    link holds a random token; only its SHA-256 is kept. It works until the
    application is deleted, or until a newer link revokes it."""

    __tablename__ = "status_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class KeptResume(db.Model):
    """A résumé that passed its checks on a form sent back with errors, kept
    a few hours so the candidate need not choose it again.

    No URL serves it and no staff page reads this table. The form carries a
    random key; only its SHA-256 is kept, with the SHA-256 of the browser's
    session binding and of the form's submission token: the key works only
    with the same browser and the same form. ``flask retention purge``
    deletes the rows older than ``PORTAL_KEPT_RESUME_HOURS``.
    """

    __tablename__ = "kept_resume"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_hash: Mapped[str] = mapped_column(String(64))
    form_token_hash: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Rating(StrEnum):
    """A reviewer's judgement of one merit criterion."""

    MET = "met"
    PARTLY_MET = "partly_met"
    NOT_MET = "not_met"

    @property
    def label(self) -> str:
        """The rating as staff read it, in the page language."""
        return _RATING_LABELS[self]


_RATING_LABELS = {
    Rating.MET: _l("Met"),
    Rating.PARTLY_MET: _l("Partly met"),
    Rating.NOT_MET: _l("Not met"),
}


class Assessment(db.Model):
    """One reviewer's rating of an application against one merit criterion,
    with its justification; a reviewer has one per criterion, which they may revise."""

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("application_id", "staff_user_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    #: Null once the reviewer's account is deleted: the judgement stays on record.
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    #: The criterion's id in the posting's front matter (the same in every language).
    criterion_id: Mapped[str] = mapped_column(String(100))
    rating: Mapped[Rating] = mapped_column(EnumText(Rating))
    justification: Mapped[str] = mapped_column(String(limits.JUSTIFICATION))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    reviewer: Mapped[StaffUser | None] = relationship()


class PostingReviewSetting(db.Model):
    """An admin's choice of name-blind review for one posting, overriding its
    front matter (``nameBlind``); without a row, the front matter decides."""

    __tablename__ = "posting_review_setting"

    posting_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    name_blind: Mapped[bool] = mapped_column(Boolean)
    #: From this stage on (and after it, rejected included) reviewers see names.
    reveal_stage: Mapped[Status] = mapped_column(EnumText(Status))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))


class NameBlindReveal(db.Model):
    """An admin lifted name-blind review of one application, for themselves
    only, with the reason written down."""

    __tablename__ = "name_blind_reveal"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    #: Null once the admin's account is deleted: the record of the reveal stays.
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(String(limits.DECISION_REASON))
    revealed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    author: Mapped[StaffUser | None] = relationship()
