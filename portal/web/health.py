"""``/healthz``: can this server serve? For load balancers and operators.

It checks the database (reachable, at the latest migration, and on SQLite
able to take the write lock a submission needs), the content
(documents served) and the catalogs (compiled and current), and answers 200
or 503 with JSON. Counts only: never a name, an address or anything personal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy.engine import Engine

from ..content import ContentStore, Severity, content_store
from ..plumbing.catalogs import DOMAIN, SOURCE_LANGUAGE
from ..plumbing.db import can_write, db, schema_state
from ..plumbing.i18n import translation_directory

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """Report the database, the content and the catalogs: 200 if all are ok, else 503."""
    checks = {
        "database": database_check(db.engine),
        "content": content_check(content_store()),
        "catalogs": catalogs_check(translation_directory(), current_app.config["PORTAL_LANGUAGES"]),
    }
    ok = all(check.ok for check in checks.values())
    response = jsonify(
        status="ok" if ok else "fail", checks={name: check.to_json() for name, check in checks.items()}
    )
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Check:
    """The result of one check: ok or not, and what an operator needs to know."""

    ok: bool
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "fail", **self.details}


def database_check(engine: Engine) -> Check:
    """Reach the database, compare its schema with the latest migration, and
    check that a writer could start (SQLite: no lock held elsewhere for longer
    than a submission would wait)."""
    state = schema_state(engine)
    details: dict[str, Any] = {"revision": list(state.current), "latest": list(state.latest)}
    if not state.ready:
        details["problem"] = state.describe()
        return Check(False, details)
    if blocked := can_write(engine):
        details["problem"] = f"the database cannot take a write ({blocked})"
        return Check(False, details)
    return Check(True, details)


def content_check(store: ContentStore) -> Check:
    """Count the served documents and the content problems (see ``flask content check``)."""
    index = store.index()
    errors = sum(problem.severity is Severity.ERROR for problem in index.problems)
    warnings = sum(problem.severity is Severity.WARNING for problem in index.problems)
    details: dict[str, Any] = {"documents": len(index.documents), "errors": errors, "warnings": warnings}
    if not index.documents:
        details["problem"] = "no document is served: check PORTAL_CONTENT_DIR"
    return Check(bool(index.documents), details)


def catalogs_check(directory: Path, languages: Mapping[str, Mapping]) -> Check:
    """Check that every language but the source one has a compiled, current catalog."""
    states = {}
    for code, language in languages.items():
        if code == SOURCE_LANGUAGE or language.get("pseudo"):
            continue
        po_path = directory / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists():
            states[code] = "not compiled"
        elif po_path.exists() and po_path.stat().st_mtime > mo_path.stat().st_mtime:
            states[code] = "older than its .po"
        else:
            states[code] = "ok"
    ok = all(state == "ok" for state in states.values())
    details: dict[str, Any] = {"languages": states}
    if not ok:
        details["problem"] = "run `flask --app wsgi i18n compile`"
    return Check(ok, details)
