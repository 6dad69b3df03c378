"""The database: one SQLAlchemy session per request, SQLite or PostgreSQL.

SQLite is the embedded default (a file in the instance folder) with WAL,
foreign keys and a busy timeout; every transaction starts with BEGIN
IMMEDIATE so concurrent writers queue instead of failing. PostgreSQL is the
production database (``DATABASE_URL=postgresql://...``).
"""

from __future__ import annotations

import os
import sqlite3

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from .config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    """Declarative base with named constraints, so migrations can alter them."""

    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def database_url(setting: str, instance_path: str) -> str:
    """Return the SQLAlchemy URL for ``DATABASE_URL`` (empty: SQLite in the
    instance folder; ``postgresql://`` uses the psycopg 3 driver)."""
    if not setting:
        return "sqlite:///" + os.path.join(instance_path, "portal.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if setting.startswith(prefix):
            return "postgresql+psycopg://" + setting[len(prefix):]
    return setting


def init_app(app: Flask) -> None:
    """Bind the database and the migrations to the app."""
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(
        app.config["DATABASE_URL"], app.instance_path
    )
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    db.init_app(app)
    from . import models  # noqa: F401  (registers the tables on db.metadata)

    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True,
                     compare_type=True)


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
