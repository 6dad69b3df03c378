"""Email: written to the outbox with what caused it, sent over SMTP after commit.

:func:`queue` adds an email to the caller's transaction; the request layer
sends what a request queued once that request has committed (never before).
Delivery claims each email before sending (``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL; on SQLite, whose writers take the database's write
lock one at a time, a conditional UPDATE), so several app servers or
``flask outbox send`` processes running at once never send one twice. A failed
send is tried again after a growing delay (``RETRY_DELAYS``), and is given up
after ``MAX_ATTEMPTS`` tries (``flask outbox status`` counts it as failed). No database transaction is open
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
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

from flask import Flask, current_app, render_template
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..plumbing import i18n
from ..plumbing.config import mail_from
from ..plumbing.db import db, transaction
from .models import Application, OutboxEmail

logger = logging.getLogger("portal.mail")
#: A claim older than this is taken to belong to a sender that died.
CLAIM_TIMEOUT = timedelta(minutes=10)
#: How long to wait before the next try after the 1st, 2nd... failed one.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
#: Tries before an email is given up (shown as failed by ``flask outbox status``).
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
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
    ``headers`` are sent with the email as they are (List-Unsubscribe). An
    email about an application always has its reference in the subject.
    """
    return queue_rendered(
        session,
        render(template, language, **context),
        recipient=recipient,
        language=language,
        application_id=application_id,
        headers=headers,
    )


def queue_rendered(
    session: Session,
    rendered: Rendered,
    *,
    recipient: str,
    language: str,
    application_id: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> OutboxEmail:
    """Add an email rendered beforehand (``render``) to the outbox, as ``queue`` does."""
    subject = rendered.subject
    if application_id is not None:
        # From the session's identity map when the application is loaded already.
        application = session.get(Application, application_id)
        subject = with_reference(subject, application.reference if application is not None else "")
    email = OutboxEmail(
        application_id=application_id,
        recipient=recipient,
        language=language,
        subject=subject,
        body_text=rendered.text,
        body_html=rendered.html,
        created_at=datetime.now(UTC),
        attempts=0,
        message_id=new_message_id(current_app.config, language),
        headers=json.dumps(dict(headers)) if headers else None,
    )
    session.add(email)
    session.info.setdefault(_QUEUED, []).append(email)
    return email


@dataclass(frozen=True)
class Rendered:
    """An email as it will be sent: its subject, plain text and HTML."""

    subject: str
    text: str
    html: str


def render(template: str, language: str, **context) -> Rendered:
    """Render ``emails/<template>.{subject.txt,txt,html}`` in ``language`` (a preview
    shows exactly this)."""
    with i18n.language(language):
        body_text = render_template(f"emails/{template}.txt", **context)
        body_html = render_template(f"emails/{template}.html", **context)
        subject = render_template(f"emails/{template}.subject.txt", **context)
    # One line; the no-break spaces of French typography stay.
    return Rendered(_LINE_BREAKS.sub(" ", subject).strip(), body_text, body_html)


def with_reference(subject: str, reference: str) -> str:
    """Return ``subject`` with the application's reference, added at the end if it lacks it."""
    return subject if not reference or reference in subject else f"{subject} ({reference})"


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


def _utc_now() -> datetime:
    return datetime.now(UTC)


def deliver(
    session: Session,
    config,
    ids: Iterable[int] | None = None,
    *,
    clock: Callable[[], datetime] = _utc_now,
    retry_now: bool = False,
) -> DeliveryReport:
    """Send the emails that are due (or only those of ``ids``): unsent, not
    given up, and past their back-off; each claim and each result is its own
    transaction, so a crash mid-run loses nothing. ``retry_now`` also tries
    the emails waiting for their back-off, and those given up."""
    with transaction(session):
        due = _due_ids(session, ids, clock(), retry_now)
    if not config.get("PORTAL_SMTP_HOST"):
        return DeliveryReport(0, 0, len(due))
    sent = failed = skipped = 0
    for email_id in due:
        with transaction(session):
            claimed = _claim(session, email_id, config, clock(), retry_now)
            message = _message(session, email_id, config) if claimed else None
        if message is None:
            skipped += 1
            continue
        recorded = False

        def record_sent(email_id: int = email_id) -> None:
            nonlocal recorded
            with transaction(session):
                _record(session, email_id, None, clock())
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
                _record(session, email_id, f"{type(error).__name__}: {error}"[:1000], clock())
        else:
            sent += 1
    return DeliveryReport(sent, failed, skipped)


def _record(session: Session, email_id: int, error_text: str | None, now: datetime) -> None:
    """Record one try: sent (``error_text`` None), or failed and due again
    after its back-off (never, once ``MAX_ATTEMPTS`` tries have failed)."""
    email = session.get(OutboxEmail, email_id)
    email.attempts += 1
    email.last_error = error_text
    if error_text is None:
        email.sent_at = now
        email.next_attempt_at = None
    else:
        email.claimed_at = None
        email.next_attempt_at = (
            now + RETRY_DELAYS[email.attempts - 1] if email.attempts < MAX_ATTEMPTS else None
        )


def _due(now: datetime, retry_now: bool = False) -> tuple:
    """The conditions of an email due now: unsent, not given up, past its
    back-off (with ``retry_now``: unsent)."""
    if retry_now:
        return (OutboxEmail.sent_at.is_(None),)
    return (
        OutboxEmail.sent_at.is_(None),
        OutboxEmail.attempts < MAX_ATTEMPTS,
        or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now),
    )


