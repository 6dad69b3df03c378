"""The database: migrations build the models' schema on SQLite and PostgreSQL."""

import re
import sqlite3
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from portal.domain import accounts
from portal.domain.models import StaffUser
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    database_error_summary,
    database_url,
    db,
    read_only,
    transaction,
)


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
        # Long enough for writers to queue, short enough that a stuck lock
        # answers 503 within seconds.
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS == 5000
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


@pytest.fixture
def locked_sqlite(make_app):
    """An SQLite app whose write lock another process holds; writers give up after 0.1 s."""
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
    yield app
    other.execute("ROLLBACK")
    other.close()


def test_work_that_may_write_waits_for_the_sqlite_write_lock(locked_sqlite):
    with locked_sqlite.app_context():
        with pytest.raises(OperationalError) as raised:
            db.session.execute(text("SELECT count(*) FROM application")).scalar()
        assert database_error_summary(raised.value) == "OperationalError (OperationalError, SQLITE_BUSY)"
        db.session.rollback()


def test_read_only_work_takes_no_sqlite_write_lock(locked_sqlite):
    """An export or a page that only reads goes on while another writes."""
    with locked_sqlite.app_context():
        read_only()
        assert db.session.execute(text("SELECT count(*) FROM application")).scalar() == 0
        db.session.rollback()


def test_an_error_without_a_driver_error_is_named_by_its_kind():
    assert database_error_summary(PoolTimeoutError("QueuePool limit reached")) == "TimeoutError"


def test_postgresql_connections_give_up_in_seconds(make_app):
    app = make_app(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    connect_args = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert connect_args["connect_timeout"] == 3
    assert connect_args["tcp_user_timeout"] > 0 and connect_args["keepalives"] == 1
    # Pooled connections are pinged with a deadline instead (a frozen server:
    # tests/faults/test_database.py); SQLite keeps SQLAlchemy's own ping.
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False
    assert make_app().config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_a_web_request_on_postgresql_has_lock_and_statement_timeouts(make_app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL settings")
    app = make_app(DATABASE_URL=database_url)

    settings = text(
        "SELECT current_setting('lock_timeout'), current_setting('statement_timeout'), pg_backend_pid()"
    )

    @app.route("/timeouts")
    def timeouts():
        return "/".join(map(str, db.session.execute(settings).one()))

    client = app.test_client()
    for _ in range(2):  # a new connection, then the same one again from the pool
        lock, statement, request_connection = client.get("/timeouts").get_data(as_text=True).split("/")
        assert (lock, statement) == ("5s", "20s")
    with app.app_context():
        # Commands (migrations, purges) keep the server's defaults, on the
        # very connection a request had just used.
        lock, statement, pid = db.session.execute(settings).one()
        assert (lock, statement) == ("0", "0") and str(pid) == request_connection
        db.session.rollback()
    assert client.get("/timeouts").get_data(as_text=True) == f"5s/20s/{request_connection}"
