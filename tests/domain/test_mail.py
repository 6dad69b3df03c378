"""The outbox: one Message-ID per email, and the send recorded as soon as the
SMTP server has accepted it."""

from __future__ import annotations

import os
import smtplib
import sqlite3
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from portal.domain import mail
from portal.domain.models import OutboxEmail
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import db, transaction
from tests.conftest import free_port
from tests.records import insert, new_application

FORM = "/en/jobs/head-of-product-management/apply"


def queue_one(app, language: str = "fr") -> int:
    """Write one confirmation email to the outbox; return its id."""
    with app.app_context(), transaction() as session:
        email = mail.queue(
            session,
            recipient="ada@example.ca",
            language=language,
            template="application_received",
            reference="NDS-TEST",
            full_name="Ada Tremblay",
            posting_title="Chef",
            contact_email="careers@nds-snn.example",
        )
        mail.take_queued(session)
        session.flush()
        return email.id


def outbox_row(app, email_id: int) -> OutboxEmail:
    with app.app_context():
        email = db.session.get(OutboxEmail, email_id)
        db.session.expunge(email)
        return email


def test_an_email_gets_its_message_id_when_it_is_written(db_app):
    email = outbox_row(db_app, queue_one(db_app))
    assert email.message_id.startswith("<") and email.message_id.endswith("@nds-snn.example>")
    assert outbox_row(db_app, queue_one(db_app)).message_id != email.message_id


def test_an_email_sent_twice_carries_the_same_message_id(db_app, smtp_server):
    """What a sender killed between the server's acceptance and its record
    leaves behind: the next run sends it again, as the same message."""
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    email_id = queue_one(db_app)
    with db_app.app_context():
        assert mail.deliver(db.session, db_app.config).sent == 1
        with transaction() as session:
            session.execute(update(OutboxEmail).values(sent_at=None, claimed_at=None))
        assert mail.deliver(db.session, db_app.config).sent == 1
    first, second = smtp_server.received()
    assert first["Message-ID"] == second["Message-ID"] == outbox_row(db_app, email_id).message_id


def test_an_email_written_without_a_message_id_gets_one_when_claimed(db_app, smtp_server):
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    email_id = queue_one(db_app)
    with db_app.app_context(), transaction() as session:
        session.execute(update(OutboxEmail).values(message_id=None))
    with db_app.app_context():
        mail.deliver(db.session, db_app.config)
    (message,) = smtp_server.received()
    stored = outbox_row(db_app, email_id).message_id
    assert stored and message["Message-ID"] == stored


SENDERS = {"en": "Careers <careers@en.example>", "fr": "Carrières <carrieres@fr.example>"}


def test_each_email_comes_from_the_sender_of_its_language(db_app, smtp_server):
    db_app.config.update(
        PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port, PORTAL_MAIL_FROM=SENDERS
    )
    ids = {language: queue_one(db_app, language) for language in ("en", "fr")}
    with db_app.app_context():
        assert mail.deliver(db.session, db_app.config).sent == 2
    received = {message["Content-Language"]: message for message in smtp_server.received()}
    # The address of the language's sender, under the employer's name in that language.
    assert str(received["en"]["From"]) == "Northern Digital Service <careers@en.example>"
    assert str(received["fr"]["From"]) == "Service numérique du Nord <carrieres@fr.example>"
    # The Message-ID is in the domain of the email's own sender.
    for language, domain in (("en", "@en.example>"), ("fr", "@fr.example>")):
        assert received[language]["Message-ID"] == outbox_row(db_app, ids[language]).message_id
        assert received[language]["Message-ID"].endswith(domain)


def test_one_sender_for_every_language_is_accepted(db_app, smtp_server):
    db_app.config.update(
        PORTAL_SMTP_HOST=smtp_server.host,
        PORTAL_SMTP_PORT=smtp_server.port,
        PORTAL_MAIL_FROM="Careers / Carrières <jobs@both.example>",
    )
    queue_one(db_app, "fr")
    with db_app.app_context():
        mail.deliver(db.session, db_app.config)
    (message,) = smtp_server.received()
    assert str(message["From"]) == "Service numérique du Nord <jobs@both.example>"
    assert message["Message-ID"].endswith("@both.example>")


def test_a_message_id_made_when_claimed_is_in_the_senders_domain(db_app, smtp_server):
    db_app.config.update(
        PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port, PORTAL_MAIL_FROM=SENDERS
    )
    queue_one(db_app, "fr")
    with db_app.app_context(), transaction() as session:
        session.execute(update(OutboxEmail).values(message_id=None))
    with db_app.app_context():
        mail.deliver(db.session, db_app.config)
    (message,) = smtp_server.received()
    assert message["Message-ID"].endswith("@fr.example>")