def _claimable(now: datetime, retry_now: bool) -> tuple:
    """The conditions of a due email no live sender has claimed."""
    return (
        *_due(now, retry_now),
        or_(OutboxEmail.claimed_at.is_(None), OutboxEmail.claimed_at < now - CLAIM_TIMEOUT),
    )


def _due_ids(session: Session, ids: Iterable[int] | None, now: datetime, retry_now: bool) -> list[int]:
    query = select(OutboxEmail.id).where(*_due(now, retry_now)).order_by(OutboxEmail.id)
    if ids is not None:
        query = query.where(OutboxEmail.id.in_(list(ids)))
    return list(session.scalars(query))


def _claim(session: Session, email_id: int, config, now: datetime, retry_now: bool = False) -> bool:
    """Mark the email as being sent by this sender; False if another has it.

    On PostgreSQL the row is first locked with ``FOR UPDATE SKIP LOCKED``: a
    sender never waits on, nor takes, a row another sender is claiming. The
    UPDATE re-checks that the email is still due, so a row claimed (or sent)
    since it was listed is skipped; on SQLite that alone is enough, since its
    writers hold the database's write lock one at a time. An email written
    before Message-IDs were kept gets its own now, once.
    """
    if session.get_bind().dialect.name == "postgresql":
        locked = session.scalar(
            select(OutboxEmail.id)
            .where(OutboxEmail.id == email_id, *_claimable(now, retry_now))
            .with_for_update(skip_locked=True)
        )
        if locked is None:
            return False
    claimed = (
        session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, *_claimable(now, retry_now))
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
    message["From"] = sender(config, email.language)
    message["To"] = email.recipient
    reply_to = reply_address(config, email.language)
    if reply_to:
        message["Reply-To"] = reply_to
    # When it was written: a copy sent again after a crash is the same message.
    message["Date"] = format_datetime(email.created_at.astimezone(UTC))
    message["Message-ID"] = email.message_id
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    # After set_content, which drops the Content-* headers it finds.
    message["Content-Language"] = email.language
    for name, value in json.loads(email.headers or "{}").items():
        message[name] = value
    return message


def sender(config, language: str) -> str:
    """Return the From of ``language``'s emails: the address of its
    ``PORTAL_MAIL_FROM`` under the employer's name in that language."""
    address = parseaddr(mail_from(config, language))[1]
    name = config["PORTAL_ORGANISATION_NAME"].get(language) or config["PORTAL_ORGANISATION_NAME"].get(
        config["PORTAL_DEFAULT_LANGUAGE"], ""
    )
    return formataddr((name, address)) if name else address


def reply_address(config, language: str) -> str:
    """Return the Reply-To of ``language``'s emails (``PORTAL_MAIL_REPLY_TO``), or ""."""
    setting = config.get("PORTAL_MAIL_REPLY_TO") or ""
    if isinstance(setting, str):
        return setting
    return setting.get(language) or setting.get(config["PORTAL_DEFAULT_LANGUAGE"]) or ""


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


@dataclass(frozen=True)
class OutboxStatus:
    """What the outbox holds: sent, waiting (of which ``retrying`` after a
    failed try), and ``failed`` (given up after ``MAX_ATTEMPTS`` tries)."""

    sent: int
    waiting: int
    retrying: int
    failed: int
    #: When the earliest retry is due, if any.
    next_retry_at: datetime | None


def outbox_status(session: Session) -> OutboxStatus:
    """Count the outbox's emails by state, with the time of the next retry."""

    def count(*conditions) -> int:
        return session.scalar(select(func.count(OutboxEmail.id)).where(*conditions)) or 0

    unsent = OutboxEmail.sent_at.is_(None)
    trying = OutboxEmail.attempts < MAX_ATTEMPTS
    return OutboxStatus(
        sent=count(OutboxEmail.sent_at.is_not(None)),
        waiting=count(unsent, trying),
        retrying=count(unsent, trying, OutboxEmail.attempts > 0),
        failed=count(unsent, OutboxEmail.attempts >= MAX_ATTEMPTS),
        next_retry_at=session.scalar(select(func.min(OutboxEmail.next_attempt_at)).where(unsent, trying)),
    )
