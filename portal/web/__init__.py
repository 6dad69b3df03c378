"""The web: one blueprint per audience (``public``, ``apply``, ``staff``), the
health check, error pages, and the one place a request commits.

Views parse the request, call the domain, map its errors to HTTP and render.
None of them commits: :func:`commit_request` does, once, when the view has
returned, and only then lets the emails the request queued leave.
"""

from __future__ import annotations

from flask import Flask, Response, abort, after_this_request, current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from ..content import content_store
from ..domain import audit, mail
from ..plumbing import security
from ..plumbing.db import db, read_only
from . import errors, job_facts
from .alerts import bp as alerts_bp
from .api import bp as api_bp
from .apply import bp as apply_bp
from .editor import bp as editor_bp
from .health import bp as health_bp
from .public import bp as public_bp
from .staff import auth as staff_auth
from .staff import bp as staff_bp

#: The blueprints whose pages read or write the database.
NEEDS_DATABASE = frozenset({apply_bp.name, staff_bp.name, alerts_bp.name, editor_bp.name})


def init_app(app: Flask) -> None:
    """Register the blueprints, their guards and the error pages."""
    staff_auth.init_app(app)
    for blueprint in (public_bp, apply_bp, staff_bp, health_bp, api_bp, alerts_bp, editor_bp):
        app.register_blueprint(blueprint)
    security.limit_submissions(app, apply_bp.name)
    security.limit_submissions(app, alerts_bp.name)
    app.before_request(log_content_problems)
    app.before_request(require_current_schema)
    app.before_request(reads_only)
    app.after_request(commit_refusal)
    errors.init_app(app)
    job_facts.init_app(app)


def commit_request() -> None:
    """Commit what the view did, then send the emails it queued after the response.

    Called once per request, after the view returned; a view that raised
    (an error, an abort) commits nothing, and the session is rolled back
    when the request ends.
    """
    if not db.session.registry.has():
        # The request never opened a database session (a page served from
        # memory): there is nothing to commit, nor any email queued.
        read_only()
        return
    session = db.session
    queued = mail.take_queued(session)
    if queued:
        session.flush()
        ids = [email.id for email in queued]
    session.commit()
    # Whatever runs after this (a streamed export) only reads: on SQLite it
    # takes no write lock, so submissions go on meanwhile.
    read_only()
    # Without an SMTP server the emails wait in the outbox for `flask outbox send`.
    if queued and current_app.config["PORTAL_SMTP_HOST"]:
        app = current_app._get_current_object()

        @after_this_request
        def send_after_response(response):
            response.call_on_close(mail.deliver_after_response(app, ids))
            return response


def commit_refusal(response: Response) -> Response:
    """After a refused request (``errors.note_refusal``: denied access, a
    refused CSRF token), commit its audit entry, and nothing else.

    The view raised, so :func:`commit_request` never ran: whatever it had
    done is rolled back first, and this is the request's one commit. A
    database that cannot take the entry is logged (without the entry's
    values) and the error page is still shown.
    """
    refusal = g.pop("refusal", None)
    if refusal is None:
        return response
    session = db.session
    try:
        session.rollback()
        audit.record(session, **refusal)
        session.commit()
    except SQLAlchemyError as error:
        session.rollback()
        current_app.logger.warning("could not record a refused request: %s", type(error).__name__)
    return response


def require_current_schema() -> None:
    """Answer 503 (bilingual) on pages that need the database while it is
    behind the latest migration, and log once what to run (``flask db
    upgrade``). Public pages never wait on the database."""
    schema = current_app.extensions["portal.schema"]
    # A database that cannot be reached is no update: the request meets it
    # itself and answers its own 503 (the form comes back filled in).
    if request.blueprint in NEEDS_DATABASE and not schema.ready(db.engine) and schema.known_behind:
        abort(503)


def reads_only() -> None:
    """Mark GET and HEAD requests as read-only (SQLite: no write lock), except
    on the staff pages and the editor, which audit what they show or refuse."""
    if request.method in ("GET", "HEAD") and request.blueprint not in (staff_bp.name, editor_bp.name):
        read_only()


def log_content_problems() -> None:
    """Log each content problem once, when the server first serves that content."""
    content_store().log_new_problems()