def test_the_send_is_recorded_before_the_goodbye(db_app, smtp_server, monkeypatch):
    """The server accepted the email, then the connection broke during QUIT:
    it counts as sent (sending it again would duplicate it)."""
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    email_id = queue_one(db_app)
    seen = []

    def broken_goodbye(smtp, *exc_info):
        with db_app.app_context():
            seen.append(db.session.scalar(select(OutboxEmail.sent_at).where(OutboxEmail.id == email_id)))
        smtp.close()
        raise smtplib.SMTPServerDisconnected("connection lost during QUIT")

    monkeypatch.setattr(smtplib.SMTP, "__exit__", broken_goodbye)
    with db_app.app_context():
        report = mail.deliver(db.session, db_app.config)
    assert (report.sent, report.failed) == (1, 0)
    assert seen and seen[0] is not None, "recorded while the connection was still open"
    email = outbox_row(db_app, email_id)
    assert email.attempts == 1 and email.last_error is None and len(smtp_server.messages) == 1


def test_a_claim_left_by_a_dead_sender_is_taken_after_the_timeout(db_app, smtp_server):
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    queue_one(db_app)
    claimed = datetime.now(UTC) - mail.CLAIM_TIMEOUT + timedelta(minutes=1)
    with db_app.app_context(), transaction() as session:
        session.execute(update(OutboxEmail).values(claimed_at=claimed))
    with db_app.app_context():
        assert mail.deliver(db.session, db_app.config).skipped == 1
        with transaction() as session:
            session.execute(update(OutboxEmail).values(claimed_at=claimed - timedelta(minutes=2)))
        assert mail.deliver(db.session, db_app.config).sent == 1
    assert len(smtp_server.messages) == 1


@pytest.fixture
def write_lock_free(monkeypatch):
    """Check, each time an email is handed to the SMTP server, that no
    database transaction holds SQLite's write lock meanwhile."""
    checks = []

    def check(app):
        path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        original = smtplib.SMTP.send_message

        def send_message(smtp, message, *args, **kwargs):
            other = sqlite3.connect(path, isolation_level=None, timeout=0)
            try:
                other.execute("BEGIN IMMEDIATE")  # fails at once if anyone holds the lock
                other.execute("ROLLBACK")
                checks.append("free")
            finally:
                other.close()
            return original(smtp, message, *args, **kwargs)

        monkeypatch.setattr(smtplib.SMTP, "send_message", send_message)
        return checks

    return check


def test_no_transaction_is_open_while_an_email_is_sent(
    make_app, smtp_server, application_form, write_lock_free
):
    """After a submission (the request's own delivery) and from `flask outbox send`."""
    app = make_app(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    checks = write_lock_free(app)
    client = app.test_client()
    response = client.post(FORM, data=application_form(client, FORM))
    assert response.status_code == 303
    response.close()
    queue_one(app)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert checks == ["free", "free"] and len(smtp_server.messages) == 2


# Headers, retries with back-off, and senders running at once ----------------------


def test_every_email_carries_the_headers_a_mail_system_expects(db_app, smtp_server):
    db_app.config.update(
        PORTAL_SMTP_HOST=smtp_server.host,
        PORTAL_SMTP_PORT=smtp_server.port,
        PORTAL_MAIL_REPLY_TO={"en": "Hiring <hiring@en.example>", "fr": "Embauche <embauche@fr.example>"},
    )
    (application_id,) = insert(db_app, new_application(preferred_language="fr", reference="WXYZ-2345-6789"))
    with db_app.app_context(), transaction() as session:
        mail.queue(
            session,
            recipient="ada@example.ca",
            language="fr",
            template="staff_message",
            application_id=application_id,
            subject="Votre entrevue",
            message="Mardi, 10 h.",
            full_name="Ada Tremblay",
            posting_title="Chef",
            reference="WXYZ-2345-6789",
            contact_email="careers@nds-snn.example",
        )
        mail.take_queued(session)
    with db_app.app_context():
        assert mail.deliver(db.session, db_app.config).sent == 1
    (message,) = smtp_server.received()
    assert message["Subject"] == "Votre entrevue (WXYZ-2345-6789)", "the reference is always in the subject"
    assert str(message["From"]) == "Service numérique du Nord <carrieres@nds-snn.example>"
    assert str(message["Reply-To"]) == "Embauche <embauche@fr.example>"
    assert message["Content-Language"] == "fr"
    assert message["Message-ID"].startswith("<") and message["Date"].datetime.tzinfo is not None
    assert abs(message["Date"].datetime - datetime.now(UTC)) < timedelta(minutes=5)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_without_a_reply_address_there_is_no_reply_to(db_app, smtp_server):
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    queue_one(db_app, "en")
    with db_app.app_context():
        mail.deliver(db.session, db_app.config)
    (message,) = smtp_server.received()
    assert message["Reply-To"] is None
    assert str(message["From"]) == "Northern Digital Service <careers@nds-snn.example>"


def test_a_failed_send_is_retried_after_its_back_off(db_app, smtp_server):
    """A refused connection, then a working server: tried again once the delay
    has passed, not before (a clock, no sleeping)."""
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=free_port())
    email_id = queue_one(db_app)
    with db_app.app_context():
        assert mail.deliver(db.session, db_app.config, clock=lambda: start).failed == 1
        email = outbox_row(db_app, email_id)
        assert email.attempts == 1 and email.next_attempt_at == start + mail.RETRY_DELAYS[0]
        db_app.config.update(PORTAL_SMTP_PORT=smtp_server.port)
        early = start + mail.RETRY_DELAYS[0] - timedelta(seconds=1)
        assert mail.deliver(db.session, db_app.config, clock=lambda: early) == mail.DeliveryReport(0, 0, 0)
        assert not smtp_server.messages
        later = start + mail.RETRY_DELAYS[0]
        assert mail.deliver(db.session, db_app.config, clock=lambda: later).sent == 1
    assert len(smtp_server.messages) == 1
    email = outbox_row(db_app, email_id)
    assert email.attempts == 2 and email.sent_at == later and email.next_attempt_at is None


