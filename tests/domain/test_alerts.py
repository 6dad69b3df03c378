"""Job alerts behind the pages: double opt-in, which postings an alert sends
(new, open, matching, never twice, also from two runs at once), the
unsubscribe headers, unsubscribing, and expiry by ``flask retention purge``;
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.content import current_index
from portal.content.search import JobQuery
from portal.domain import alerts, mail
from portal.domain.models import JobAlert, JobAlertLink, JobAlertPosting, OutboxEmail
from portal.plumbing.db import db, transaction

SITE = "https://careers.example.ca/"
NOW = datetime.now(UTC)
FOLDERS = {"en": "jobs", "fr": "emplois"}


def write_posting(
    content_tree, key: str, *, date: datetime, facts: str = "", title: str | None = None
) -> None:
    """Write a posting in both languages, open 60 days more, published on ``date``."""
    closing = (NOW + timedelta(days=60)).isoformat(timespec="seconds")
    for lang, folder in FOLDERS.items():
        content_tree(
            f"{lang}/{folder}/{key}-{lang}.md",
            f"---\nlayout: job-posting\ntitle: {title or key} {lang}\ntranslationKey: {key}\n"
            f"date: '{date.isoformat(timespec='seconds')}'\nclosingDate: '{closing}'\n"
            f"{facts}---\nA posting.\n",
        )


@pytest.fixture
def alert_app(make_app, database_url, content_tree):
    """A portal over a small content tree that is read again on every use,
    so a test can publish a posting while subscriptions exist."""
    write_posting(content_tree, "old-python", date=NOW - timedelta(days=10), facts="classification: IT-03\n")
    write_posting(content_tree, "old-policy", date=NOW - timedelta(days=5), facts="classification: EC-05\n")
    app = make_app(
        DATABASE_URL=database_url,
        PORTAL_CONTENT_DIR=str(content_tree.root),
        PORTAL_CONTENT_RELOAD_INTERVAL=0,
        RATELIMIT_ENABLED=False,
    )
    app.content_tree = content_tree
    return app


EVERY_POSTING = JobQuery()


def subscribe(app, email="ada@example.ca", language="en", query=EVERY_POSTING, now=None) -> None:
    with app.app_context(), transaction() as session:
        alerts.subscribe(
            session, email, language, query, now=now or datetime.now(UTC), site_url=SITE, confirm_days=7
        )
        mail.take_queued(session)


def outbox(app) -> list[OutboxEmail]:
    with app.app_context():
        emails = list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
        db.session.expunge_all()
        return emails


#: Each alert page's URL words, in English and French.
WORDS = {
    "confirm": ("confirm", "confirmer"),
    "manage": ("manage", "gerer"),
    "unsubscribe": ("unsubscribe", "desabonnement"),
}


def token_in(email: OutboxEmail, page: str = "confirm") -> str:
    """Return the token of the first link to ``page`` in an email."""
    words = "|".join(WORDS[page])
    return re.search(rf"/(?:{words})\?token=([\w-]+)", email.body_text).group(1)


def confirm(app, token: str) -> None:
    with app.app_context(), transaction() as session:
        alert = alerts.open_link(session, token, now=datetime.now(UTC), confirm_days=7)
        alerts.confirm(session, alert, current_index(), now=datetime.now(UTC))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def send(app) -> list[str]:
    """Run ``flask alerts send``; return the subjects of the alert emails it wrote."""
    before = {email.id for email in outbox(app)}
    result = app.test_cli_runner().invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    return [email.subject for email in outbox(app) if email.id not in before]


def subscribed(app, **kwargs) -> str:
    """Subscribe and confirm; return the link token of the confirmation email."""
    subscribe(app, **kwargs)
    token = token_in(outbox(app)[-1])
    confirm(app, token)
    return token


# 1. Double opt-in ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject"), [("en", "Confirm your job alert"), ("fr", "Confirmez votre alerte-emploi")]
)
def test_a_subscription_waits_for_its_confirmation_in_its_language(alert_app, language, subject):
    subscribe(alert_app, language=language, now=NOW - timedelta(days=30))
    (email,) = outbox(alert_app)
    assert (email.recipient, email.language, email.subject) == ("ada@example.ca", language, subject)
    assert f"{SITE}{language}/" in email.body_text
    # Both postings are newer than the request, yet nothing is sent unconfirmed.
    assert send(alert_app) == []
    with alert_app.app_context():
        alert = db.session.scalars(select(JobAlert)).one()
        assert alert.confirmed_at is None
        # Only the token's hash is kept.
        assert token_in(email) not in {link.token_hash for link in alert.links}


def test_asking_again_creates_nothing_new_and_says_nothing_different(alert_app):
    subscribe(alert_app, email="Ada@Example.ca")
    subscribe(alert_app, email="ada@example.ca")
    assert count(alert_app, JobAlert) == 1
    first, second = outbox(alert_app)
    assert first.subject == second.subject == "Confirm your job alert"
    assert token_in(first) != token_in(second)
    confirm(alert_app, token_in(second))
    subscribe(alert_app)
    assert count(alert_app, JobAlert) == 1
    assert outbox(alert_app)[-1].subject == "Your job alert is already active"
    # A different search is another subscription.
    subscribe(alert_app, query=JobQuery(classification="IT-03"))
    assert count(alert_app, JobAlert) == 2


def test_an_unconfirmed_link_expires(alert_app):
    subscribe(alert_app, now=NOW - timedelta(days=8))
    token = token_in(outbox(alert_app)[0])
    with alert_app.app_context(), pytest.raises(alerts.AlertError, match="expired"):
        alerts.open_link(db.session, token, now=NOW, confirm_days=7)
    with alert_app.app_context(), pytest.raises(alerts.AlertError, match="unknown"):
        alerts.open_link(db.session, "not-a-token", now=NOW, confirm_days=7)


# 2. What an alert sends ---------------------------------------------------------------


def test_the_first_alert_holds_only_postings_published_after_the_request(alert_app):
    subscribed(alert_app)
    assert send(alert_app) == [], "the postings on the list when they subscribed are not sent"
    write_posting(
        alert_app.content_tree, "new-python", date=datetime.now(UTC), facts="classification: IT-03\n"
    )
    assert send(alert_app) == ["1 new job matches your alert"]
    assert send(alert_app) == [], "a posting is sent once"
    email = outbox(alert_app)[-1]
    assert "new-python en" in email.body_text and "old-python" not in email.body_text
    assert "/en/jobs/new-python-en/" in email.body_text


def test_a_posting_published_between_request_and_confirmation_is_sent(alert_app):
    subscribe(alert_app, now=NOW - timedelta(days=6))
    confirm(alert_app, token_in(outbox(alert_app)[0]))
    # old-policy (5 days old) appeared after the request; old-python (10 days) before.
    assert send(alert_app) == ["1 new job matches your alert"]
    assert "old-policy en" in outbox(alert_app)[-1].body_text


def test_an_alert_sends_only_matching_postings_in_its_language(alert_app):
    subscribed(alert_app, language="fr", query=JobQuery(classification="IT-03", text="développeuse"))
    later = datetime.now(UTC)
    write_posting(
        alert_app.content_tree, "python-2", date=later, facts="classification: IT-03\n", title="Développeuse"
    )
    write_posting(
        alert_app.content_tree, "policy-2", date=later, facts="classification: EC-05\n", title="Développeuse"
    )
    write_posting(
        alert_app.content_tree, "python-3", date=later, facts="classification: IT-03\n", title="Analyste"
    )
    assert send(alert_app) == ["1\u00a0nouvel emploi correspond à votre alerte"]
    body = outbox(alert_app)[-1].body_text
    assert "Développeuse fr" in body and "/fr/emplois/python-2-fr/" in body
    assert "Votre recherche\u00a0: «\u00a0développeuse\u00a0», IT-03." in body


def test_several_new_postings_make_one_email(alert_app):
    subscribed(alert_app)
    for key in ("a", "b", "c"):
        write_posting(alert_app.content_tree, key, date=datetime.now(UTC))
    assert send(alert_app) == ["3 new jobs match your alert"]
    with alert_app.app_context():
        assert db.session.scalar(select(func.count()).where(JobAlertPosting.emailed)) == 3


def test_a_posting_is_never_recorded_twice_for_one_subscription(alert_app):
    subscribed(alert_app)
    with alert_app.app_context():
        alert_id = db.session.scalar(select(JobAlert.id))
        with pytest.raises(IntegrityError), transaction() as session:
            for _ in range(2):
                session.add(JobAlertPosting(job_alert_id=alert_id, posting_key="x", at=NOW, emailed=True))
            session.flush()


def test_two_overlapping_runs_send_a_posting_once(alert_app):
    """Run A has written its email but not committed when run B starts: B
    skips the subscription (PostgreSQL) or waits for A (SQLite), then finds
    nothing new."""
    subscribed(alert_app)
    write_posting(alert_app.content_tree, "new", date=datetime.now(UTC))
    with alert_app.app_context():
        alert_id = db.session.scalar(select(JobAlert.id))
    a_wrote, results = threading.Event(), {}

    def run_a():
        with alert_app.app_context(), transaction() as session:
            results["a"] = alerts.send_alert(session, alert_id, current_index(), now=datetime.now(UTC))
            mail.take_queued(session)
            a_wrote.set()
            threading.Event().wait(0.5)

    def run_b():
        a_wrote.wait(5)
        with alert_app.app_context(), transaction() as session:
            results["b"] = alerts.send_alert(session, alert_id, current_index(), now=datetime.now(UTC))
            mail.take_queued(session)

    threads = [threading.Thread(target=run_a), threading.Thread(target=run_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {"a": 1, "b": 0}
    assert [email.subject for email in outbox(alert_app)][1:] == ["1 new job matches your alert"]


def test_every_alert_email_has_one_click_unsubscribe_headers(alert_app, smtp_server):
    alert_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    subscribed(alert_app, language="fr")
    write_posting(alert_app.content_tree, "new", date=datetime.now(UTC))
    result = alert_app.test_cli_runner().invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[-1]
        == "1 job alert emails (1 postings): 1 sent, 0 failed, 0 being sent elsewhere"
    )
    message = smtp_server.received()[-1]
    url = re.fullmatch(
        r"<(https://careers\.example\.ca/fr/alertes-emploi/desabonnement\?token=[\w-]+)>",
        message["List-Unsubscribe"],
    )
    assert url, message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url.group(1) in message.get_body(("plain",)).get_content()
    # Only the alert went: the confirmation, queued before, waits for `flask outbox send`.
    assert len(smtp_server.received()) == 1
    # The confirmation email is no list message.
    assert outbox(alert_app)[0].headers is None


def test_nothing_to_send_says_nothing(alert_app):
    subscribed(alert_app)
    result = alert_app.test_cli_runner().invoke(args=["alerts", "send"])
    assert (result.exit_code, result.output) == (0, "")


# 3. Unsubscribing and expiry ------------------------------------------------------------


def test_unsubscribing_deletes_the_address_with_its_links_and_history(alert_app):
    token = subscribed(alert_app)
    subscribed(alert_app, email="other@example.ca")
    with alert_app.app_context(), transaction() as session:
        assert alerts.unsubscribe(session, token) is True
    with alert_app.app_context(), transaction() as session:
        assert alerts.unsubscribe(session, token) is False
    with alert_app.app_context():
        assert list(db.session.scalars(select(JobAlert.email))) == ["other@example.ca"]
        ids = set(db.session.scalars(select(JobAlert.id)))
        assert set(db.session.scalars(select(JobAlertLink.job_alert_id))) == ids
        assert set(db.session.scalars(select(JobAlertPosting.job_alert_id))) == ids


def test_changing_to_a_subscription_the_address_has_merges_them(alert_app):
    english = subscribed(alert_app, language="en")
    subscribed(alert_app, language="fr")
    with alert_app.app_context(), transaction() as session:
        alert = alerts.open_link(session, english, now=NOW, confirm_days=7)
        kept = alerts.change(session, alert, language="fr", query=JobQuery())
        assert kept.language == "fr"
    assert count(alert_app, JobAlert) == 1
    with alert_app.app_context():
        assert alerts.open_link(db.session, english, now=NOW, confirm_days=7).language == "fr"


def test_retention_purge_deletes_unconfirmed_subscriptions_past_their_time(alert_app):
    subscribe(alert_app, email="expired@example.ca", now=NOW - timedelta(days=8))
    subscribe(alert_app, email="pending@example.ca", now=NOW - timedelta(days=6))
    subscribed(alert_app, email="confirmed@example.ca")
    with alert_app.app_context(), transaction() as session:
        # Confirmed long ago: kept until its subscriber unsubscribes.
        session.execute(
            update(JobAlert)
            .values(requested_at=NOW - timedelta(days=400))
            .where(JobAlert.confirmed_at.is_not(None))
        )
    runner = alert_app.test_cli_runner()
    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 1 job alert subscriptions not confirmed within 7 days" in dry.stdout.splitlines()
    assert count(alert_app, JobAlert) == 3
    result = runner.invoke(args=["retention", "purge"])
    assert "removed 1 job alert subscriptions not confirmed within 7 days" in result.stdout.splitlines()
    with alert_app.app_context():
        assert set(db.session.scalars(select(JobAlert.email))) == {
            "pending@example.ca",
            "confirmed@example.ca",
        }
