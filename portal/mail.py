"""Email: written to the outbox with what caused it, sent over SMTP after commit.

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

from . import i18n
from .models import OutboxEmail

logger = logging.getLogger("portal.mail")
#: A claim older than this is taken to belong to a sender that died.
CLAIM_TIMEOUT = timedelta(minutes=10)


def queue(session: Session, *, recipient: str, language: str, template: str,
          application_id: int | None = None, **context) -> OutboxEmail:
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
    return email


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery run did."""

    sent: int
    failed: int
    skipped: int


def deliver(session: Session, config, ids: Iterable[int] | None = None) -> DeliveryReport:
    """Send the unsent emails (or only ``ids``), committing after each one."""
    if not config.get("PORTAL_SMTP_HOST"):
        return DeliveryReport(0, 0, len(_due_ids(session, ids)))
    sent = failed = skipped = 0
    for email_id in _due_ids(session, ids):
        email = _claim(session, email_id)
        if email is None:
            skipped += 1
            continue
        try:
            _send(email, config)
        except (OSError, smtplib.SMTPException) as error:
            email.attempts += 1
            email.last_error = f"{type(error).__name__}: {error}"[:1000]
            email.claimed_at = None
            failed += 1
            logger.warning("email %s to %s not sent: %s", email.id, email.recipient, error)
        else:
            email.attempts += 1
            email.sent_at = datetime.now(UTC)
            email.last_error = None
            sent += 1
        session.commit()
    return DeliveryReport(sent, failed, skipped)


def _due_ids(session: Session, ids: Iterable[int] | None) -> list[int]:
    query = select(OutboxEmail.id).where(OutboxEmail.sent_at.is_(None)).order_by(OutboxEmail.id)
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(list(ids)))
    result = list(session.scalars(query))
    session.commit()
    return result


def _claim(session: Session, email_id: int) -> OutboxEmail | None:
    now = datetime.now(UTC)
    claimed = session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.sent_at.is_(None),
            or_(OutboxEmail.claimed_at.is_(None), OutboxEmail.claimed_at < now - CLAIM_TIMEOUT),
        )
        .values(claimed_at=now)
    ).rowcount
    session.commit()
    return session.get(OutboxEmail, email_id) if claimed else None


def _send(email: OutboxEmail, config) -> None:
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = config["PORTAL_MAIL_FROM"]
    message["To"] = email.recipient
    message["Message-ID"] = make_msgid(domain=config["PORTAL_MAIL_FROM"].rsplit("@", 1)[-1].strip(">"))
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    # After set_content, which drops the Content-* headers it finds.
    message["Content-Language"] = email.language
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
            from .db import db

            try:
                deliver(db.session, app.config, ids)
            except Exception:  # never let email break the request that caused it
                logger.exception("outbox delivery failed; `flask outbox send` will retry")
                db.session.rollback()

    return run


def unsent_for(session: Session, application_id: int) -> list[OutboxEmail]:
    """Return the emails an application caused that are not sent yet."""
    return list(session.scalars(
        select(OutboxEmail).where(OutboxEmail.application_id == application_id,
                                  OutboxEmail.sent_at.is_(None))
    ))


def outbox_counts(session: Session) -> dict[str, int]:
    """Return how many emails are sent, waiting, and waiting after a failure."""
    def count(*conditions) -> int:
        return session.scalar(select(func.count(OutboxEmail.id)).where(*conditions)) or 0

    return {
        "sent": count(OutboxEmail.sent_at.is_not(None)),
        "waiting": count(OutboxEmail.sent_at.is_(None)),
        "failed": count(OutboxEmail.sent_at.is_(None), OutboxEmail.attempts > 0),
    }
