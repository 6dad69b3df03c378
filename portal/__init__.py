"""portal: a bilingual careers site for a public-sector employer.

The package has four layers, each using only the ones listed before it:

- ``plumbing``: configuration, database, HTTP caching, languages, catalogs, protections;
- ``content``: the Hugo-style tree of postings and stories, loaded into an immutable index;
- ``domain``: the rules (applications, review, accounts, audit, retention, mail);
- ``web``: one blueprint per audience (public, apply, staff), error pages, the health check.

``cli`` holds the ``flask`` commands for operators and translators.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from sqlalchemy.exc import DBAPIError

from . import cli, content, domain, web
from .plumbing import db, http, i18n, pseudo, requestlog, security, templates
from .plumbing.config import (
    DEFAULTS,
    PROJECT_ROOT,
    environment_overrides,
    instance_dir,
    load_secret_key,
    timezone,
    validate,
)


class Portal(Flask):
    """Flask with one commit point: a view that returns has its work committed
    (see ``web.commit_request``); a view that raises has it rolled back."""

    def dispatch_request(self):
        response = super().dispatch_request()
        web.commit_request()
        return response

    def log_exception(self, exc_info) -> None:
        """Log an unhandled error with the request's id (shown on the error
        page); a database error without its message, which may quote
        personal data, but with where it happened."""
        where = f"Exception on {request.path} [{request.method}] (request {requestlog.request_id()})"
        error = exc_info[1]
        if not isinstance(error, DBAPIError):
            self.logger.error(where, exc_info=exc_info)
            return
        self.logger.error(
            "%s: %s\n%s", where, db.database_error_summary(error), "".join(traceback.format_tb(exc_info[2]))
        )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the portal: configuration, plumbing, content, domain, web, commands.

    Settings come from ``config.DEFAULTS``, then environment variables of the
    same names, then ``config`` (tests pass theirs here).
    """
    app = Portal(
        __name__,
        instance_path=os.path.abspath(instance_dir(config, os.environ)),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.update(environment_overrides(os.environ))
    if config:
        app.config.update(config)
    app.config["PORTAL_INSTANCE_DIR"] = app.instance_path
    pseudo.add_pseudo_language(app.config)
    load_secret_key(app.config, app.instance_path, debug=app.debug, testing=app.testing)
    validate(app.config)
    os.makedirs(app.instance_path, exist_ok=True)

    templates.init_app(app)
    requestlog.init_app(app)
    i18n.init_app(app)
    pseudo.init_app(app)
    http.init_app(app)
    security.init_app(app)
    db.init_app(app)
    content.init_app(app, timezone(app.config))
    domain.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app
