"""The database: SQLite or PostgreSQL, one session per request, migrations.

SQLite is the embedded default (a file in the instance folder) with WAL,
foreign keys and a busy timeout; every transaction starts with BEGIN
IMMEDIATE so concurrent writers queue instead of failing. PostgreSQL is the
production database (``DATABASE_URL=postgresql://...``).

Nothing here commits on its own: a request commits once, when its view
returns (``portal.web.commit_request``); commands and background work use
:func:`transaction`.
"""

from __future__ import annotations

import enum
import logging
import os
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
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session

from .config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Seconds to wait for a PostgreSQL server to accept a connection.
DATABASE_CONNECT_TIMEOUT = 5
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
        options["connect_args"] = {"connect_timeout": DATABASE_CONNECT_TIMEOUT}
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


def database_error_summary(error: DBAPIError) -> str:
    """Name a database error without its message, which the server may have
    filled with the values sent (PostgreSQL's DETAIL quotes them)."""
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
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        return SchemaState((), latest_revisions(), error=type(cause).__name__)
    return SchemaState(tuple(sorted(current)), latest_revisions())


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
def _begin_immediate(connection) -> None:
    # A deferred SQLite transaction that reads then writes fails at once when
    # another connection wrote meanwhile; taking the write lock up front makes
    # concurrent submissions wait their turn (busy_timeout) instead.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
