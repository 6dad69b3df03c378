"""The database: SQLite or PostgreSQL, one session per request, migrations.

SQLite is the embedded default (a file in the instance folder) with WAL,
foreign keys and a busy timeout; a transaction that may write starts with
BEGIN IMMEDIATE so concurrent writers queue instead of failing, and read-only
work (see :func:`read_only`) starts a plain deferred one, which never blocks
a writer. PostgreSQL is the production database
(``DATABASE_URL=postgresql://...``), with connection, lock and statement
timeouts so that a database that stops answering fails requests in seconds
(:data:`UNAVAILABLE`: the web answers 503) instead of hanging them.

Nothing here commits on its own: a request commits once, when its view
returns (``portal.web.commit_request``); commands and background work use
:func:`transaction`.
"""

from __future__ import annotations

import enum
import logging
import os
import select
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, g, has_app_context, has_request_context
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, String, TypeDecorator, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import Pool

from .config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
#: How long an SQLite writer waits for another's lock before the request gets a 503.
SQLITE_BUSY_TIMEOUT_MS = 5_000
#: Seconds to wait for a PostgreSQL server to accept a connection. libpq may
#: try twice (with TLS, then without, under sslmode=prefer), each with this
#: timeout: 3 s keeps a submission's 503 within the few seconds promised.
DATABASE_CONNECT_TIMEOUT = 3
#: Seconds a pooled PostgreSQL connection has to answer a ping before a request
#: uses it (a server that hangs with connections open fails fast too).
PING_TIMEOUT = 3
#: PostgreSQL limits for the statements of a web request: a lock held elsewhere
#: (a migration, a long purge) or a stuck query answers 503 instead of hanging.
REQUEST_LOCK_TIMEOUT = "5s"
REQUEST_STATEMENT_TIMEOUT = "20s"
#: Milliseconds data sent to PostgreSQL may stay unacknowledged before the
#: connection is dropped (a host that vanished), and keepalives for idle ones.
TCP_OPTIONS = {
    "tcp_user_timeout": 10_000,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
#: The errors that say the database cannot serve now (unreachable, hung, locked,
#: full, its pool exhausted) rather than that the request was wrong: a request
#: that meets one answers 503, and nothing it did is kept.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)
#: The execution option, and the ``g`` attribute, that mark work as read-only.
READ_ONLY = "portal_read_only"
#: The command that brings a database to the latest schema, as operators type it.
UPGRADE_COMMAND = "flask --app wsgi db upgrade"

logger = logging.getLogger("portal.db")


class Base(DeclarativeBase):
    """Declarative base with named constraints, so migrations can alter them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class EnumText(TypeDecorator):
    """A StrEnum stored as its text value (a plain VARCHAR, no database enum type)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int = 20) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value, dialect):
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value, dialect):
        return None if value is None else self.enum_class(value)


def database_url(setting: str, instance_path: str) -> str:
    """Return the SQLAlchemy URL for ``DATABASE_URL`` (empty: SQLite in the
    instance folder; ``postgresql://`` uses the psycopg 3 driver)."""
    if not setting:
        return "sqlite:///" + os.path.join(instance_path, "portal.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if setting.startswith(prefix):
            return "postgresql+psycopg://" + setting[len(prefix) :]
    return setting


def init_app(app: Flask) -> None:
    """Bind the database, the migrations and the schema check to the app."""
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["DATABASE_URL"], app.instance_path)
    options = {
        "pool_pre_ping": True,
        # Errors and their log lines never show the values sent (names, emails...).
        "hide_parameters": True,
    }
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A database host that does not answer fails fast instead of hanging requests.
        options["connect_args"] = {"connect_timeout": DATABASE_CONNECT_TIMEOUT, **TCP_OPTIONS}
        # Pinged with a deadline instead (_ping_postgresql): SQLAlchemy's ping waits forever.
        options["pool_pre_ping"] = False
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", options)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    app.extensions["portal.schema"] = SchemaCheck()


@contextmanager
def transaction(session: Session | None = None) -> Iterator[Session]:
    """Run one unit of work outside a request (a command, a background send):
    commit when the block ends, roll everything back if it raises."""
    session = session if session is not None else db.session
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def read_only() -> None:
    """Declare that the rest of this app context's database work only reads.

    On SQLite its next transactions begin deferred (a snapshot that never
    blocks writers) instead of taking the write lock up front; PostgreSQL is
    unchanged. The request calls it once it has committed (a streamed export
    reads after that) and for requests that never write.
    """
    setattr(g, READ_ONLY, True)


def is_read_only() -> bool:
    """Return True when this app context declared itself read-only."""
    return has_app_context() and bool(g.get(READ_ONLY, False))


def one_at_a_time(session: Session, name: str) -> None:
    """Make the rest of this transaction run alone among those that call this
    with the same ``name`` (two purges started together): the later one waits
    for the earlier to commit, then sees what it left. SQLite transactions
    that may write are already one at a time (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": f"portal:{name}"})


def database_error_summary(error: SQLAlchemyError) -> str:
    """Name a database error without its message, which the server may have
    filled with the values sent (PostgreSQL's DETAIL quotes them)."""
    if not isinstance(error, DBAPIError):
        return type(error).__name__
    driver = type(error.orig).__name__ if error.orig is not None else "no driver error"
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "sqlite_errorname", None)
    return f"{type(error).__name__} ({driver}{f', {code}' if code else ''})"


