"""Email never holds anything up: an SMTP server that hangs does not stall
submissions, and a sender killed mid-send sends the same message again."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import create_engine, select, text, update

from portal.domain import mail
from portal.domain.models import OutboxEmail
from portal.plumbing.db import database_url, db, transaction
from tests.faults.conftest import Client, dispose, fill_form, stored_applications, submit

pytestmark = pytest.mark.faults

#: Seconds a submission may take while the SMTP server hangs (its timeout is
#: 10 s: a submission waiting on it would take longer).
SUBMISSION_SECONDS = 5


def test_a_hung_smtp_server_does_not_stall_submissions(database, serve, hung_server):
    server = serve(database.url, PORTAL_SMTP_HOST="127.0.0.1", PORTAL_SMTP_PORT=hung_server.port)

    def candidate(number: int) -> list[float]:
        client = Client(server)
        took = []
        for n in range(number * 10, number * 10 + 4):
            filled = fill_form(client, n)
            answer, reference = submit(client, filled)
            assert reference is not None, answer.status
            took.append(answer.seconds)
        return took

    with ThreadPoolExecutor(4) as pool:
        took = [seconds for each in pool.map(candidate, range(4)) for seconds in each]
    assert len(hung_server.accepted) >= 1, "the portal did try to send"
    assert max(took) < SUBMISSION_SECONDS, took
    stored = stored_applications(database)
    assert len(stored) == 16 and all(item.emails == 1 for item in stored.values())


class AcceptThenLock:
    """An SMTP handler that accepts each message and, at that moment, takes
    the database's write lock (as a slow disk or a busy database would), so
    the sender cannot record the send before it is killed."""

    def __init__(self, database) -> None:
        self.database = database
        self.messages: list[bytes] = []
        self.accepted = threading.Event()
        self.lock = None
        self.locking = True

    async def handle_DATA(self, smtp_server, session, envelope):
        self.messages.append(envelope.original_content or envelope.content)
        if self.locking:
            self.lock = DatabaseLock(self.database)
        self.accepted.set()
        return "250 OK"


class DatabaseLock:
    """Hold a write lock on the outbox (taken in the SMTP server's thread) until released."""

    def __init__(self, database) -> None:
        self.engine = create_engine(database_url(database.url, ""))
        self.connection = self.engine.connect()
        if database.backend == "sqlite":
            self.connection.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the write lock
        else:
            self.connection.execute(text("LOCK TABLE outbox_email IN ACCESS EXCLUSIVE MODE"))

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()
        self.engine.dispose()


def test_a_sender_killed_before_recording_sends_the_same_message_id_again(database, serve):
    from aiosmtpd.controller import Controller

    from tests.conftest import free_port

    handler = AcceptThenLock(database)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        # Two candidates apply while no SMTP server is set: their emails wait.
        server = serve(database.url)
        client = Client(server)
        for n in range(2):
            assert submit(client, fill_form(client, n))[1] is not None
        server.env.update(PORTAL_SMTP_HOST="127.0.0.1", PORTAL_SMTP_PORT=str(controller.port))

        sender = server.command("outbox", "send")
        assert handler.accepted.wait(20), "the first email reached the SMTP server"
        time.sleep(0.3)
        sender.send_signal(signal.SIGKILL)
        sender.communicate(timeout=10)
        handler.lock.release()

        app = database.app()
        with app.app_context():
            unsent = db.session.scalars(select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))).all()
            assert len(unsent) == 2, "the kill came before the send was recorded"
            # Ten minutes later, the claim of the dead sender has expired.
            with transaction() as session:
                expired = datetime.now(UTC) - mail.CLAIM_TIMEOUT - timedelta(minutes=1)
                claimed = update(OutboxEmail).where(OutboxEmail.claimed_at.is_not(None))
                session.execute(claimed.values(claimed_at=expired))
        dispose(app)

        handler.locking = False
        again = server.command("outbox", "send")
        output, _ = again.communicate(timeout=30)
        assert again.returncode == 0, output
        assert "2 sent" in output
    finally:
        controller.stop()

    first, *resent = [message_from_bytes(raw, policy=policy.default) for raw in handler.messages]
    assert len(resent) == 2
    assert first["Message-ID"] in [message["Message-ID"] for message in resent], (
        "the same message, sent again"
    )
    assert len({message["Message-ID"] for message in resent}) == 2
    with app.app_context():
        stored = dict(db.session.execute(select(OutboxEmail.id, OutboxEmail.message_id)).all())
        assert sorted(stored.values()) == sorted(message["Message-ID"] for message in resent)
    dispose(app)
