"""Typed SQLAlchemy 2.0 models: applications, their files and answers, the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text, TypeDecorator,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .db import db


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Application(db.Model):
    """A candidate's application to one posting, in the language they chose."""

    __tablename__ = "application"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown to the candidate and quoted in emails: XXXX-XXXX-XXXX.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    #: Hidden form value: a re-sent or double-clicked form creates one row.
    submission_token: Mapped[str] = mapped_column(String(64), unique=True)
    #: The posting's translationKey (or lang:slug), shared by its translations.
    posting_key: Mapped[str] = mapped_column(String(300), index=True)
    posting_lang: Mapped[str] = mapped_column(String(10))
    posting_slug: Mapped[str] = mapped_column(String(300))
    posting_title: Mapped[str] = mapped_column(String(500))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    pronouns: Mapped[str | None] = mapped_column(String(50))
    preferred_language: Mapped[str] = mapped_column(String(10))
    about: Mapped[str] = mapped_column(Text, default="")
    accommodation: Mapped[str | None] = mapped_column(Text)
    keep_for_future: Mapped[bool] = mapped_column(Boolean, default=False)
    privacy_notice_version: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    links: Mapped[list[ApplicationLink]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ApplicationLink.position"
    )
    answers: Mapped[list[ScreeningAnswer]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ScreeningAnswer.position"
    )
    resume: Mapped[Resume] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, uselist=False
    )


class ApplicationLink(db.Model):
    """A link to work samples or a profile (http or https only)."""

    __tablename__ = "application_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)


class ScreeningAnswer(db.Model):
    """The answer to one screening question, with the question as asked."""

    __tablename__ = "screening_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(100))
    question_label: Mapped[str] = mapped_column(Text)
    #: "yes"/"no", a choice id, or the text written.
    answer: Mapped[str] = mapped_column(Text, default="")
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
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), unique=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))


class EquityResponse(db.Model):
    """Voluntary employment-equity self-identification, kept apart.

    Never loaded with an application (no relationship from it) and only ever
    reported in aggregate per posting. The link to the application exists so
    the response is deleted with it.
    """

    __tablename__ = "equity_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("application.id", ondelete="CASCADE"), unique=True
    )
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
