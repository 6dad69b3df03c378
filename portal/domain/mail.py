"""Email: written to the outbox with what caused it, sent over SMTP after commit.

:func:`queue` adds an email to the caller's transaction; the request layer
sends what a request queued once that request has committed (never before).
Delivery claims each email before sending, so several app servers or a
``flask outbox send`` running beside them never send one twice, and a failed
send stays in the outbox for the next try. No database transaction is open
while an SMTP server is talked to. Each email has one Message-ID, made when it
is written, so in the one case where it can leave twice (a sender killed after
the server accepted it, before the send was recorded, which is done at once)
both copies are the same message to the recipient's mail system.
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

from flask import Flask, current_app, render_template
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..plumbing import i18n
from ..plumbing.config import mail_from
from ..plumbing.db import db, transaction
from .models import OutboxEmail

logger = logging.getLogger("portal.mail")
#: A claim older than this is taken to belong to a sender that died.
CLAIM_TIMEOUT = timedelta(minutes=10)
#: Seconds a server process waits, after a response, for the emails that
#: request queued; a slower SMTP server goes on in the background.
AFTER_RESPONSE_WAIT = 2.0
#: Set in a process while its SMTP server is slower than that: its workers
#: stop waiting at all until a delivery succeeds again.
_smtp_slow = threading.Event()
#: Where a session keeps the emails queued in its current transaction.
_QUEUED = "portal.mail.queued"
#: The spaces a subject template may leave (not U+00A0, which French needs).
_LINE_BREAKS = re.compile(r"[ \t\r\n]+")


def queue(
    session: Session,
    *,
    recipient: str,
    language: str,
    template: str,
    application_id: int | None = None,
    headers: Mapping[str, str] | None = None,
    **context,
) -> OutboxEmail:
    """Render ``emails/<template>.{txt,html}`` in ``language`` and add it to the outbox.

    The subject is the template's ``subject`` block, rendered in the same
    language: the recipient's, whatever the language of the request.
    ``headers`` are sent with the email as they are (List-Unsubscribe).
    """
    with i18n.language(language):
        body_text = render_template(f"emails/{template}.txt", **context)
        body_html = render_template(f"emails/{template}.html", **context)
        subject = render_template(f"emails/{template}.subject.txt", **context)
    email = OutboxEmail(
        application_id=application_id,
        recipient=recipient,
        language=language,
        # One line; the no-break spaces of French typography stay.
        subject=_LINE_BREAKS.sub(" ", subject).strip(),
        body_text=body_text,
        body_html=body_html,
        created_at=datetime.now(UTC),
        attempts=0,
        message_id=new_message_id(current_app.config, language),
        headers=json.dumps(dict(headers)) if headers else None,
    )
    session.add(email)
    session.info.setdefault(_QUEUED, []).append(email)
    return email


def new_message_id(config, language: str) -> str:
    """Return a new, unique Message-ID in the domain of ``language``'s sender."""
    return make_msgid(domain=parseaddr(mail_from(config, language))[1].rsplit("@", 1)[-1])


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
            message = _message(session, email_id, config) if _claim(session, email_id, config) else None
        if message is None:
            skipped += 1
            continue
        recorded = False

        def record_sent(email_id: int = email_id) -> None:
            nonlocal recorded
            with transaction(session):
                _record(session, email_id, None)
            recorded = True

        # Sent outside any transaction: SQLite writers never wait on an SMTP
        # server. The send is recorded as soon as the server has accepted it.
        try:
            _send(message, config, accepted=record_sent)
        except (OSError, smtplib.SMTPException) as error:
            if recorded:
                # Only the goodbye (QUIT) failed: the email had been accepted.
                sent += 1
                continue
            failed += 1
            # An address is personal data, and SMTP errors may quote one: the log
            # names the email by id and the error by kind (the outbox keeps the rest).
            logger.warning("email %s not sent: %s", email_id, type(error).__name__)
            with transaction(session):
                _record(session, email_id, f"{type(error).__name__}: {error}"[:1000])
        else:
            sent += 1
    return DeliveryReport(sent, failed, skipped)


def _record(session: Session, email_id: int, error_text: str | None) -> None:
    """Record one try: sent (``error_text`` None) or failed, and free for the next run."""
    email = session.get(OutboxEmail, email_id)
    email.attempts += 1
    email.last_error = error_text
    if error_text is None:
        email.sent_at = datetime.now(UTC)
    else:
        email.claimed_at = None


def _due_ids(session: Session, ids: Iterable[int] | None) -> list[int]:
    query = select(OutboxEmail.id).where(OutboxEmail.sent_at.is_(None)).order_by(OutboxEmail.id)
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(list(ids)))
    return list(session.scalars(query))


def _claim(session: Session, email_id: int, config) -> bool:
    """Mark the email as being sent by this sender; False if another has it.

    An email written before Message-IDs were kept gets its own now, once.
    """
    now = datetime.now(UTC)
    claimed = (
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
    if claimed:
        language = session.scalar(select(OutboxEmail.language).where(OutboxEmail.id == email_id))
        session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, OutboxEmail.message_id.is_(None))
            .values(message_id=new_message_id(config, language))
        )
    return claimed


def _message(session: Session, email_id: int, config) -> EmailMessage:
    email = session.get(OutboxEmail, email_id, populate_existing=True)
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = mail_from(config, email.language)
    message["To"] = email.recipient
    message["Message-ID"] = email.message_id
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    # After set_content, which drops the Content-* headers it finds.
    message["Content-Language"] = email.language
    for name, value in json.loads(email.headers or "{}").items():
        message[name] = value
    return message


def _send(message: EmailMessage, config, accepted: Callable[[], None]) -> None:
    """Send one message; call ``accepted`` as soon as the server has taken it,
    before saying goodbye (QUIT), so a crash can hardly fall in between."""
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
        accepted()


def deliver_after_response(app: Flask, ids: list[int]):
    """Return a callable that delivers ``ids`` once the response has been sent.

    The delivery runs in a thread of its own; the server process waits for it
    at most ``AFTER_RESPONSE_WAIT`` seconds, and not at all while the SMTP
    server is known to be slower than that, so an SMTP server that hangs never
    keeps a worker from the next request (what is not sent goes on in the
    background, or waits for ``flask outbox send``).
    """

    def run_in_thread() -> None:
        with app.app_context():
            try:
                report = deliver(db.session, app.config, ids)
            except Exception:  # never let email break the request that caused it
                logger.exception("outbox delivery failed; `flask outbox send` will retry")
                db.session.rollback()
            else:
                if not report.failed:
                    _smtp_slow.clear()

    def run() -> None:
        sender = threading.Thread(target=run_in_thread, name="portal-mail", daemon=True)
        sender.start()
        if not _smtp_slow.is_set():
            sender.join(AFTER_RESPONSE_WAIT)
            if sender.is_alive():
                _smtp_slow.set()

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
