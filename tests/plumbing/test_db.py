"""The database: migrations build the models' schema on SQLite and PostgreSQL."""

import re
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from portal.domain import accounts
from portal.domain.models import StaffUser
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import database_url, db, transaction


def test_migrations_build_exactly_the_models_schema(db_app):
    with db_app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert revision == _newest_migration()


def _newest_migration() -> str:
    """The head of migrations/versions, read from the files themselves."""
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    return script.get_current_head()


def test_flask_db_upgrade_on_an_empty_sqlite_file(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tables = set(db.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert {"application", "resume", "equity_response", "outbox_email"} <= tables


def test_sqlite_is_configured_for_concurrent_use(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    with app.app_context():
        db.engine.dispose()


def test_database_url_defaults_and_driver():
    assert database_url("", "/srv/instance") == "sqlite:////srv/instance/portal.sqlite3"
    assert database_url("postgresql://u@h:5432/d", "/x") == "postgresql+psycopg://u@h:5432/d"
    assert database_url("postgres://u@h/d", "/x") == "postgresql+psycopg://u@h/d"
    assert database_url("sqlite:///other.db", "/x") == "sqlite:///other.db"


def test_default_database_is_in_the_instance_folder(make_app):
    app = make_app(DATABASE_URL="")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/portal.sqlite3"


def test_a_transaction_keeps_all_or_nothing(db_app):
    """Commands commit through transaction(): a block that fails leaves nothing."""
    with db_app.app_context():
        with pytest.raises(RuntimeError), transaction() as session:
            accounts.create_user(
                session, "half@nds.example", "a long enough password", "admin", now=datetime.now(UTC)
            )
            raise RuntimeError("the command failed halfway")
        assert accounts.find_user(db.session, "half@nds.example") is None
        with transaction() as session:
            accounts.create_user(
                session, "whole@nds.example", "a long enough password", "admin", now=datetime.now(UTC)
            )
        db.session.remove()
        assert accounts.find_user(db.session, "whole@nds.example") is not None


def test_a_database_error_is_logged_without_the_values_sent(make_app, database_url, caplog):
    """Neither SQLAlchemy's parameters nor the server's own message (PostgreSQL
    quotes the duplicate value) reach the log when a request fails."""
    app = make_app(DATABASE_URL=database_url)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/twice")
    def twice():
        for _ in range(2):
            db.session.add(
                StaffUser(
                    email="ada.tremblay@example.ca",
                    password_hash="-",
                    role="admin",
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
            db.session.flush()
        return "unreachable"

    assert app.test_client().get("/twice").status_code == 500
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    assert re.search(r"Exception on /twice \[GET\] \(request [0-9a-f]{16}\): IntegrityError \(", logged)
    assert "ada.tremblay" not in logged and "example.ca" not in logged
    assert "in twice" in logged, "the log still says where it happened"