def test_an_email_that_keeps_failing_is_given_up_and_shown_as_failed(db_app):
    db_app.config.update(PORTAL_SMTP_HOST="127.0.0.1", PORTAL_SMTP_PORT=free_port())
    email_id = queue_one(db_app)
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    runner = db_app.test_cli_runner()
    with db_app.app_context():
        for delay in (*mail.RETRY_DELAYS, None):
            assert mail.deliver(db.session, db_app.config, clock=lambda at=now: at).failed == 1
            if delay is not None:
                status = runner.invoke(args=["outbox", "status"])
                assert status.exit_code == 0
                assert "(1 after a failed try), 0 failed" in status.output
                assert f"next retry at {(now + delay).isoformat()}" in status.output
                now += delay
        assert mail.deliver(db.session, db_app.config, clock=lambda: now + timedelta(days=1)).failed == 0
    email = outbox_row(db_app, email_id)
    assert email.attempts == mail.MAX_ATTEMPTS and email.next_attempt_at is None and email.sent_at is None
    status = runner.invoke(args=["outbox", "status"])
    assert status.exit_code == 1, "a scheduler can alert"
    assert (
        f"0 waiting (0 after a failed try), 1 failed (given up after {mail.MAX_ATTEMPTS} tries)"
        in status.output
    )


def test_senders_running_at_once_send_each_email_exactly_once(db_app, smtp_server):
    """Four senders started together over the same outbox (two app servers and
    two `flask outbox send`, say): each email reaches the server once."""
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    ids = [queue_one(db_app, ("en", "fr")[n % 2]) for n in range(20)]
    start = threading.Barrier(4)

    def send(_) -> mail.DeliveryReport:
        with db_app.app_context():
            start.wait()
            return mail.deliver(db.session, db_app.config)

    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(send, range(4)))
    assert sum(report.sent for report in reports) == 20 and not any(report.failed for report in reports)
    message_ids = [message["Message-ID"] for message in smtp_server.received()]
    assert len(message_ids) == 20 and len(set(message_ids)) == 20
    assert sorted(message_ids) == sorted(outbox_row(db_app, email_id).message_id for email_id in ids)


def test_two_outbox_send_processes_send_each_email_once(db_app, smtp_server, tmp_path):
    """Two real `flask outbox send` processes at once, on the test's database."""
    ids = [queue_one(db_app) for _ in range(12)]
    environment = {
        **os.environ,
        "DATABASE_URL": db_app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_SMTP_HOST": smtp_server.host,
        "PORTAL_SMTP_PORT": str(smtp_server.port),
        "PORTAL_INSTANCE_DIR": str(tmp_path),
        "SECRET_KEY": "test-only-secret-key-for-two-processes",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send"]
    senders = [
        subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=120)[0] for sender in senders]
    assert [sender.returncode for sender in senders] == [0, 0], outputs
    assert len(smtp_server.messages) == 12
    assert all(outbox_row(db_app, email_id).sent_at is not None for email_id in ids)
