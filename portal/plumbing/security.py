"""Request protection: CSRF on every form, rate limits, proxy headers, cookies."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Protect forms, limit submissions, trust the configured proxies only."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["PORTAL_RATELIMIT_STORAGE_URI"])
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # A long application form must not expire while the candidate writes it.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    # Flask has these keys already (with laxer values): set them, not setdefault.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["PORTAL_SECURE_COOKIES"])
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["PORTAL_MAX_RESUME_BYTES"]) + 1024 * 1024
    hops = int(app.config["PORTAL_PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    csrf.init_app(app)
    # One limiter per app: Flask-Limiter keeps its storage and key prefix on
    # the Limiter object, so a shared one would mix the counts of two apps.
    app.extensions["portal.limiter"] = Limiter(key_func=get_remote_address, app=app)


def limit_submissions(app: Flask, blueprint_name: str) -> None:
    """Limit the POSTs to a blueprint's routes per client address
    (``PORTAL_APPLY_RATE_LIMIT``)."""
    limiter = app.extensions["portal.limiter"]
    limiter.limit(apply_rate_limit, methods=["POST"])(app.blueprints[blueprint_name])


def apply_rate_limit() -> str:
    """Return the configured limit on application submissions per address."""
    return current_app.config["PORTAL_APPLY_RATE_LIMIT"]
