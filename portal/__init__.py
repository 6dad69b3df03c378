"""portal: a bilingual careers site for a public-sector employer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import pseudo
from .config import DEFAULTS, PROJECT_ROOT, environment_overrides, timezone, validate


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the portal: configuration, extensions, content, blueprints, commands.

    Settings come from ``config.DEFAULTS``, then environment variables of the
    same names, then ``config`` (tests pass theirs here).
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.update(environment_overrides(os.environ))
    if config:
        app.config.update(config)
    pseudo.add_pseudo_language(app.config)
    validate(app.config, debug=app.debug, testing=app.testing)
    os.makedirs(app.instance_path, exist_ok=True)

    from . import cli, content, db, errors, http, i18n, security
    from .apply import privacy

    i18n.init_app(app)
    pseudo.init_app(app)
    http.init_app(app)
    security.init_app(app)
    db.init_app(app)
    content.init_app(app, timezone(app.config))
    privacy.init_app(app)

    from .apply import bp as apply_bp
    from .public import bp as public_bp
    from .staff import auth as staff_auth
    from .staff import bp as staff_bp

    staff_auth.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(apply_bp)
    app.register_blueprint(staff_bp)
    security.limit_submissions(app, apply_bp.name)
    errors.init_app(app)
    cli.init_app(app)
    return app
