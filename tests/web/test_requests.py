"""What every request shares: the database at the latest schema or a clear
503, one commit per request, emails only after that commit, content
problems logged once by the server."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy.orm
from flask_migrate import upgrade
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from portal.domain.models import Application, AuditEvent, OutboxEmail
from portal.plumbing.db import db
from tests.conftest import STAFF_PASSWORD, sign_in

FORM = {
    "en": "/en/jobs/head-of-product-management/apply",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
}


@pytest.fixture
def unmigrated(make_app, tmp_path):
    """A portal started on a database nobody migrated yet."""
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    app.extensions["portal.schema"].interval = 0  # ask the database on every request
    return app


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_database_behind_the_code_keeps_public_pages_and_refuses_the_form_in_both_languages(
    unmigrated, page, lang
):
    client = unmigrated.test_client()
    page(client.get({"en": "/en/jobs/", "fr": "/fr/emplois/"}[lang]), lang=lang)
    response = client.get(FORM[lang])
    result = page(response, status=503, lang=lang)
    assert response.headers["Retry-After"] == "30"
    sections = result.soup.select("section.error")
    assert [section["lang"] for section in sections] == [lang, {"en": "fr", "fr": "en"}[lang]]
    assert "This service is being updated" in result.text
    assert "Ce service est en cours de mise à jour" in result.text


def test_staff_pages_are_refused_too_and_the_log_says_what_to_run(unmigrated, caplog):
    client = unmigrated.test_client()
    caplog.set_level(logging.INFO, "portal.db")
    assert client.get("/en/").status_code == 200
    assert client.get("/en/staff/sign-in").status_code == 503
    assert client.get("/fr/personnel/connexion").status_code == 503
    messages = [record.getMessage() for record in caplog.records if record.name == "portal.db"]
    assert len(messages) == 1, "each state of the database is logged once"
    assert "no schema (never migrated)" in messages[0]
    assert "run `flask --app wsgi db upgrade`" in messages[0]


def test_the_server_recovers_after_the_upgrade_without_a_restart(unmigrated, application_form, caplog):
    client = unmigrated.test_client()
    assert client.get(FORM["en"]).status_code == 503
    with unmigrated.app_context():
        upgrade()
    caplog.set_level(logging.INFO, "portal.db")
    assert client.post(FORM["en"], data=application_form(client, FORM["en"])).status_code == 303
    assert any("latest schema" in record.getMessage() for record in caplog.records)


def commits_during(action) -> int:
    """Count the COMMITs sent to the database while ``action`` runs (savepoints aside)."""
    commits = []
    listener = commits.append
    event.listen(Engine, "commit", listener)
    try:
        action()
    finally:
        event.remove(Engine, "commit", listener)
    return len(commits)


def test_a_submission_is_committed_once(db_app, application_form):
    client = db_app.test_client()
    data = application_form(client, FORM["en"])
    assert commits_during(lambda: client.post(FORM["en"], data=data)) == 1
    with db_app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 1


def test_a_staff_page_with_its_audit_entry_is_committed_once(db_app, staff, submitted):
    client = staff.client(staff.admin)
    application_id = submitted["head-product-management"]
    url = f"/en/staff/applications/{application_id}/"
    assert commits_during(lambda: client.get(url)) == 1
    with db_app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "view_application"))


def test_a_failed_sign_in_is_kept_in_the_audit_log_though_the_page_shows_an_error(db_app, staff):
    response = sign_in(db_app.test_client(), staff.admin, STAFF_PASSWORD + "!")
    assert response.status_code == 200
    with db_app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in_failed"))


def test_no_email_leaves_when_the_commit_fails(db_app, application_form, smtp_server, monkeypatch):
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = db_app.test_client()
    data = application_form(client, FORM["en"])

    def refuse(session):
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    event.listen(sqlalchemy.orm.Session, "before_commit", refuse)
    try:
        response = client.post(FORM["en"], data=data)
    finally:
        event.remove(sqlalchemy.orm.Session, "before_commit", refuse)
    assert response.status_code == 503, "the form comes back: nothing was saved"
    response.close()
    assert smtp_server.messages == []
    with db_app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 0


def test_the_email_leaves_after_the_commit_and_the_response(db_app, application_form, smtp_server):
    db_app.config.update(PORTAL_SMTP_HOST=smtp_server.host, PORTAL_SMTP_PORT=smtp_server.port)
    client = db_app.test_client()
    response = client.post(FORM["en"], data=application_form(client, FORM["en"]))
    assert response.status_code == 303
    assert smtp_server.messages == [], "nothing is sent before the candidate has the response"
    response.close()  # as a server does once the response is sent
    (message,) = smtp_server.received()
    with db_app.app_context():
        reference = db.session.scalar(select(Application.reference))
    assert reference in message.get_body(("plain",)).get_content()


def test_content_problems_are_logged_once_by_the_server(make_app, content_tree, caplog):
    content_tree("en/jobs/ok.md", "---\nlayout: job-posting\ntitle: OK\n---\n")
    content_tree("en/jobs/broken.md", "---\ntitle: [unclosed\n---\n")
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    for _ in range(3):
        client.get("/en/jobs/")
    logged = [record for record in caplog.records if "broken.md" in record.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert "broken.md:3: error: invalid YAML" in logged[0].getMessage()
