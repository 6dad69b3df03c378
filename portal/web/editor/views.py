"""The content editor's page, its configuration and Decap CMS's files.

The page and its configuration are for signed-in admins only; Decap's files
are the npm package's, the same for everyone. The page has a
Content-Security-Policy of its own (see :func:`content_security_policy`):
the rest of the site keeps its strict one.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from flask import Blueprint, Response, abort, current_app, render_template, send_from_directory, url_for
from flask_babel import gettext as _

from ...plumbing.config import PROJECT_ROOT
from ...plumbing.i18n import current_language, language, locale_for, localized_route
from ..job_facts import (
    EMPLOYMENT_TYPES,
    FACT_LABELS,
    LANGUAGE_REQUIREMENTS,
    PROVINCE_NAMES,
    REMOTE_WORK,
)
from ..staff.auth import access
from . import cms_config

bp = Blueprint("editor", __name__)

#: Where scripts/editor installs the pinned npm packages (editor/package-lock.json).
INSTALL_DIR = PROJECT_ROOT / ".cache" / "editor"
#: The command that installs them, shown when they are missing.
INSTALL_COMMAND = "scripts/editor install"
#: Decap CMS's prebuilt files (the page loads decap-cms.js; it loads its chunks beside it).
DIST = INSTALL_DIR / "node_modules" / "decap-cms" / "dist"


@bp.record_once
def _check_settings(state) -> None:
    cms_config.validate(state.app.config)


def dist_folder() -> Path:
    """Return the folder of Decap CMS's prebuilt files (PORTAL_CMS_DIST, or the pinned install)."""
    return Path(current_app.config.get("PORTAL_CMS_DIST") or DIST)


def content_security_policy() -> str:
    """Return the editor page's Content-Security-Policy: what Decap CMS 3 needs, no more.

    - ``script-src 'unsafe-eval'``: Decap validates its configuration with
      ajv, which compiles its schema with ``new Function`` (decap-cms#2138);
      no inline script is allowed.
    - ``style-src 'unsafe-inline'``: its components are styled by emotion,
      which writes ``<style>`` elements at run time.
    - ``connect-src``: the portal (the configuration), and the backend's API
      and sign-in server only.
    - ``img-src``: the content's pictures, previews of files being uploaded
      (``blob:``) and the git host's avatars (``https:``).

    The preview pane is a frame written by the page itself (no frame-src
    needed), and Decap loads no font. The browser test fails on any refusal.
    """
    connect = " ".join(["'self'", *cms_config.connect_sources(current_app.config)])
    return (
        "default-src 'none'; "
        "script-src 'self' 'unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' https: data: blob:; "
        f"connect-src {connect}; "
        "object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@bp.after_request
def _never_store(response: Response) -> Response:
    # Decap's own files may be kept (they change only with the pinned version).
    if not response.cache_control.public:
        response.headers["Cache-Control"] = "no-store"
    return response


@localized_route(bp, "{staff}/{editor}/")
@access("admin")
def page():
    """Open the content editor, or say how to install it."""
    if not (dist_folder() / "decap-cms.js").is_file():
        return render_template("editor/missing.html", command=INSTALL_COMMAND), 503
    settings = {
        **cms_config.layout(current_app.config),
        "words": preview_words(),
        "stylesheet": url_for("static", filename="css/portal.css"),
        "previewStylesheet": url_for("static", filename="editor/preview.css"),
    }
    response = Response(render_template("editor/page.html", settings=settings))
    response.headers["Content-Security-Policy"] = content_security_policy()
    if current_app.config["PORTAL_CMS_BACKEND"] == "github":
        # GitHub's sign-in is a pop-up that hands the token back to this page.
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
    return response


@localized_route(bp, "{staff}/{editor}/config.yml")
@access("admin")
def config_file():
    """Serve the editor's configuration, its labels in the page's language."""
    built = cms_config.build(current_app.config, current_language())
    text = yaml.safe_dump(built, allow_unicode=True, sort_keys=False, width=100)
    return Response(text, mimetype="text/yaml")


@localized_route(bp, "{staff}/{editor}/decap/<path:filename>")
def asset(filename: str):
    """Serve one of Decap CMS's prebuilt files (the npm package's, public)."""
    if filename.endswith(".map"):
        abort(404)
    response = send_from_directory(dist_folder(), filename, max_age=3600)
    response.cache_control.public = True
    return response


def preview_words() -> dict[str, dict]:
    """Return, per language, the portal's words the preview pane shows."""
    words = {}
    for code in current_app.config["PORTAL_LANGUAGES"]:
        with language(code):
            words[code] = {
                # For amounts in the preview (Intl.NumberFormat): en-CA, fr-CA.
                "locale": locale_for(code).replace("_", "-"),
                "facts": {key: str(label) for key, label in FACT_LABELS.items()},
                "employmentType": {key.value: str(label) for key, label in EMPLOYMENT_TYPES.items()},
                "remote": {key.value: str(label) for key, label in REMOTE_WORK.items()},
                "languageRequirement": {
                    key.value: str(label) for key, label in LANGUAGE_REQUIREMENTS.items()
                },
                "provinces": {key: str(label) for key, label in PROVINCE_NAMES.items()},
                "essential": _("Essential qualifications"),
                "asset": _("Asset qualifications"),
                "closes": _("Applications close:"),
                "questions": _("Screening questions on the application form"),
                "topics": _("Topics:"),
                "apply": _("Apply for this job"),
            }
    return words
