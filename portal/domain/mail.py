"""Email: written to the outbox with what caused it, sent over SMTP after commit.

:func:`queue` adds an email to the caller's transaction; the request layer
sends what a request queued once that request has committed (never before).
Delivery claims each email before sending, so several app servers or a
``flask outbox send`` running beside them never send one twice, and a failed
send stays in the outbox for the next try.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import Flask, render_template
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..plumbing import i18n
from ..plumbing.db import db, transaction
from .models import OutboxEmail

logger = logging.getLogger("portal.mail")
#: A claim older than this is taken to belong to a sender that died.
CLAIM_TIMEOUT = timedelta(minutes=10)
#: Where a session keeps the emails queued in its current transaction.
_QUEUED = "portal.mail.queued"


def queue(
    session: Session,
    *,
    recipient: str,
    language: str,
    template: str,
    application_id: int | None = None,
    **context,
) -> OutboxEmail:
    """Render ``emails/<template>.{txt,html}`` in ``language`` and add it to the outbox.

    The subject is the template's ``subject`` block, rendered in the same
    language: the recipient's, whatever the language of the request.
    """
    with i18n.language(language):
        body_text = render_template(f"emails/{template}.txt", **context)
        body_html = render_template(f"emails/{template}.html", **context)
        subject = render_template(f"emails/{template}.subject.txt", **context)
    email = OutboxEmail(
        application_id=application_id,
        recipient=recipient,
        language=language,
        subject=" ".join(subject.split()),
        body_text=body_text,
        body_html=body_html,
        created_at=datetime.now(UTC),
        attempts=0,
    )
    session.add(email)
    session.info.setdefault(_QUEUED, []).append(email)
    return email


def take_queued(session: Session) -> list[OutboxEmail]:
    """Return (and forget) the emails queued in the session's transaction."""
    return session.info.pop(_QUEUED, [])


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did."""

    sent: int
    failed: int
    skipped: int


def deliver(session: Session, config, ids: Iterable[int] | None = None) -> DeliveryReport:
    """Send the unsent emails (or only ``ids``); each claim and each result
    is its own transaction, so a crash mid-run loses nothing."""
    with transaction(session):
        due = _due_ids(session, ids)
    if not config.get("PORTAL_SMTP_HOST"):
        return DeliveryReport(0, 0, len(due))
    sent = failed = skipped = 0
    for email_id in due:
        with transaction(session):
            message = (
                _message(session.get(OutboxEmail, email_id), config) if _claim(session, email_id) else None
            )
        if message is None:
            skipped += 1
            continue
        # Sent outside any transaction: SQLite writers never wait on an SMTP server.
        try:
            _send(message, config)
        except (OSError, smtplib.SMTPException) as error:
            error_text = f"{type(error).__name__}: {error}"[:1000]
            failed += 1
            # An address is personal data, and SMTP errors may quote one: the log
            # names the email by id and the error by kind (the outbox keeps the rest).
            logger.warning("email %s not sent: %s", email_id, type(error).__name__)
        else:
            error_text = None
            sent += 1
        with transaction(session):
            email = session.get(OutboxEmail, email_id)
            email.attempts += 1
            email.last_error = error_text
            if error_text is None:
                email.sent_at = datetime.now(UTC)
            else:
                email.claimed_at = None
    return DeliveryReport(sent, failed, skipped)


def _due_ids(session: Session, ids: Iterable[int] | None) -> list[int]:
    query = select(OutboxEmail.id).where(OutboxEmail.sent_at.is_(None)).order_by(OutboxEmail.id)
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(list(ids)))
    return list(session.scalars(query))


def _claim(session: Session, email_id: int) -> bool:
    """Mark the email as being sent by this sender; False if another has it."""
    now = datetime.now(UTC)
    return (
        session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id == email_id,
                OutboxEmail.sent_at.is_(None),
                or_(OutboxEmail.claimed_at.is_(None), OutboxEmail.claimed_at < now - CLAIM_TIMEOUT),
            )
            .values(claimed_at=now)
        ).rowcount
        == 1
    )


def _message(email: OutboxEmail, config) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = config["PORTAL_MAIL_FROM"]
    message["To"] = email.recipient
    message["Message-ID"] = make_msgid(domain=config["PORTAL_MAIL_FROM"].rsplit("@", 1)[-1].strip(">"))
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    # After set_content, which drops the Content-* headers it finds.
    message["Content-Language"] = email.language
    return message


def _send(message: EmailMessage, config) -> None:
    host, port = config["PORTAL_SMTP_HOST"], int(config["PORTAL_SMTP_PORT"])
    timeout = float(config["PORTAL_SMTP_TIMEOUT"])
    security = config["PORTAL_SMTP_SECURITY"]
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.get("PORTAL_SMTP_USERNAME"):
            smtp.login(config["PORTAL_SMTP_USERNAME"], config["PORTAL_SMTP_PASSWORD"])
        smtp.send_message(message)


def deliver_after_response(app: Flask, ids: list[int]):
    """Return a callable that delivers ``ids`` once the response has been sent."""

    def run() -> None:
        with app.app_context():
            try:
                deliver(db.session, app.config, ids)
            except Exception:  # never let email break the request that caused it
                logger.exception("outbox delivery failed; `flask outbox send` will retry")
                db.session.rollback()

    return run


def outbox_counts(session: Session) -> dict[str, int]:
    """Return how many emails are sent, waiting, and waiting after a failure."""

    def count(*conditions) -> int:
        return session.scalar(select(func.count(OutboxEmail.id)).where(*conditions)) or 0

    return {
        "sent": count(OutboxEmail.sent_at.is_not(None)),
        "waiting": count(OutboxEmail.sent_at.is_(None)),
        "failed": count(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts > 0),
    }