# The schema ------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaState:
    """Where the database stands against the migrations in this checkout."""

    current: tuple[str, ...]
    latest: tuple[str, ...]
    #: Why the database could not be asked, if it could not.
    error: str = ""

    @property
    def ready(self) -> bool:
        return not self.error and set(self.current) == set(self.latest)

    def describe(self) -> str:
        """Say what is wrong and what to run, in one line for the log."""
        if self.error:
            return f"the database cannot be reached ({self.error})"
        if self.ready:
            return f"the database is at the latest schema ({', '.join(self.latest)})"
        at = ", ".join(self.current) or "no schema (never migrated)"
        return (
            f"the database is at {at} but this code needs {', '.join(self.latest)}: run `{UPGRADE_COMMAND}`"
        )


@lru_cache(maxsize=1)
def latest_revisions() -> tuple[str, ...]:
    """Return the head revision(s) of the migrations in this checkout."""
    return tuple(sorted(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()))


def schema_state(engine: Engine) -> SchemaState:
    """Compare the database's migration revision with the latest one."""
    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    except SQLAlchemyError as error:
        return SchemaState((), latest_revisions(), error=database_error_summary(error))
    return SchemaState(tuple(sorted(current)), latest_revisions())


def can_write(engine: Engine) -> str:
    """Take the write lock and let it go at once; return what stops it, or ''.

    On SQLite this is what a submission needs first (BEGIN IMMEDIATE, which
    waits the busy timeout for a lock held elsewhere); PostgreSQL's writers
    wait on rows, not on the database, so reaching it is enough there.
    """
    if engine.dialect.name != "sqlite":
        return ""
    try:
        with engine.connect().execution_options(**{READ_ONLY: False}) as connection, connection.begin():
            pass
    except SQLAlchemyError as error:
        return database_error_summary(error)
    return ""


class SchemaCheck:
    """Tell cheaply whether the database is at the latest schema.

    Once it is, it stays so for the life of the process. Until then the
    database is asked again at most every ``interval`` seconds, so a server
    started before ``flask db upgrade`` recovers without a restart, and each
    new state is logged once with the command to run.
    """

    def __init__(self, interval: float = 5.0) -> None:
        self.interval = interval
        self._ready = False
        self._state: SchemaState | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    @property
    def known_behind(self) -> bool:
        """True when the database last answered that it is behind the
        migrations; False while its state is unknown (not asked yet, or it
        could not be reached: requests then meet that themselves)."""
        return self._state is not None and not self._state.error and not self._state.ready

    def ready(self, engine: Engine) -> bool:
        """Return True when the database is at the latest schema.

        One request at a time asks the database; the others answer with the
        last known state rather than wait on a database that may hang.
        """
        if self._ready:
            return True
        if time.monotonic() - self._checked_at < self.interval or not self._lock.acquire(blocking=False):
            return self._ready
        try:
            self._checked_at = time.monotonic()
            state = schema_state(engine)
            if state != self._state:
                logger.log(logging.INFO if state.ready else logging.ERROR, "%s", state.describe())
            self._state = state
            self._ready = state.ready
        finally:
            self._lock.release()
        return self._ready


# PostgreSQL ------------------------------------------------------------------


#: What a pooled connection is sent as it is checked out, its ping: a web
#: request's limits, or the server's defaults for anything else (a command, a
#: thread sending email), at the session level, so one connection serves both
#: and a transaction needs no round trip of its own to set them.
_REQUEST_LIMITS = (
    f"SET lock_timeout = '{REQUEST_LOCK_TIMEOUT}'; SET statement_timeout = '{REQUEST_STATEMENT_TIMEOUT}'"
).encode()
_SERVER_DEFAULTS = b"RESET lock_timeout; RESET statement_timeout"


@event.listens_for(Pool, "checkout")
def _ping_postgresql(dbapi_connection, connection_record, connection_proxy) -> None:
    # Replaces pool_pre_ping on PostgreSQL: a connection that does not answer
    # within PING_TIMEOUT is dropped, and SQLAlchemy connects anew.
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return
    query = _REQUEST_LIMITS if has_request_context() else _SERVER_DEFAULTS
    if not _answers(pgconn, query, PING_TIMEOUT):
        raise DisconnectionError("the database did not answer a ping in time")


def _answers(pgconn, query: bytes, timeout: float) -> bool:
    """Send ``query`` on a libpq connection; True if it succeeded within ``timeout`` s."""
    from psycopg import pq

    deadline = time.monotonic() + timeout
    try:
        pgconn.send_query(query)
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([pgconn.socket], [], [], remaining)[0]:
                return False
        answered = True
        while (result := pgconn.get_result()) is not None:
            answered = answered and result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)
        return answered
    except Exception:  # a broken connection, whatever the driver calls it
        return False


# SQLite ----------------------------------------------------------------------


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below open transactions itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        # A deferred SQLite transaction that reads then writes fails at once when
        # another connection wrote meanwhile; taking the write lock up front makes
        # concurrent submissions wait their turn (busy_timeout) instead. Work
        # that only reads takes no lock, so an export never holds up a writer.
        options = connection.get_execution_options()
        deferred = options[READ_ONLY] if READ_ONLY in options else is_read_only()
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
