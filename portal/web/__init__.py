"""The web: one blueprint per audience (``public``, ``apply``, ``staff``), the
health check, error pages, and the one place a request commits.

Views parse the request, call the domain, map its errors to HTTP and render.
None of them commits: :func:`commit_request` does, once, when the view has
returned, and only then lets the emails the request queued leave.
"""

from __future__ import annotations

from flask import Flask, abort, after_this_request, current_app, request

from ..content import content_store
from ..domain import mail
from ..plumbing import security
from ..plumbing.db import db
from . import errors
from .apply import bp as apply_bp
from .health import bp as health_bp
from .public import bp as public_bp
from .staff import auth as staff_auth
from .staff import bp as staff_bp

#: The blueprints whose pages read or write the database.
NEEDS_DATABASE = frozenset({apply_bp.name, staff_bp.name})


def init_app(app: Flask) -> None:
    """Register the blueprints, their guards and the error pages."""
    staff_auth.init_app(app)
    for blueprint in (public_bp, apply_bp, staff_bp, health_bp):
        app.register_blueprint(blueprint)
    security.limit_submissions(app, apply_bp.name)
    app.before_request(log_content_problems)
    app.before_request(require_current_schema)
    errors.init_app(app)


def commit_request() -> None:
    """Commit what the view did, then send the emails it queued after the response.

    Called once per request, after the view returned; a view that raised
    (an error, an abort) commits nothing, and the session is rolled back
    when the request ends.
    """
    session = db.session
    queued = mail.take_queued(session)
    if queued:
        session.flush()
        ids = [email.id for email in queued]
    session.commit()
    # Without an SMTP server the emails wait in the outbox for `flask outbox send`.
    if queued and current_app.config["PORTAL_SMTP_HOST"]:
        app = current_app._get_current_object()

        @after_this_request
        def send_after_response(response):
            response.call_on_close(mail.deliver_after_response(app, ids))
            return response


def require_current_schema() -> None:
    """Answer 503 (bilingual) on pages that need the database while it is
    behind the latest migration, and log once what to run (``flask db
    upgrade``). Public pages never wait on the database."""
    if request.blueprint in NEEDS_DATABASE and not current_app.extensions["portal.schema"].ready(db.engine):
        abort(503)


def log_content_problems() -> None:
    """Log each content problem once, when the server first serves that content."""
    content_store().log_new_problems()
