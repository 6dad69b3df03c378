"""``/healthz``: what a load balancer and an operator learn about a server."""

from __future__ import annotations

import os
import shutil
import sqlite3

import pytest
import sqlalchemy.exc
from sqlalchemy import event

from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import db

FORM = "/en/jobs/head-of-product-management/apply"


def health(app) -> tuple[int, dict]:
    response = app.test_client().get("/healthz")
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.status_code, response.get_json()


def test_a_ready_server_reports_every_check_ok(db_app, application_form):
    client = db_app.test_client()
    assert client.post(FORM, data=application_form(client, FORM)).status_code == 303
    response = db_app.test_client().get("/healthz")
    status, report = response.status_code, response.get_json()
    assert status == 200 and report["status"] == "ok"
    checks = report["checks"]
    assert (
        checks["database"]["status"] == "ok"
        and checks["database"]["revision"] == checks["database"]["latest"]
    )
    assert checks["content"]["status"] == "ok" and checks["content"]["documents"] > 10
    assert checks["catalogs"] == {"status": "ok", "languages": {"fr": "ok"}}
    body = response.get_data(as_text=True)
    for personal in ("Ada", "Tremblay", "example.ca", "613-555"):
        assert personal not in body, "the health report holds no personal data"


def test_a_database_never_migrated_is_reported_with_the_command_to_run(make_app, tmp_path):
    status, report = health(make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}"))
    assert status == 503 and report["status"] == "fail"
    database = report["checks"]["database"]
    assert database["status"] == "fail" and database["revision"] == []
    assert "flask --app wsgi db upgrade" in database["problem"]
    assert report["checks"]["content"]["status"] == "ok"


def test_a_database_that_cannot_be_reached_is_reported(make_app, tmp_path):
    status, report = health(make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'missing-folder' / 'x.sqlite3'}"))
    assert status == 503
    assert "cannot be reached" in report["checks"]["database"]["problem"]


def test_a_busy_connection_pool_is_reported_not_a_500(db_app, monkeypatch):
    """Errors of SQLAlchemy's own (a pool timeout) have no driver error behind them."""
    with db_app.app_context():
        engine = db.engine

    def exhausted(*args, **kwargs):
        raise sqlalchemy.exc.TimeoutError("QueuePool limit reached")

    monkeypatch.setattr(engine, "connect", exhausted)
    status, report = health(db_app)
    assert status == 503
    assert report["checks"]["database"]["problem"] == "the database cannot be reached (TimeoutError)"


@pytest.fixture
def catalogs(tmp_path):
    """A copy of the catalogs, compiled, that a test can break."""
    folder = tmp_path / "translations"
    shutil.copytree(PROJECT_ROOT / "translations", folder, ignore=shutil.ignore_patterns("*.pot"))
    return folder


def test_catalogs_not_compiled_are_reported(make_app, catalogs):
    (catalogs / "fr/LC_MESSAGES/messages.mo").unlink()
    status, report = health(make_app(BABEL_TRANSLATION_DIRECTORIES=str(catalogs)))
    assert status == 503
    assert report["checks"]["catalogs"] == {
        "status": "fail",
        "languages": {"fr": "not compiled"},
        "problem": "run `flask --app wsgi i18n compile`",
    }


def test_a_catalog_changed_since_it_was_compiled_is_reported(make_app, catalogs):
    po, mo = catalogs / "fr/LC_MESSAGES/messages.po", catalogs / "fr/LC_MESSAGES/messages.mo"
    earlier = po.stat().st_mtime - 60
    os.utime(mo, (earlier, earlier))
    status, report = health(make_app(BABEL_TRANSLATION_DIRECTORIES=str(catalogs)))
    assert status == 503
    assert report["checks"]["catalogs"]["languages"] == {"fr": "older than its .po"}


def test_no_content_served_is_reported(make_app, content_tree):
    status, report = health(make_app(PORTAL_CONTENT_DIR=str(content_tree.root)))
    assert status == 503
    assert report["checks"]["content"]["documents"] == 0
    assert "PORTAL_CONTENT_DIR" in report["checks"]["content"]["problem"]


def test_content_problems_are_counted_not_failed(make_app, content_tree):
    content_tree("en/blog/ok.md", "---\nlayout: blog\ntitle: OK\n---\n")
    content_tree("en/jobs/broken.md", "---\ntitle: [unclosed\n---\n")
    status, report = health(make_app(PORTAL_CONTENT_DIR=str(content_tree.root)))
    assert status == 200
    assert report["checks"]["content"]["errors"] == 1


def test_health_only_answers_reads(client):
    assert client.post("/healthz").status_code == 405


def test_an_sqlite_database_locked_elsewhere_is_reported(make_app):
    """Another process holds the write lock longer than a submission would
    wait: submissions would fail, so the server says so."""
    app = make_app()
    other = sqlite3.connect(
        app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None
    )
    other.execute("BEGIN IMMEDIATE")

    def impatient(dbapi_connection, record):
        dbapi_connection.execute("PRAGMA busy_timeout = 100")

    with app.app_context():
        event.listen(db.engine, "connect", impatient)
        db.engine.dispose()
    try:
        status, report = health(app)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert status == 503
    database = report["checks"]["database"]
    assert database["status"] == "fail" and database["revision"] == database["latest"]
    assert (
        database["problem"]
        == "the database cannot take a write (OperationalError (OperationalError, SQLITE_BUSY))"
    )
    assert health(app)[0] == 200, "and recovers once the lock is gone"
